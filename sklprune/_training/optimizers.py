"""The optimizer a fit trains with: the named optimizers and the settings they get."""

import functools

import torch

from ..optim import LazyAdam, LazyAdamW

OPTIMIZERS = {
    "adam": LazyAdam,
    "adamw": LazyAdamW,
    "sgd": torch.optim.SGD,
}


def resolve_optimizer(optimizer):
    """The optimizer class of a name of :data:`OPTIMIZERS`, or a class as given."""
    return OPTIMIZERS.get(optimizer, optimizer)


def updates_lazily(optimizer):
    """Whether an optimizer class updates only the columns a sparse gradient holds."""
    return optimizer in (LazyAdam, LazyAdamW)


def optimizer_settings(optimizer, weight_decay, device):
    """The skorch ``optimizer__*`` arguments of an optimizer class.

    Parameters
    ----------
    optimizer : type
        The optimizer class (see :func:`resolve_optimizer`).
    weight_decay : float
        Its L2 penalty.
    device : torch.device
        Where the module is: Adam and AdamW use one fused kernel per step where
        the device has one.

    Returns
    -------
    settings : dict of str to object
    """
    settings = {"optimizer__weight_decay": weight_decay}
    if optimizer is torch.optim.SGD:
        settings.update(optimizer__momentum=0.9, optimizer__nesterov=True)
    elif optimizer in (torch.optim.Adam, torch.optim.AdamW, LazyAdam, LazyAdamW):
        # One fused kernel per step instead of a loop of small ones; see
        # benchmarks/bench_callback.py for its effect on training time.
        settings["optimizer__fused"] = fused_supported(device)
    return settings


@functools.cache
def fused_supported(device):
    """Whether torch's fused Adam runs on ``device``."""
    probe = torch.zeros(1, device=device, requires_grad=True)
    try:
        torch.optim.Adam([probe], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True
