"""Named losses for classification networks that output logits, and for
regression networks.

A classification loss takes ``(logits, target)`` with ``logits`` of shape
``(n_samples, n_classes)`` and integer class indices ``target``; a regression loss
takes ``(output, target)``, both of shape ``(n_samples, n_outputs)``, and averages
over the outputs. Both return a scalar. The named losses also take per-sample
weights, ``sample_weight`` of shape ``(n_samples,)``, and return the weighted mean
of the per-sample losses. The loss trains the net *and* feeds the gradient-based
pruning strategies, so the choice of loss and the weights reach them too.
"""

import copy
import inspect

import torch
from torch import nn
from torch.nn import functional as F


def weighted_mean(losses, sample_weight=None):
    """Mean of per-sample losses, weighted by ``sample_weight`` when given.

    A batch whose weights are all zero has loss 0 (and no gradient).

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import weighted_mean
    >>> weighted_mean(torch.tensor([1.0, 3.0]), torch.tensor([3.0, 1.0])).item()
    1.5
    """
    if sample_weight is None:
        return losses.mean()
    sample_weight = sample_weight.to(losses.dtype)
    total = sample_weight.sum()
    return (losses * sample_weight).sum() / torch.where(total > 0, total, 1.0)


class CrossEntropyLoss(nn.CrossEntropyLoss):
    """:class:`torch.nn.CrossEntropyLoss` that also takes per-sample weights.

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import CrossEntropyLoss
    >>> logits, target = torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0])
    >>> loss = CrossEntropyLoss()
    >>> bool(loss(logits, target, sample_weight=torch.tensor([1.0, 0.0])) < 0.2)
    True
    """

    def forward(self, logits, target, sample_weight=None):
        if sample_weight is None:
            return super().forward(logits, target)
        losses = F.cross_entropy(
            logits,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction="none",
            label_smoothing=self.label_smoothing,
        )
        return weighted_mean(losses, sample_weight)


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

    def forward(self, logits, target, sample_weight=None):
        proba = logits.softmax(dim=1)
        one_hot = F.one_hot(target, num_classes=logits.shape[1]).to(proba.dtype)
        return weighted_mean((proba - one_hot).square().sum(dim=1), sample_weight)


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

    def forward(self, logits, target, sample_weight=None):
        log_p = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
        return weighted_mean(-((1 - log_p.exp()) ** self.gamma) * log_p, sample_weight)


class LabelSmoothingLoss(CrossEntropyLoss):
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

    Per-sample weights reach the function as the keyword ``sample_weight`` when it
    accepts one.

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

    def forward(self, logits, target, sample_weight=None):
        if sample_weight is None:
            return self.func(logits, target)
        return self.func(logits, target, sample_weight=sample_weight)


def _per_sample(errors):
    """The mean over the outputs of elementwise losses: one loss per sample."""
    return errors.mean(dim=1)


def _check_shapes(output, target):
    if output.shape != target.shape:
        raise ValueError(
            f"The network's output has shape {tuple(output.shape)} and the target "
            f"{tuple(target.shape)}: a regression loss needs both of shape "
            "(n_samples, n_outputs). Reshape a 1-d target with y.reshape(-1, 1)."
        )


class SquaredErrorLoss(nn.Module):
    """Mean squared error of a regression network, averaged over the outputs.

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import SquaredErrorLoss
    >>> SquaredErrorLoss()(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [1.0]]))
    tensor(2.5000)
    """

    def forward(self, output, target, sample_weight=None):
        _check_shapes(output, target)
        return weighted_mean(_per_sample((output - target).square()), sample_weight)


class AbsoluteErrorLoss(nn.Module):
    """Mean absolute error of a regression network, averaged over the outputs.

    Its minimiser is the conditional median, so outliers in the targets pull the
    predictions less than under the squared error.

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import AbsoluteErrorLoss
    >>> AbsoluteErrorLoss()(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [1.0]]))
    tensor(1.5000)
    """

    def forward(self, output, target, sample_weight=None):
        _check_shapes(output, target)
        return weighted_mean(_per_sample((output - target).abs()), sample_weight)


class HuberLoss(nn.Module):
    """Huber loss: squared error for small residuals, absolute error for large.

    Parameters
    ----------
    delta : float, default=1.0
        The residual where the loss turns from quadratic to linear. The
        regression estimators train on standardised targets, where 1.0 is one
        standard deviation of the target.

    Examples
    --------
    >>> import torch
    >>> from sklprune.losses import HuberLoss
    >>> HuberLoss()(torch.tensor([[0.5], [3.0]]), torch.tensor([[0.0], [0.0]]))
    tensor(1.3125)
    """

    def __init__(self, delta=1.0):
        super().__init__()
        self.delta = delta

    def forward(self, output, target, sample_weight=None):
        _check_shapes(output, target)
        errors = F.huber_loss(output, target, reduction="none", delta=self.delta)
        return weighted_mean(_per_sample(errors), sample_weight)


class PoissonLoss(nn.Module):
    """Poisson deviance of a network that outputs the log of the mean (log link).

    The loss of output :math:`o` and count :math:`y` is :math:`e^o - y\\,o`, the
    half Poisson deviance up to a term that depends on :math:`y` only; the
    predicted mean is :math:`e^o`. The targets must be non-negative.

    Examples
    --------
    >>> import math, torch
    >>> from sklprune.losses import PoissonLoss
    >>> best = torch.tensor([[math.log(3.0)]])
    >>> loss = PoissonLoss()
    >>> target = torch.tensor([[3.0]])
    >>> bool(loss(best, target) < loss(best + 0.1, target))
    True
    """

    def forward(self, output, target, sample_weight=None):
        _check_shapes(output, target)
        errors = F.poisson_nll_loss(output, target, log_input=True, reduction="none")
        return weighted_mean(_per_sample(errors), sample_weight)


LOSSES = {
    "cross_entropy": CrossEntropyLoss,
    "mse": SoftmaxMSELoss,
    "focal": FocalLoss,
    "label_smoothing": LabelSmoothingLoss,
}

REGRESSION_LOSSES = {
    "squared_error": SquaredErrorLoss,
    "absolute_error": AbsoluteErrorLoss,
    "huber": HuberLoss,
    "poisson": PoissonLoss,
}

_REGISTRIES = {"classification": LOSSES, "regression": REGRESSION_LOSSES}


def get_loss(loss, task="classification"):
    """Resolve a loss given by name, module class, module or function.

    Parameters
    ----------
    loss : str, torch.nn.Module subclass, torch.nn.Module or callable
        A name from ``LOSSES`` (``"cross_entropy"``, ``"mse"``, ``"focal"``,
        ``"label_smoothing"``) or, for regression, from ``REGRESSION_LOSSES``
        (``"squared_error"``, ``"absolute_error"``, ``"huber"``, ``"poisson"``),
        a loss class (built without arguments), a loss instance (copied, never
        shared), or a function ``(output, target) -> scalar``.
    task : {"classification", "regression"}, default="classification"
        Which names ``loss`` may be.

    Returns
    -------
    loss : torch.nn.Module

    Examples
    --------
    >>> from sklprune.losses import get_loss
    >>> get_loss("focal")
    FocalLoss()
    >>> get_loss("huber", task="regression")
    HuberLoss()
    >>> get_loss("hinge")
    Traceback (most recent call last):
    ...
    ValueError: Unknown loss 'hinge'. Valid names: 'cross_entropy', 'mse', ...
    """
    if isinstance(loss, str):
        names = _REGISTRIES[task]
        if loss not in names:
            valid = ", ".join(repr(n) for n in names)
            raise ValueError(
                f"Unknown loss {loss!r}. Valid names: {valid}; or pass a torch loss "
                "module or a function (output, target) -> scalar."
            )
        return names[loss]()
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


def has_log_link(loss):
    """Whether a network trained with ``loss`` outputs the log of the mean.

    Parameters
    ----------
    loss : str, torch.nn.Module subclass, torch.nn.Module or callable
        A regression loss, as :func:`get_loss` takes it.

    Returns
    -------
    log_link : bool
        True for :class:`PoissonLoss`, by name, class or instance.

    Examples
    --------
    >>> from sklprune.losses import has_log_link
    >>> has_log_link("poisson"), has_log_link("squared_error")
    (True, False)
    """
    return isinstance(get_loss(loss, task="regression"), PoissonLoss)


def supports_sample_weight(loss):
    """Whether :func:`weighted_loss` can weight ``loss`` sample by sample.

    True for a loss module whose ``forward`` (or a wrapped function) takes
    ``sample_weight``, and for a torch loss with a ``reduction`` setting, whose
    per-sample losses are then averaged with the weights.

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.losses import get_loss, supports_sample_weight
    >>> supports_sample_weight(get_loss("focal")), supports_sample_weight(nn.NLLLoss())
    (True, True)
    >>> supports_sample_weight(get_loss(lambda logits, target: logits.sum()))
    False
    """
    return _takes_sample_weight(loss) or hasattr(loss, "reduction")


def weighted_loss(loss, logits, target, sample_weight=None):
    """The loss of a batch, each sample counted with its weight.

    Parameters
    ----------
    loss : torch.nn.Module
        A loss from :func:`get_loss`.
    logits : torch.Tensor of shape (n_samples, n_classes) or (n_samples, n_outputs)
        The network's outputs.
    target : torch.Tensor of shape (n_samples,) or (n_samples, n_outputs)
        Class indices, or regression targets: the elementwise losses of a torch
        loss are then averaged over the outputs, as its ``reduction="mean"`` does.
    sample_weight : torch.Tensor of shape (n_samples,) or None, default=None
        ``None`` calls ``loss(logits, target)`` unchanged.

    Returns
    -------
    loss : torch.Tensor
        A scalar: the weighted mean of the per-sample losses.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.losses import weighted_loss
    >>> logits, target = torch.tensor([[2.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 0])
    >>> w = torch.tensor([1.0, 0.0])
    >>> round(weighted_loss(nn.CrossEntropyLoss(), logits, target, w).item(), 4)
    0.1269
    """
    if sample_weight is None:
        return loss(logits, target)
    if _takes_sample_weight(loss):
        return loss(logits, target, sample_weight=sample_weight)
    if not hasattr(loss, "reduction"):
        raise TypeError(
            f"The loss {loss!r} cannot weight samples: sample_weight and class_weight "
            "need a loss whose forward (or function) takes a sample_weight keyword "
            "and returns the weighted mean, or a torch loss with a reduction setting."
        )
    reduction = loss.reduction
    loss.reduction = "none"
    try:
        losses = loss(logits, target)
    finally:
        loss.reduction = reduction
    if target.dim() == 2 and losses.shape == target.shape:
        losses = _per_sample(losses)  # elementwise regression loss: mean over outputs
    if losses.shape != target.shape[:1]:
        raise ValueError(
            f"The loss {loss!r} with reduction='none' returns shape "
            f"{tuple(losses.shape)}, not one loss per sample ({target.shape[0]},): "
            "it cannot weight samples. Give it a sample_weight keyword instead."
        )
    return weighted_mean(losses, sample_weight)


def _takes_sample_weight(loss):
    forward = loss.func if isinstance(loss, FunctionLoss) else loss.forward
    try:
        return "sample_weight" in inspect.signature(forward).parameters
    except (TypeError, ValueError):
        return False
