"""Masks written into tensors: exact zeros at the pruned entries, and the zeros counted.

:func:`apply_masks` is the one place where masks become zeros: the pruning callback
(gradients and weights, twice per training batch), :func:`~sklprune.compact` and
:func:`~sklprune.to_inference` all write them through it.
"""

from collections.abc import Mapping

import torch
from torch import nn

# Signed integer of each element size: the view a float tensor is masked through.
_INT_OF_SIZE = {2: torch.int16, 4: torch.int32, 8: torch.int64}


def check_module(module, caller):
    """Raise a TypeError unless ``module`` is a :class:`torch.nn.Module`.

    Parameters
    ----------
    module : object
        What the caller was given as its module.
    caller : str
        The name of the public function, for the message.

    Examples
    --------
    >>> from sklprune.masks import check_module
    >>> check_module([1.0], "compact")
    Traceback (most recent call last):
    ...
    TypeError: compact takes a torch.nn.Module; got list.
    """
    if not isinstance(module, nn.Module):
        hint = ""
        if hasattr(module, "module_") or hasattr(module, "module"):
            hint = " For a fitted skorch net or PrunedClassifier, pass its .module_."
        raise TypeError(
            f"{caller} takes a torch.nn.Module; got {type(module).__name__}.{hint}"
        )


def check_masks(module, masks):
    """Check masks against a module: boolean tensors shaped like its parameters.

    Parameters
    ----------
    module : torch.nn.Module
        The module the masks belong to.
    masks : dict of str to bool tensor, or None
        Parameter name to keep-mask, such as ``PruningCallback.masks_``.

    Returns
    -------
    masks : dict of str to torch.Tensor
        The masks as boolean tensors (empty for ``None``).

    Raises
    ------
    TypeError
        If ``masks`` is not a mapping or a mask is not boolean.
    ValueError
        If a name is not a parameter of the module or a shape differs.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.masks import check_masks
    >>> net = nn.Linear(2, 1)
    >>> check_masks(net, {"weight": torch.tensor([[True, False]])})
    {'weight': tensor([[ True, False]])}
    """
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
def apply_masks(params, masks, *, keep_bits=None):
    """Write masks into tensors: pruned entries become exact zeros.

    Every pruned entry becomes ``+0.0``, also where it held NaN or inf (multiplying
    by a 0/1 mask would leave ``nan * 0 = nan``); kept entries are left untouched.

    Parameters
    ----------
    params : dict of str to torch.Tensor, or torch.nn.Module
        The tensors to mask, by name: parameters, or their gradients. A module
        stands for its parameters, looked up by the names of ``masks``.
    masks : dict of str to torch.Tensor
        Boolean keep-masks (``True`` keeps an entry), one for every tensor to mask,
        shaped like it; moved to its device.
    keep_bits : dict of str to torch.Tensor, default=None
        The keep words of the masks (:func:`keep_bits`), computed once for masks
        applied many times, as the pruning callback applies them after every
        batch: a float tensor is then masked by one bitwise AND, the fastest exact
        way (``benchmarks/bench_masking.py``). Without them, or for a mask without
        its words, pruned entries are filled with zeros.

    Examples
    --------
    >>> import torch
    >>> from sklprune.masks import apply_masks
    >>> w = torch.nn.Parameter(torch.tensor([1.0, float("nan")]))
    >>> apply_masks({"w": w}, {"w": torch.tensor([True, False])})
    >>> w.data
    tensor([1., 0.])
    """
    module = params if isinstance(params, nn.Module) else None
    for name, mask in masks.items():
        tensor = params[name] if module is None else module.get_parameter(name)
        bits = None if keep_bits is None else keep_bits.get(name)
        _zero_pruned(tensor, mask, bits)


def keep_bits(mask, dtype):
    """An integer word per entry: all bits set where kept, none where pruned.

    ANDed with the bits of a float tensor of ``dtype``, the words zero the pruned
    entries exactly; see :func:`apply_masks`.

    Parameters
    ----------
    mask : torch.Tensor of bool
        The keep-mask, laid out (strides, device) like the tensors it will mask.
    dtype : torch.dtype
        The dtype of those tensors.

    Returns
    -------
    bits : torch.Tensor or None
        Signed integers of the size of ``dtype``: -1 where kept, 0 where pruned.
        ``None`` for a dtype that is not floating point or has no integer of its
        size.

    Examples
    --------
    >>> import torch
    >>> from sklprune.masks import keep_bits
    >>> keep_bits(torch.tensor([True, False]), torch.float32)
    tensor([-1,  0], dtype=torch.int32)
    """
    int_dtype = _INT_OF_SIZE.get(dtype.itemsize)
    if int_dtype is None or not dtype.is_floating_point:
        return None
    return mask.to(int_dtype).neg_()


def _zero_pruned(tensor, mask, bits):
    """Write exact zeros at the pruned entries of ``tensor``, NaN and inf included.

    A bitwise AND of the float's bits with the keep word gives +0.0 where pruned
    whatever was there, and leaves kept entries untouched. ``masked_fill_`` is as
    exact but slower on large tensors (``benchmarks/bench_masking.py``).
    """
    if tensor.layout != torch.strided:  # sparse tensors hold no dense storage
        tensor.mul_(mask.to(tensor.device, tensor.dtype))
    elif bits is not None:
        tensor.view(bits.dtype).bitwise_and_(bits)
    else:
        tensor.masked_fill_(~mask.to(tensor.device), 0.0)


def achieved_sparsity(tensors):
    """Fraction of exact zeros over a collection of tensors.

    Parameters
    ----------
    tensors : iterable of torch.Tensor

    Returns
    -------
    sparsity : float

    Examples
    --------
    >>> import torch
    >>> from sklprune.masks import achieved_sparsity
    >>> achieved_sparsity([torch.tensor([0.0, 1.0]), torch.zeros(2)])
    0.75
    """
    zeros = total = 0
    for t in tensors:
        zeros += t.numel() - int(torch.count_nonzero(t))
        total += t.numel()
    return zeros / total if total else 0.0
