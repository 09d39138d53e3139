"""Compaction: physically remove pruned neurons, so a pruned network gets smaller.

Structured pruning (``granularity="neuron"``) leaves whole rows of weight matrices at
zero, but a masked dense tensor costs as much to store and to multiply as before.
:func:`compact` returns a new module in which every dead hidden unit (a ``Linear``
output row, a ``Conv`` output channel) is gone, together with the input column (or
channel) of the next layer that read it and its entries in the normalisation and
activation layers in between.

A dead unit is not silent: it outputs its bias, which the layers in between turn into a
constant. The next layer adds that constant times its weights to every output, so
compaction folds it into the next layer's bias and the compacted module computes what
the masked one did.

What compaction follows
-----------------------
A chain of layers, each applied to the output of the one before:

* an :class:`~torch.nn.Sequential` (nested ones too, and subclasses such as
  :class:`sklprune.modules.MLP` that keep Sequential's ``forward``), or
* any module that opts in by defining ``__sklprune_chain__(self)``, returning its
  submodules in the order its ``forward`` applies them. Its ``forward`` must be exactly
  that chain (no skip connections, no functional activations or reshapes that the
  chain does not list, no sizes written into the code), since compaction changes the
  widths of the listed layers in place. When the chain starts with a ``Linear`` layer,
  :func:`compact` checks the compacted module against the original on a random batch
  and raises if they disagree. The result keeps the module's class:

  >>> import torch
  >>> from torch import nn
  >>> from sklprune import compact
  >>> class Net(nn.Module):
  ...     def __init__(self):
  ...         super().__init__()
  ...         self.hidden, self.act = nn.Linear(4, 8), nn.ReLU()
  ...         self.out = nn.Linear(8, 2)
  ...     def forward(self, x):
  ...         return self.out(self.act(self.hidden(x)))
  ...     def __sklprune_chain__(self):
  ...         return [self.hidden, self.act, self.out]
  >>> net = Net()
  >>> with torch.no_grad():
  ...     net.hidden.weight[5:] = 0.0
  >>> compact(net).hidden
  Linear(in_features=4, out_features=5, bias=True)

Layers of the chain, by what compaction does with them:

======================================  ================================================
layers                                  role
======================================  ================================================
``Linear``, ``Conv1d``, ``Conv2d``      units removed, inputs removed, biases folded
                                        (``groups=1`` only)
activations, ``Dropout``, ``Identity``  elementwise: constants pass through
``BatchNorm1d/2d``, ``PReLU``           one entry per unit, removed with it
max / adaptive / average pooling        per channel (a zero-padded average keeps the
                                        dead channels whose constant is not zero)
``Flatten()``                           a conv channel becomes a block of columns of
                                        the next ``Linear``
``LayerNorm``, ``GroupNorm``,           mix units: the layer before keeps its full
``Softmax``, ``LogSoftmax``             width (removing a unit would change the mean,
                                        variance or sum over units)
:class:`SelectFeatures`                 the kept input features (first layer only)
======================================  ================================================

Any other layer raises a ``ValueError`` that names it. A dead channel whose constant
is not zero and that feeds a zero-padded convolution is kept too: the padding makes its
contribution differ at the borders, which no bias can express.

The result is equal to the original in evaluation mode (``BatchNorm`` constants are
folded with the running statistics), and it is returned in evaluation mode: it is
meant for inference.
"""

import copy
from collections import OrderedDict
from collections.abc import Mapping

import torch
from torch import nn
from torch.nn.utils import parametrize

HOOK = "__sklprune_chain__"

_SPATIAL_DIMS = {nn.Linear: 0, nn.Conv1d: 1, nn.Conv2d: 2}

# Act on every entry alone: a constant stays a constant, widths are unchanged.
_ELEMENTWISE = frozenset(
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
# One parameter (or statistic) per unit, removed with the unit.
_PER_UNIT = frozenset({nn.BatchNorm1d, nn.BatchNorm2d, nn.PReLU})
# Pool every channel over space; a constant channel stays constant.
_POOLS = {
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
_MIXING = frozenset({nn.LayerNorm, nn.GroupNorm, nn.Softmax, nn.LogSoftmax})


class SelectFeatures(nn.Module):
    """Keep some input features of a batch: the front of an input-pruned module.

    :func:`compact` with ``prune_inputs=True`` puts it before the compacted network, so
    the network still takes the original inputs while its first layer reads only the
    features it uses.

    Parameters
    ----------
    index : sequence of int or torch.Tensor
        Positions of the kept features (columns of a 2-D batch, channels of a
        convolutional one), along dimension 1.
    n_features_in : int
        Number of features of the original input.

    Attributes
    ----------
    index : torch.Tensor
        The kept positions, a buffer saved in the state dict.

    Examples
    --------
    >>> import torch
    >>> from sklprune.compaction import SelectFeatures
    >>> select = SelectFeatures([0, 2], n_features_in=3)
    >>> select
    SelectFeatures(n_features_in=3, n_selected=2)
    >>> select(torch.tensor([[1.0, 2.0, 3.0]]))
    tensor([[1., 3.]])
    """

    def __init__(self, index, n_features_in):
        super().__init__()
        index = torch.as_tensor(index, dtype=torch.long).flatten()
        if index.numel() and not 0 <= int(index.min()) <= int(index.max()) < int(
            n_features_in
        ):
            raise ValueError(
                f"index must lie in [0, {n_features_in}); got values from "
                f"{int(index.min())} to {int(index.max())}."
            )
        self.n_features_in = int(n_features_in)
        self.register_buffer("index", index)

    def forward(self, x):
        if x.shape[1] != self.n_features_in:
            raise ValueError(
                f"Expected input with {self.n_features_in} features along dimension "
                f"1 (the original inputs); got shape {tuple(x.shape)}."
            )
        return x.index_select(1, self.index)

    def extra_repr(self):
        return f"n_features_in={self.n_features_in}, n_selected={self.index.numel()}"


def compact(module, masks=None, *, prune_inputs=False):
    """Return a smaller copy of a module without its pruned hidden units.

    Every hidden unit whose weights are all zero (a ``Linear`` output row, a ``Conv``
    output channel) is removed, with the input column or channel of the next layer
    that read it, and its entries in the ``BatchNorm`` and ``PReLU`` layers in between.
    The constant such a unit still outputs (its bias, through the layers in between)
    is folded into the next layer's bias, and a unit whose outgoing weights are all
    zero is removed too, so the compacted module computes what the masked one does.
    Output units of the last layer are never removed. See :mod:`sklprune.compaction`
    for the layers it follows and how a module of your own opts in.

    Parameters
    ----------
    module : torch.nn.Module
        The pruned network: an ``nn.Sequential`` chain, :class:`sklprune.modules.MLP`,
        or a module with a ``__sklprune_chain__`` method. It is not modified.
    masks : dict of str to torch.Tensor, default=None
        Boolean keep-masks by parameter name, such as ``PruningCallback.masks_``
        (``dict(net.callbacks_)["prune"].masks_`` for a skorch ``net`` whose callback
        is named ``"prune"``). They
        are applied to the copy first, so a unit whose mask row is all ``False`` is
        removed even if its weights were not zeroed. ``None`` uses the weights as they
        are.
    prune_inputs : bool, default=False
        Also remove the input features (columns, or channels of a convolutional first
        layer) that the first layer gives only zero weights. The result is then
        ``nn.Sequential(select=SelectFeatures(...), module=compacted)``: it still takes
        the original inputs, and ``result.select.index`` holds the kept features. When
        no feature can be removed, no ``SelectFeatures`` is added.

    Returns
    -------
    compacted : torch.nn.Module
        A new module in evaluation mode; the same class and layer names as ``module``
        (narrower layers), wrapped as described above when inputs were removed. An
        unpruned module gives an equal copy. A layer that would lose every unit keeps
        one, so no layer has width zero. A ``Linear`` or ``Conv`` without bias gains
        one when a constant is folded into it.

    Raises
    ------
    ValueError
        If the module holds a layer compaction cannot follow (the message names it),
        if ``masks`` name unknown parameters or have wrong shapes, or if widths of
        consecutive layers do not match.
    TypeError
        If ``module`` is not a torch module or a mask is not boolean.

    See Also
    --------
    sklprune.PruningCallback : Prunes a skorch net; ``granularity="neuron"`` prunes
        the whole units that compaction removes.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune import compact
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    >>> with torch.no_grad():
    ...     net[0].weight[2:] = 0.0  # units 2..7 pruned; their biases stay
    >>> small = compact(net)
    >>> small
    Sequential(
      (0): Linear(in_features=4, out_features=2, bias=True)
      (1): ReLU()
      (2): Linear(in_features=2, out_features=2, bias=True)
    )
    >>> x = torch.randn(5, 4)
    >>> torch.allclose(small(x), net(x), atol=1e-6)
    True
    """
    if not isinstance(module, nn.Module):
        hint = ""
        if hasattr(module, "module_") or hasattr(module, "module"):
            hint = " For a fitted skorch net or PrunedClassifier, pass its .module_."
        raise TypeError(
            f"compact takes a torch.nn.Module; got {type(module).__name__}.{hint}"
        )
    if not isinstance(prune_inputs, bool):
        raise TypeError(f"prune_inputs must be True or False; got {prune_inputs!r}.")
    masks = _check_masks(module, masks)
    _check_reparametrisations(module)
    compacted = copy.deepcopy(module).eval()
    _apply_masks(compacted, masks)
    layers, uses_hook = _chain(compacted)
    _check_layers(layers)
    reference = copy.deepcopy(compacted) if uses_hook else None
    added = None
    if prune_inputs:
        compacted, layers, added = _with_selection(compacted, layers)
    with torch.no_grad():
        while _compact_pass(layers, prune_inputs):
            pass
    if added is not None and added.index.numel() == added.n_features_in:
        compacted = compacted.module
    if reference is not None:
        _verify(reference, compacted, module)
    return compacted


# --------------------------------------------------------------------- the chain


def _chain(top):
    """Flatten a module into its leaf layers in the order its forward applies them."""
    names = {}
    for name, m in top.named_modules(remove_duplicate=False):
        names.setdefault(id(m), name)
    layers, seen = [], set()
    uses_hook = False

    def visit(m):
        nonlocal uses_hook
        if callable(getattr(type(m), HOOK, None)):
            uses_hook = True
            children = _hook_chain(m, names)
        elif isinstance(m, nn.Sequential):
            if type(m).forward is not nn.Sequential.forward:
                raise ValueError(
                    f"compact cannot follow {_describe(names[id(m)], m)}: it overrides "
                    f"the forward of nn.Sequential. Define {type(m).__name__}."
                    f"{HOOK}() returning its layers in the order forward applies "
                    "them (see sklprune.compaction)."
                )
            children = list(m)
        else:
            if id(m) in seen:
                raise ValueError(
                    f"compact cannot follow {_describe(names[id(m)], m)}: it is used "
                    "twice in the chain, and a shared layer cannot be narrowed for "
                    "one use only."
                )
            seen.add(id(m))
            layers.append((names[id(m)], m))
            return
        for child in children:
            visit(child)

    visit(top)
    return layers, uses_hook


def _hook_chain(m, names):
    chain = getattr(m, HOOK)()
    owned = {id(sub) for sub in m.modules() if sub is not m}
    try:
        chain = list(chain)
    except TypeError:
        chain = [chain]
    for layer in chain:
        if not isinstance(layer, nn.Module) or id(layer) not in owned:
            raise ValueError(
                f"{type(m).__name__}.{HOOK}() must return submodules of the module, "
                f"in the order its forward applies them; got {layer!r}."
            )
    if not chain:
        raise ValueError(f"{type(m).__name__}.{HOOK}() returned no layer.")
    return chain


def _check_layers(layers):
    """Refuse, before changing anything, every layer compaction cannot follow."""
    for position, (name, layer) in enumerate(layers):
        kind = type(layer)
        problem = None
        if kind in _SPATIAL_DIMS:
            if any(_is_uninitialized(p) for p in layer.parameters(recurse=False)):
                problem = "its parameters are not initialised yet; run a forward first"
            elif kind is not nn.Linear and layer.groups != 1:
                problem = f"grouped convolution (groups={layer.groups})"
        elif kind is SelectFeatures:
            if position:
                problem = "SelectFeatures can only be the first layer"
        elif kind is nn.Flatten:
            if (layer.start_dim, layer.end_dim) != (1, -1):
                problem = "only nn.Flatten() with start_dim=1, end_dim=-1 is followed"
        elif kind in _POOLS:
            if getattr(layer, "return_indices", False):
                problem = "pooling with return_indices=True"
        elif kind not in _ELEMENTWISE | _PER_UNIT | _MIXING:
            problem = (
                "it is not a Linear, Conv1d, Conv2d, activation, dropout, "
                "normalisation, pooling or Flatten layer, nor an nn.Sequential. A "
                f"module of your own can define {HOOK}() returning its layers in the "
                "order its forward applies them (see sklprune.compaction)"
            )
        if problem is not None:
            raise ValueError(
                f"compact cannot follow {_describe(name, layer)}: {problem}."
            )


def _check_reparametrisations(module):
    """Refuse weights computed by hooks, which cannot be copied or narrowed."""
    for name, layer in module.named_modules():
        problem = None
        if hasattr(layer, "weight_orig"):
            problem = (
                "it carries a torch.nn.utils.prune reparametrisation; call "
                "torch.nn.utils.prune.remove(layer, 'weight') first"
            )
        elif parametrize.is_parametrized(layer):
            problem = (
                "it has a parametrization; call "
                "torch.nn.utils.parametrize.remove_parametrizations first"
            )
        if problem is not None:
            raise ValueError(
                f"compact cannot follow {_describe(name, layer)}: {problem}."
            )


def _describe(name, layer):
    where = f"layer {name!r}" if name else "the module"
    return f"{where} ({type(layer).__name__})"


def _is_uninitialized(p):
    return isinstance(p, nn.parameter.UninitializedParameter)


# --------------------------------------------------------------------- masks


def _check_masks(module, masks):
    if masks is None:
        return {}
    if not isinstance(masks, Mapping):
        raise TypeError(
            "masks must be a dict of parameter name to boolean tensor, such as "
            f"PruningCallback.masks_; got {type(masks).__name__}."
        )
    params = dict(module.named_parameters())
    unknown = sorted(set(masks) - set(params))
    if unknown:
        raise ValueError(
            f"masks name parameters the module does not have: {unknown}. Keys are "
            f"parameter names of the module, such as {list(params)[:3]}."
        )
    checked = {}
    for name, mask in masks.items():
        mask = torch.as_tensor(mask)
        if mask.dtype != torch.bool:
            raise TypeError(
                f"The mask of {name!r} must be boolean (True keeps a weight); got "
                f"dtype {mask.dtype}."
            )
        if tuple(mask.shape) != tuple(params[name].shape):
            raise ValueError(
                f"The mask of {name!r} has shape {tuple(mask.shape)}, but the "
                f"parameter has shape {tuple(params[name].shape)}: the masks belong "
                "to another module."
            )
        checked[name] = mask
    return checked


@torch.no_grad()
def _apply_masks(module, masks):
    for name, mask in masks.items():
        param = module.get_parameter(name)
        param.masked_fill_(~mask.to(param.device), 0.0)


# --------------------------------------------------------------------- compaction


def _with_selection(compacted, layers):
    """Put a SelectFeatures in front, unless the chain starts with one already."""
    if layers and type(layers[0][1]) is SelectFeatures:
        return compacted, layers, None
    first = next((layer for _, layer in layers if type(layer) in _SPATIAL_DIMS), None)
    if first is None:
        raise ValueError(
            "prune_inputs=True needs a Linear or Conv layer to read the inputs; the "
            "module has none."
        )
    n_in = first.in_features if type(first) is nn.Linear else first.in_channels
    select = SelectFeatures(torch.arange(n_in), n_in).to(first.weight.device)
    wrapped = nn.Sequential(OrderedDict(select=select, module=compacted)).eval()
    return wrapped, [("select", select), *layers], select


def _compact_pass(layers, prune_inputs):
    """Remove every removable unit once; return whether anything changed."""
    changed = False
    producer = None
    for name, layer in layers:
        kind = type(layer)
        if kind in _SPATIAL_DIMS:
            if producer is not None:
                changed |= producer.feed(name, layer)
            producer = _Producer.of_layer(name, layer)
        elif kind is SelectFeatures:
            if prune_inputs:
                producer = _Producer.of_inputs(name, layer, layers)
        elif kind in _MIXING:
            if producer is not None and producer.is_inputs:
                raise ValueError(
                    f"prune_inputs=True cannot remove input features: they pass "
                    f"through {_describe(name, layer)}, which mixes them, before the "
                    "first layer."
                )
            producer = None
        elif producer is not None:
            producer.through(name, layer)
    return changed


class _Producer:
    """A layer whose output units may be removed, and the path to their consumer.

    ``const`` holds, for every dead unit, the constant it feeds forward, shaped like
    a batch of two samples with spatial size one: ``(2, width[, 1[, 1]])``, or
    ``(2, width * block)`` once flattened and the block size is known.
    """

    def __init__(self, name, layer, width, spatial, dead, const, is_inputs=False):
        self.name = name
        self.layer = layer
        self.width = width
        self.spatial = spatial
        self.dead = dead
        self.const = const
        self.is_inputs = is_inputs
        self.path = []
        self.flattened = False
        self.block = None

    @classmethod
    def of_layer(cls, name, layer):
        spatial = _SPATIAL_DIMS[type(layer)]
        weight = layer.weight
        width = weight.shape[0]
        dead = ~(weight.reshape(width, -1) != 0).any(dim=1)
        if layer.bias is None:
            bias = torch.zeros(width, dtype=weight.dtype, device=weight.device)
        else:
            bias = layer.bias.detach()
        const = torch.where(dead, bias, torch.zeros_like(bias))
        const = const.reshape(1, width, *[1] * spatial).repeat(2, *[1] * (spatial + 1))
        return cls(name, layer, width, spatial, dead, const)

    @classmethod
    def of_inputs(cls, name, layer, layers):
        first = next(lay for _, lay in layers if type(lay) in _SPATIAL_DIMS)
        width = layer.index.numel()
        spatial = _SPATIAL_DIMS[type(first)]
        dead = torch.zeros(width, dtype=torch.bool, device=layer.index.device)
        const = torch.zeros(2, width, *[1] * spatial, device=first.weight.device)
        return cls(name, layer, width, spatial, dead, const, is_inputs=True)

    # ------------------------------------------------------------ along the path

    def through(self, name, layer):
        kind = type(layer)
        if kind is nn.Flatten:
            if self.is_inputs:
                raise ValueError(
                    "prune_inputs=True cannot tell which input features reach the "
                    f"first layer through {_describe(name, layer)}; remove input "
                    "features before flattening."
                )
            self.flattened = self.flattened or self.spatial > 0
            return
        if kind in _POOLS:
            if self.flattened or self.spatial != _POOLS[kind]:
                raise self._mismatch(name, layer, "a pooling layer of other dimension")
            if _pool_breaks_constants(layer):
                self.dead = self.dead & (self._unit_const() == 0)
            return
        if kind in _PER_UNIT and not (kind is nn.PReLU and layer.num_parameters == 1):
            size = layer.num_parameters if kind is nn.PReLU else layer.num_features
            if self.flattened:
                self._set_block(name, layer, size)
            if size != self.width * (self.block if self.flattened else 1):
                raise self._mismatch(name, layer, f"{size} entries")
            self.path.append(layer)
        try:
            self.const = layer(self.const)
        except Exception as exc:
            raise ValueError(
                f"compact cannot follow {_describe(name, layer)} after "
                f"{_describe(self.name, self.layer)}: {exc}"
            ) from exc

    # ------------------------------------------------------------ the consumer

    def feed(self, name, layer):
        """Remove units that ``layer`` reads; return whether any was removed."""
        kind = type(layer)
        if kind is nn.Linear:
            if self.spatial and not self.flattened:
                raise ValueError(
                    f"compact cannot follow {_describe(name, layer)}: it reads the "
                    "last dimension of the output of "
                    f"{_describe(self.name, self.layer)}, not its channels. Put an "
                    "nn.Flatten() in between."
                )
            if self.flattened:
                self._set_block(name, layer, layer.in_features)
            block = self.block if self.flattened else 1
            if layer.in_features != self.width * block:
                raise self._mismatch(name, layer, f"{layer.in_features} inputs")
            weight = layer.weight.reshape(layer.out_features, self.width, block)
            unused = ~(weight != 0).any(dim=2).any(dim=0)
            removable = self.dead | unused
        else:
            if self.flattened or self.spatial != _SPATIAL_DIMS[kind]:
                raise self._mismatch(name, layer, "an input of other dimension")
            if layer.in_channels != self.width:
                raise self._mismatch(name, layer, f"{layer.in_channels} in_channels")
            block = 1
            unused = ~(layer.weight != 0).transpose(0, 1).reshape(self.width, -1).any(1)
            dead = self.dead
            if _pads_with_zeros(layer):
                dead = dead & (self._unit_const() == 0)
            removable = dead | unused
        if bool(removable.all()):
            removable[0] = False  # no layer of width zero
        if not bool(removable.any()):
            return False
        self._fold(layer, removable & self.dead, block)
        keep = ~removable
        self._narrow_producer(keep)
        for norm in self.path:
            per_entry = keep.repeat_interleave(_norm_block(norm, self.width))
            _narrow_per_unit(norm, per_entry)
        _narrow_inputs(layer, keep.repeat_interleave(block))
        return True

    def _fold(self, layer, folded, block):
        """Add the constants of removed dead units to ``layer``'s bias."""
        if not bool(folded.any()):
            return
        if type(layer) is nn.Linear:
            const = self.const[0].reshape(-1)
            columns = folded.repeat_interleave(block)
            shift = layer.weight[:, columns] @ const[columns].to(layer.weight.dtype)
        else:
            const = self._unit_const()[folded].to(layer.weight.dtype)
            shape = (1, -1) + (1,) * (layer.weight.dim() - 2)
            shift = (layer.weight[:, folded] * const.reshape(shape)).sum(
                dim=tuple(range(1, layer.weight.dim()))
            )
        if not bool((shift != 0).any()):
            return
        bias = shift if layer.bias is None else layer.bias.detach() + shift
        requires_grad = layer.weight.requires_grad
        layer.bias = nn.Parameter(bias, requires_grad=requires_grad)

    def _narrow_producer(self, keep):
        layer = self.layer
        if type(layer) is SelectFeatures:
            layer.index = layer.index[keep]
            return
        _set_param(layer, "weight", layer.weight[keep])
        if layer.bias is not None:
            _set_param(layer, "bias", layer.bias[keep])
        size = int(keep.sum())
        if type(layer) is nn.Linear:
            layer.out_features = size
        else:
            layer.out_channels = size

    # ------------------------------------------------------------ helpers

    def _unit_const(self):
        """One constant per unit (before any flattening)."""
        return self.const[0].reshape(self.width, -1)[:, 0]

    def _set_block(self, name, layer, size):
        if self.block is None:
            if size % self.width:
                raise self._mismatch(name, layer, f"{size} inputs")
            self.block = size // self.width
            self.const = self.const.reshape(2, self.width).repeat_interleave(
                self.block, dim=1
            )

    def _mismatch(self, name, layer, what):
        return ValueError(
            f"compact cannot follow {_describe(name, layer)}: it expects {what}, but "
            f"follows {_describe(self.name, self.layer)} with {self.width} output "
            "units. The module's layers are not one chain as listed."
        )


def _norm_block(norm, width):
    """Entries of a per-unit layer for every unit (more than one after Flatten)."""
    size = norm.num_parameters if type(norm) is nn.PReLU else norm.num_features
    return size // width


def _narrow_per_unit(layer, keep):
    if type(layer) is nn.PReLU:
        _set_param(layer, "weight", layer.weight[keep])
        layer.num_parameters = int(keep.sum())
        return
    if layer.weight is not None:
        _set_param(layer, "weight", layer.weight[keep])
        _set_param(layer, "bias", layer.bias[keep])
    if layer.running_mean is not None:
        layer.running_mean = layer.running_mean[keep]
        layer.running_var = layer.running_var[keep]
    layer.num_features = int(keep.sum())


def _narrow_inputs(layer, keep):
    _set_param(layer, "weight", layer.weight[:, keep])
    if type(layer) is nn.Linear:
        layer.in_features = int(keep.sum())
    else:
        layer.in_channels = int(keep.sum())


def _set_param(layer, name, value):
    old = getattr(layer, name)
    setattr(
        layer,
        name,
        nn.Parameter(value.detach().contiguous(), requires_grad=old.requires_grad),
    )


def _pads_with_zeros(conv):
    if conv.padding_mode != "zeros" or conv.padding == "valid":
        return False
    if conv.padding == "same":
        return any(d * (k - 1) > 0 for d, k in zip(conv.dilation, conv.kernel_size))
    return any(p > 0 for p in conv.padding)


def _pool_breaks_constants(pool):
    """Whether an average pool turns a constant channel into a non-constant one."""
    if type(pool) not in (nn.AvgPool1d, nn.AvgPool2d):
        return False
    if pool.divisor_override:
        return True
    padding = pool.padding if isinstance(pool.padding, tuple) else (pool.padding,)
    return pool.count_include_pad and any(p > 0 for p in padding)


# --------------------------------------------------------------------- checking


@torch.no_grad()
def _verify(reference, compacted, original):
    """Compare on a random batch when the input width is known (Linear first)."""
    layers, _ = _chain(reference)
    n_in = None
    for _, layer in layers:
        kind = type(layer)
        if kind is SelectFeatures:
            n_in = layer.n_features_in
            break
        if kind is nn.Linear:
            n_in = layer.in_features
            break
        if kind not in _ELEMENTWISE and kind not in (nn.BatchNorm1d, nn.PReLU):
            return
    if n_in is None:
        return
    weight = next(reference.parameters())
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(8, n_in, generator=generator).to(weight.device, weight.dtype)
    expected = reference(x)
    problem = None
    try:
        got = compacted(x)
    except Exception as exc:  # a forward that relies on the old widths
        problem = exc
    else:
        scale = float(expected.abs().max()) if expected.numel() else 0.0
        if expected.shape != got.shape or not torch.allclose(
            got, expected, rtol=1e-3, atol=1e-4 * (1.0 + scale), equal_nan=True
        ):
            problem = "outputs differ on a random batch"
    if problem is not None:
        raise ValueError(
            f"The compacted {type(original).__name__} does not compute what the "
            f"original does ({problem}): its forward is not the chain that its "
            f"{HOOK}() returns (a functional activation, reshape or skip connection "
            "that the chain does not list?)."
        )
