"""Named losses for classification networks that output logits.

Every loss takes ``(logits, target)`` with ``logits`` of shape ``(n_samples,
n_classes)`` and integer class indices ``target``, and returns a scalar. The loss
trains the net *and* feeds the gradient-based pruning strategies.
"""

import copy

from torch import nn
from torch.nn import functional as F


class SoftmaxMSELoss(nn.Module):
    """Squared error between softmax probabilities and one-hot targets.

    Bounded and less confident than cross-entropy; summed over classes, averaged over
    samples (the Brier score).

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import SoftmaxMSELoss
    >>> SoftmaxMSELoss()(torch.tensor([[10.0, -10.0]]), torch.tensor([0])).item() < 1e-6
    True
    """

    def forward(self, logits, target):
        proba = logits.softmax(dim=1)
        one_hot = F.one_hot(target, num_classes=logits.shape[1]).to(proba.dtype)
        return (proba - one_hot).square().sum(dim=1).mean()


class FocalLoss(nn.Module):
    """Focal loss of Lin et al. (2017): cross-entropy down-weighting easy samples.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; 0 gives cross-entropy.

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import FocalLoss
    >>> logits, target = torch.tensor([[2.0, 0.0]]), torch.tensor([0])
    >>> bool(FocalLoss(gamma=2)(logits, target) < FocalLoss(gamma=0)(logits, target))
    True
    """

    def __init__(self, gamma=2.0):
        super().__init__()
        self.gamma = gamma

    def forward(self, logits, target):
        log_p = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
        return (-((1 - log_p.exp()) ** self.gamma) * log_p).mean()


class LabelSmoothingLoss(nn.CrossEntropyLoss):
    """Cross-entropy against targets smoothed towards the uniform distribution.

    Parameters
    ----------
    smoothing : float, default=0.1
        Probability mass spread evenly over all classes.

    Examples
    --------
    >>> from sklprune.losses import LabelSmoothingLoss
    >>> LabelSmoothingLoss(smoothing=0.2).label_smoothing
    0.2
    """

    def __init__(self, smoothing=0.1):
        super().__init__(label_smoothing=smoothing)


class FunctionLoss(nn.Module):
    """Wrap a function ``(logits, target) -> scalar`` as a loss module.

    Examples
    --------
    >>> import torch
    >>> from torch.nn import functional as F
    >>> from sklprune.losses import FunctionLoss
    >>> loss = FunctionLoss(F.cross_entropy)
    >>> round(loss(torch.zeros(1, 2), torch.tensor([1])).item(), 4)
    0.6931
    """

    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, logits, target):
        return self.func(logits, target)


LOSSES = {
    "cross_entropy": nn.CrossEntropyLoss,
    "mse": SoftmaxMSELoss,
    "focal": FocalLoss,
    "label_smoothing": LabelSmoothingLoss,
}


def get_loss(loss):
    """Resolve a loss given by name, module class, module or function.

    Parameters
    ----------
    loss : str, torch.nn.Module subclass, torch.nn.Module or callable
        A name from ``LOSSES`` (``"cross_entropy"``, ``"mse"``, ``"focal"``,
        ``"label_smoothing"``), a loss class (built without arguments), a loss
        instance (copied, never shared), or a function ``(logits, target) -> scalar``.

    Returns
    -------
    loss : torch.nn.Module

    Examples
    --------
    >>> from sklprune.losses import get_loss
    >>> get_loss("focal")
    FocalLoss()
    >>> get_loss("hinge")
    Traceback (most recent call last):
    ...
    ValueError: Unknown loss 'hinge'. Valid names: 'cross_entropy', 'mse', ...
    """
    if isinstance(loss, str):
        if loss not in LOSSES:
            valid = ", ".join(repr(n) for n in LOSSES)
            raise ValueError(
                f"Unknown loss {loss!r}. Valid names: {valid}; or pass a torch loss "
                "module or a function (logits, target) -> scalar."
            )
        return LOSSES[loss]()
    if isinstance(loss, type) and issubclass(loss, nn.Module):
        return loss()
    if isinstance(loss, nn.Module):
        return copy.deepcopy(loss)
    if callable(loss):
        return FunctionLoss(loss)
    raise TypeError(
        "loss must be a name, a torch loss module (class or instance) or a function "
        f"(logits, target) -> scalar; got {loss!r}."
    )
