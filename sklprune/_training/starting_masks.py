"""Masks of the weights a fit starts from: the zeros a pruned model leaves, told
from those an initialisation makes."""

import torch
from torch import nn

from .._names import split_name


def masks_from_zeros(module, params, mode):
    """Keep-masks that count the exact zeros of the starting weights as pruned.

    Parameters
    ----------
    module : torch.nn.Module
        The module that holds ``params``.
    params : dict of str to torch.nn.Parameter
        The targets, by name.
    mode : {"auto", True, False}
        ``PruningCallback.masks_from_zeros``: every zero counts (``True``), the
        zeros an initialisation leaves do not (``"auto"``, see
        :func:`initialisation_zeros`), or none (``False``).

    Returns
    -------
    masks : dict of str to torch.Tensor or None
        ``None`` when no entry counts as pruned.
    """
    if mode is False:
        return None
    masks = {}
    for name, p in params.items():
        keep = p != 0
        if mode == "auto":
            keep |= initialisation_zeros(module, name, p)
        masks[name] = keep
    if all(bool(keep.all()) for keep in masks.values()):
        return None
    return masks


def initialisation_zeros(module, name, param):
    """Entries that an initialisation leaves at zero, not a pruned model.

    A whole target of zeros (``nn.init.zeros_``) and the ``padding_idx`` row of an
    ``Embedding`` or ``EmbeddingBag``.
    """
    if not bool(param.any()):
        return torch.ones_like(param, dtype=torch.bool)
    zeros = torch.zeros_like(param, dtype=torch.bool)
    layer_name, param_name = split_name(name)
    layer = module.get_submodule(layer_name)
    padding_idx = getattr(layer, "padding_idx", None)
    if (
        isinstance(layer, nn.Embedding | nn.EmbeddingBag)
        and param_name == "weight"
        and padding_idx is not None
    ):
        zeros[padding_idx] = True
    return zeros
