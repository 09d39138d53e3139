"""What torch layers and operations do to units: the tables the walk reads.

Every layer or operation that compaction follows is listed here by what it does to
the units of its input (keeps them one by one, holds one entry per unit, pools them,
mixes them, or produces new ones), with the small predicates that read a layer's or a
graph node's settings. :mod:`sklprune.compaction._walk` applies them.
"""

import operator

import torch
from torch import nn
from torch.nn import functional as F

from ._select import SelectFeatures

# Layers whose output units compaction removes, by number of spatial dimensions.
WEIGHTED = {nn.Linear: 0, nn.Conv1d: 1, nn.Conv2d: 2}
EMBEDDINGS = (nn.Embedding, nn.EmbeddingBag)

# Act on every entry alone: a constant stays a constant, widths are unchanged.
ELEMENTWISE = frozenset(
    {
        nn.Identity,
        nn.ReLU,
        nn.ReLU6,
        nn.LeakyReLU,
        nn.ELU,
        nn.SELU,
        nn.CELU,
        nn.GELU,
        nn.SiLU,
        nn.Mish,
        nn.Sigmoid,
        nn.Tanh,
        nn.Softplus,
        nn.Softsign,
        nn.Hardtanh,
        nn.Hardswish,
        nn.Hardsigmoid,
        nn.Hardshrink,
        nn.Softshrink,
        nn.Tanhshrink,
        nn.LogSigmoid,
        nn.Threshold,
        nn.Dropout,
        nn.Dropout1d,
        nn.Dropout2d,
        nn.AlphaDropout,
        nn.FeatureAlphaDropout,
    }
)
# One parameter (or statistic) per unit, removed with the unit: spatial dimensions.
PER_UNIT = {nn.BatchNorm1d: (0, 1), nn.BatchNorm2d: (2,), nn.PReLU: None}
# Pool every channel over space; a constant channel stays constant.
POOLS = {
    nn.MaxPool1d: 1,
    nn.MaxPool2d: 2,
    nn.AdaptiveMaxPool1d: 1,
    nn.AdaptiveMaxPool2d: 2,
    nn.AdaptiveAvgPool1d: 1,
    nn.AdaptiveAvgPool2d: 2,
    nn.AvgPool1d: 1,
    nn.AvgPool2d: 2,
}
# Mix units: every unit reaches every output, so none may be removed before them.
MIXING = frozenset({nn.LayerNorm, nn.GroupNorm, nn.Softmax, nn.LogSoftmax})

# Functions and methods that act on every entry alone, as ELEMENTWISE layers do.
UNARY_FUNCTIONS = frozenset(
    {
        F.relu,
        torch.relu,
        F.relu6,
        F.leaky_relu,
        F.elu,
        F.selu,
        torch.selu,
        F.celu,
        F.gelu,
        F.silu,
        F.mish,
        F.sigmoid,
        torch.sigmoid,
        F.tanh,
        torch.tanh,
        F.softplus,
        F.softsign,
        F.hardtanh,
        F.hardswish,
        F.hardsigmoid,
        F.logsigmoid,
        F.tanhshrink,
        torch.abs,
        torch.neg,
        operator.neg,
        torch.exp,
        torch.clamp,
    }
)
DROPOUT_FUNCTIONS = frozenset(
    {F.dropout, F.alpha_dropout, F.feature_alpha_dropout, F.dropout1d, F.dropout2d}
)
UNARY_METHODS = frozenset(
    {"relu", "relu_", "sigmoid", "tanh", "abs", "neg", "exp", "clamp", "contiguous"}
)
# Arithmetic of two operands, by the operator that computes it on constants.
BINARY = {
    operator.add: operator.add,
    operator.iadd: operator.add,
    torch.add: operator.add,
    "add": operator.add,
    "add_": operator.add,
    operator.sub: operator.sub,
    operator.isub: operator.sub,
    torch.sub: operator.sub,
    "sub": operator.sub,
    operator.mul: operator.mul,
    operator.imul: operator.mul,
    torch.mul: operator.mul,
    "mul": operator.mul,
    operator.truediv: operator.truediv,
    torch.div: operator.truediv,
    "div": operator.truediv,
}
# Functions among BINARY that divide: followed when the divisor is a number only.
DIVISIONS = frozenset({operator.truediv, torch.div})
CATS = frozenset({torch.cat, torch.concat, torch.concatenate})
# Functions and methods that mix units, as MIXING layers do.
MIXING_FUNCTIONS = frozenset(
    {
        F.softmax,
        F.log_softmax,
        torch.softmax,
        torch.log_softmax,
        F.layer_norm,
        F.group_norm,
        F.normalize,
    }
)
MIXING_METHODS = frozenset({"softmax", "log_softmax"})
# Reductions over chosen dimensions, by the name of the reduction.
REDUCTIONS = {
    torch.mean: "mean",
    torch.sum: "sum",
    torch.amax: "amax",
    torch.amin: "amin",
    "mean": "mean",
    "sum": "sum",
    "amax": "amax",
    "amin": "amin",
}
# Pooling functions, as POOLS: number of spatial dimensions.
POOL_FUNCTIONS = {
    F.max_pool1d: 1,
    F.max_pool2d: 2,
    F.adaptive_max_pool1d: 1,
    F.adaptive_max_pool2d: 2,
    F.adaptive_avg_pool1d: 1,
    F.adaptive_avg_pool2d: 2,
    F.avg_pool1d: 1,
    F.avg_pool2d: 2,
}
FLATTEN_METHODS = frozenset({"flatten"})
VIEW_METHODS = frozenset({"view", "reshape"})
# Methods and attributes that read a tensor's size or type, not its values.
SIZE_METHODS = frozenset({"size", "dim"})
ATTRIBUTES = frozenset({"shape", "dtype", "device", "ndim"})


# --------------------------------------------------------------------- predicates


def is_known_layer(layer):
    """Whether the walk has a rule for ``layer``: it is in one of the tables above."""
    kind = type(layer)
    return (
        kind in WEIGHTED
        or kind in EMBEDDINGS
        or kind in ELEMENTWISE
        or kind in PER_UNIT
        or kind in POOLS
        or kind in MIXING
        or kind in (nn.Flatten, SelectFeatures)
    )


def is_known_operation(node):
    """Whether the walk has a rule for the function or method a graph node calls."""
    target = node.target
    if node.op == "call_method":
        known = (UNARY_METHODS, BINARY, MIXING_METHODS, REDUCTIONS)
        return target in FLATTEN_METHODS | VIEW_METHODS or any(
            target in k for k in known
        )
    known = (
        DROPOUT_FUNCTIONS,
        UNARY_FUNCTIONS,
        BINARY,
        CATS,
        MIXING_FUNCTIONS,
        REDUCTIONS,
        POOL_FUNCTIONS,
    )
    return target in (torch.flatten, torch.reshape) or any(target in k for k in known)


def is_uninitialized(parameter):
    """Whether ``parameter`` belongs to a lazy layer that has not run yet."""
    return isinstance(parameter, nn.parameter.UninitializedParameter)


def pads_with_zeros(conv):
    """Whether a convolution adds zeros at the borders of its input."""
    if conv.padding_mode != "zeros" or conv.padding == "valid":
        return False
    if conv.padding == "same":
        return any(d * (k - 1) > 0 for d, k in zip(conv.dilation, conv.kernel_size))
    return any(p > 0 for p in conv.padding)


def pool_breaks_constants(pool):
    """Whether an average pool turns a constant channel into a non-constant one."""
    if type(pool) not in (nn.AvgPool1d, nn.AvgPool2d):
        return False
    if pool.divisor_override:
        return True
    padding = pool.padding if isinstance(pool.padding, tuple) else (pool.padding,)
    return pool.count_include_pad and any(p > 0 for p in padding)


def pool_function_breaks_constants(function, args, kwargs):
    """Whether a call of a pooling function turns a constant channel into another.

    As :func:`pool_breaks_constants` for ``F.avg_pool1d`` and ``F.avg_pool2d``
    called with ``args`` and ``kwargs``: a padding or a ``divisor_override`` does.
    """
    if function not in (F.avg_pool1d, F.avg_pool2d):
        return False
    padding = args[3] if len(args) > 3 else kwargs.get("padding", 0)
    paddings = padding if isinstance(padding, (tuple, list)) else (padding,)
    divisor_override = args[6] if len(args) > 6 else kwargs.get("divisor_override")
    return bool(any(p != 0 for p in paddings) or divisor_override)
