"""Copies of a module's weights kept while it trains: snapshots to rewind to, and
the best weights that a later callback restores, masked before it does."""

import torch

from ..masks import apply_masks


def snapshot(module):
    """A detached copy of the module's state dict."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def callbacks_after(net, callback):
    """The ``(name, callback)`` pairs a skorch net runs after ``callback``."""
    callbacks = list(getattr(net, "callbacks_", []))
    for i, (_, cb) in enumerate(callbacks):
        if cb is callback:
            return callbacks[i + 1 :]
    return []


def mask_state_dict(state, masks):
    """Write masks into the tensors of a saved state dict that they fit.

    Parameters
    ----------
    state : dict of str to torch.Tensor
        A state dict, such as ``EarlyStopping.best_model_weights_``.
    masks : dict of str to torch.Tensor
        Keep-masks by parameter name; a mask whose name is missing from ``state``,
        or whose shape differs from the saved tensor, is skipped.
    """
    fitting = {
        name: mask
        for name, mask in masks.items()
        if torch.is_tensor(state.get(name)) and state[name].shape == mask.shape
    }
    apply_masks(state, fitting)
