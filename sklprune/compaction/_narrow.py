"""Layer surgery for compaction: narrow layers and fold constants into biases."""

import torch
from torch import nn


@torch.no_grad()
def narrow(plan):
    """Remove the units a walk found removable; return whether any was removed."""
    removed = plan.removed_units()
    if not bool(removed.any()):
        return False
    for _, layer, ids, const, known, _, _ in plan.consumers:
        gone = removed[ids]
        if bool(gone.any()):
            _fold(layer, gone & known, const)
            _narrow_inputs(layer, ~gone)
    for _, layer, ids in plan.per_unit:
        keep = ~removed[ids]
        if not bool(keep.all()):
            _narrow_per_unit(layer, keep)
    for _, layer, kind, ids in plan.producers:
        keep = ~removed[ids]
        if bool(keep.all()):
            continue
        if kind == "index":
            layer.index = layer.index[keep.to(layer.index.device)]
        elif kind == "columns":
            _set_param(layer, "weight", layer.weight[:, keep])
            layer.embedding_dim = int(keep.sum())
        else:
            _narrow_rows(layer, keep)
    return True


def _fold(layer, folded, const):
    """Add the constants that removed units fed to ``layer`` to its bias."""
    if not bool(folded.any()):
        return
    weight = layer.weight
    folded = folded.to(weight.device)
    const = const.to(weight.device, weight.dtype)[folded]
    if type(layer) is nn.Linear:
        shift = weight[:, folded] @ const
    else:
        shape = (1, -1) + (1,) * (weight.dim() - 2)
        shift = (weight[:, folded] * const.reshape(shape)).sum(
            dim=tuple(range(1, weight.dim()))
        )
    if not bool((shift != 0).any()):
        return
    bias = shift if layer.bias is None else layer.bias.detach() + shift
    layer.bias = nn.Parameter(bias, requires_grad=weight.requires_grad)


def _narrow_rows(layer, keep):
    keep = keep.to(layer.weight.device)
    _set_param(layer, "weight", layer.weight[keep])
    if layer.bias is not None:
        _set_param(layer, "bias", layer.bias[keep])
    size = int(keep.sum())
    if type(layer) is nn.Linear:
        layer.out_features = size
    else:
        layer.out_channels = size


def _narrow_inputs(layer, keep):
    keep = keep.to(layer.weight.device)
    _set_param(layer, "weight", layer.weight[:, keep])
    if type(layer) is nn.Linear:
        layer.in_features = int(keep.sum())
    else:
        layer.in_channels = int(keep.sum())


def _narrow_per_unit(layer, keep):
    if type(layer) is nn.PReLU:
        _set_param(layer, "weight", layer.weight[keep.to(layer.weight.device)])
        layer.num_parameters = int(keep.sum())
        return
    if layer.weight is not None:
        keep = keep.to(layer.weight.device)
        _set_param(layer, "weight", layer.weight[keep])
        _set_param(layer, "bias", layer.bias[keep])
    if layer.running_mean is not None:
        keep = keep.to(layer.running_mean.device)
        layer.running_mean = layer.running_mean[keep]
        layer.running_var = layer.running_var[keep]
    layer.num_features = int(keep.sum())


def _set_param(layer, name, value):
    old = getattr(layer, name)
    setattr(
        layer,
        name,
        nn.Parameter(value.detach().contiguous(), requires_grad=old.requires_grad),
    )
