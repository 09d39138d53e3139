"""Layer surgery: narrow the layers a plan names, folding constants into biases.

:meth:`sklprune.compaction._plan.Plan.removed_units` decides which units die;
:func:`narrow` carries the decision out on the layers, in place.
"""

import torch
from torch import nn


@torch.no_grad()
def narrow(plan):
    """Remove the units that ``plan`` decides to remove from the layers.

    A layer that reads a removed unit loses that input (its constant, if any, is
    folded into the layer's bias first), a ``BatchNorm`` or ``PReLU`` loses the
    unit's entry, and the layer that produced the unit loses its row (column,
    index entry).

    Parameters
    ----------
    plan : Plan
        What a walk of the module found; :meth:`Plan.removed_units` says which
        units go.

    Returns
    -------
    narrowed : bool
        Whether any unit was removed.
    """
    removed = plan.removed_units()
    if not bool(removed.any()):
        return False
    for consumer in plan.consumers:
        gone = removed[consumer.ids]
        if bool(gone.any()):
            _fold(consumer.layer, gone & consumer.known, consumer.const)
            _narrow_inputs(consumer.layer, ~gone)
    for per_unit in plan.per_unit:
        keep = ~removed[per_unit.ids]
        if not bool(keep.all()):
            _narrow_per_unit(per_unit.layer, keep)
    for producer in plan.producers:
        keep = ~removed[producer.ids]
        if not bool(keep.all()):
            _narrow_outputs(producer, keep)
    return True


def _narrow_outputs(producer, keep):
    """Keep the units of a producer's output where ``keep`` is true."""
    layer = producer.layer
    if producer.part == "index":
        layer.index = layer.index[keep.to(layer.index.device)]
    elif producer.part == "columns":
        _set_param(layer, "weight", layer.weight[:, keep])
        layer.embedding_dim = int(keep.sum())
    else:
        _narrow_rows(layer, keep)


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
    """Keep the output rows (channels) of a ``Linear`` or ``Conv`` where ``keep``."""
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
    """Keep the input columns (channels) of a ``Linear`` or ``Conv`` where ``keep``."""
    keep = keep.to(layer.weight.device)
    _set_param(layer, "weight", layer.weight[:, keep])
    if type(layer) is nn.Linear:
        layer.in_features = int(keep.sum())
    else:
        layer.in_channels = int(keep.sum())


def _narrow_per_unit(layer, keep):
    """Keep the entries of a ``BatchNorm`` or ``PReLU`` where ``keep`` is true."""
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
    """Replace a parameter of ``layer`` by ``value``, as ``requires_grad`` as before."""
    old = getattr(layer, name)
    setattr(
        layer,
        name,
        nn.Parameter(value.detach().contiguous(), requires_grad=old.requires_grad),
    )
