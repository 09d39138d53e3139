"""Torch modules as plain Python and numpy, so pickle and skops can store them.

A module is split into a skeleton (the module objects, with every parameter and
buffer slot emptied) and an encoded copy of each tensor. skops can then load the
skeleton's layer types once the user trusts them, and no torch tensor, optimizer or
pickled byte string is ever stored.

Each tensor is encoded by whichever of three layouts is smallest, so a file
shrinks with sparsity:

* ``"dense"``: every entry;
* ``"mask"``: a packed bit mask (one bit per entry) and the non-zero values;
* ``"csr"``: the tensor as a matrix of ``shape[0]`` rows, stored as row pointers,
  column indices (each in the smallest unsigned integer type that holds it) and
  the non-zero values.

An entry counts as zero when all its bits are zero, so ``-0.0`` and NaN are kept
as values and every tensor comes back bit for bit. Dtypes numpy lacks (bfloat16,
the float8 types) travel as their unsigned-integer bit patterns.
"""

import copy
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from .._names import join_name, split_name

LAYOUTS = ("dense", "mask", "csr")

# What one more array costs in a file beyond its bytes: pickle adds about 150
# bytes, skops about 600, torch.save about 250 (measured with the versions in
# pyproject.toml). A sparse layout must save more than this per extra array.
_ARRAY_COST = 256

# The hook tables every module carries, with their empty values. The skeleton is
# stored without the empty ones (in a skops file each costs a few hundred bytes of
# JSON per layer) and module_from_state puts them back.
_EMPTY_ATTRIBUTES = {
    "_forward_hooks": OrderedDict,
    "_backward_hooks": OrderedDict,
    "_forward_pre_hooks": OrderedDict,
    "_forward_pre_hooks_with_kwargs": OrderedDict,
    "_forward_hooks_with_kwargs": OrderedDict,
    "_forward_hooks_always_called": OrderedDict,
    "_state_dict_hooks": OrderedDict,
    "_state_dict_pre_hooks": OrderedDict,
    "_load_state_dict_pre_hooks": OrderedDict,
    "_load_state_dict_post_hooks": OrderedDict,
    "_non_persistent_buffers_set": set,
    "_is_full_backward_hook": lambda: None,
    "_backward_pre_hooks": OrderedDict,
}


def module_to_state(module):
    """Split a module into a tensor-free skeleton and encoded tensors."""
    skeleton = copy.deepcopy(module).cpu()
    parameters, buffers, first_name = {}, {}, {}
    for layer_name, layer in skeleton.named_modules(remove_duplicate=False):
        slot_groups = ((layer._parameters, parameters), (layer._buffers, buffers))
        for slots, store in slot_groups:
            for key, tensor in slots.items():
                if tensor is None:
                    continue
                name = join_name(layer_name, key)
                if id(tensor) in first_name:  # a tied (shared) tensor
                    store[name] = {"tied_to": first_name[id(tensor)]}
                    continue
                first_name[id(tensor)] = name
                entry = encode_tensor(tensor)
                if isinstance(tensor, nn.Parameter) and not tensor.requires_grad:
                    entry["requires_grad"] = False
                store[name] = entry
            # The slots of stored tensors go; module_from_state refills them in
            # order. Empty slots (a Linear without bias) stay.
            for key in [k for k, tensor in slots.items() if tensor is not None]:
                del slots[key]
        for name, empty in _EMPTY_ATTRIBUTES.items():
            if name in layer.__dict__ and layer.__dict__[name] == empty():
                del layer.__dict__[name]
    return {"skeleton": skeleton, "parameters": parameters, "buffers": buffers}


def module_from_state(state, device="cpu"):
    """Rebuild the module that :func:`module_to_state` split."""
    module = state["skeleton"]
    for layer in module.modules():
        for name, empty in _EMPTY_ATTRIBUTES.items():
            if name not in layer.__dict__:
                layer.__dict__[name] = empty()
    tensors = {}
    for group in ("parameters", "buffers"):
        for name, entry in state[group].items():
            layer, key = _locate(module, name)
            if isinstance(entry, dict) and "tied_to" in entry:
                tensor = tensors[entry["tied_to"]]
            elif group == "parameters":
                requires_grad = not isinstance(entry, dict) or entry.get(
                    "requires_grad", True
                )
                tensor = nn.Parameter(decode_tensor(entry, name), requires_grad)
            else:
                tensor = decode_tensor(entry, name)
            tensors[name] = tensor
            getattr(layer, f"_{group}")[key] = tensor
    return module.to(device)


def encode_tensor(tensor):
    """A tensor as a dict of numpy arrays and one string, in its smallest layout.

    The string ``"encoding"`` reads ``"<layout>:<dtype>:<shape>"``, e.g.
    ``"csr:float32:256,300"``; the arrays are ``values`` and, for ``"mask"``,
    ``mask``, for ``"csr"``, ``indptr`` and ``indices``. When some of the zeros
    of a float tensor are ``-0.0`` (pruning by multiplication leaves them),
    ``negative_zeros`` holds one packed bit per zero.
    """
    tensor = tensor.detach().cpu().resolve_conj().resolve_neg()
    dtype = str(tensor.dtype).removeprefix("torch.")
    array = _to_numpy(tensor)
    shape = ",".join(str(n) for n in array.shape)
    flat = array.reshape(-1)
    bits = _bits(flat)
    if bits is None or flat.size == 0:
        return {"encoding": f"dense:{dtype}:{shape}", "values": flat.copy()}
    sign = _sign_bit(tensor.dtype, flat.itemsize)
    keep = (bits & ~sign) != 0 if sign else bits != 0
    nnz = int(np.count_nonzero(keep))
    negative_zeros = None
    if sign and np.any(bits[~keep]):
        negative_zeros = np.packbits(bits[~keep] != 0)
    rows = array.shape[0] if array.ndim >= 2 else 1
    cols = flat.size // rows
    sparse_extra = nnz * flat.itemsize + _ARRAY_COST
    if negative_zeros is not None:
        sparse_extra += negative_zeros.nbytes + _ARRAY_COST
    costs = {
        "dense": flat.size * flat.itemsize,
        "mask": -(-flat.size // 8) + sparse_extra,
        "csr": (rows + 1) * _index_dtype(nnz).itemsize
        + nnz * _index_dtype(cols - 1).itemsize
        + sparse_extra
        + _ARRAY_COST,
    }
    layout = min(LAYOUTS, key=costs.__getitem__)
    entry = {"encoding": f"{layout}:{dtype}:{shape}"}
    if layout == "dense":
        entry["values"] = flat.copy()
        return entry
    if layout == "mask":
        entry["mask"] = np.packbits(keep)
    else:
        per_row = np.count_nonzero(keep.reshape(rows, cols), axis=1)
        indptr = np.zeros(rows + 1, dtype=_index_dtype(nnz))
        np.cumsum(per_row, out=indptr[1:])
        entry["indptr"] = indptr
        entry["indices"] = (np.flatnonzero(keep) % cols).astype(_index_dtype(cols - 1))
    entry["values"] = flat[keep]
    if negative_zeros is not None:
        entry["negative_zeros"] = negative_zeros
    return entry


def decode_tensor(entry, name="tensor"):
    """The tensor that :func:`encode_tensor` encoded, bit for bit.

    A plain numpy array (as files written before the encoding hold) is read as a
    dense tensor. ``name`` labels the error raised for a damaged entry.
    """
    if isinstance(entry, np.ndarray):
        return torch.from_numpy(np.array(entry, copy=True))
    try:
        layout, dtype_name, shape_text = entry["encoding"].split(":")
        dtype = getattr(torch, dtype_name, None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError(f"unknown dtype {dtype_name!r}")
        shape = tuple(int(n) for n in shape_text.split(",") if n)
        size = int(np.prod(shape, dtype=np.int64))
        values = np.asarray(entry["values"])
        if layout == "dense":
            flat = np.array(values, copy=True)
        elif layout in ("mask", "csr"):
            keep = _positions(layout, entry, shape, size)
            flat = np.zeros(size, dtype=values.dtype)
            flat[keep] = values
            if "negative_zeros" in entry:
                zeros = ~keep
                count = int(np.count_nonzero(zeros))
                negative = np.unpackbits(entry["negative_zeros"], count=count)
                sign = _sign_bit(dtype, flat.itemsize)
                _bits(flat)[zeros] = np.where(negative.astype(bool), sign, 0)
        else:
            raise ValueError(f"unknown layout {layout!r}")
        tensor = torch.from_numpy(flat.reshape(shape))
        if tensor.dtype != dtype:
            tensor = tensor.view(dtype)
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        raise ValueError(
            f"The stored tensor {name!r} is damaged or was written by a newer "
            f"version of sklprune ({exc}); it cannot be read."
        ) from exc
    return tensor


def _positions(layout, entry, shape, size):
    """Boolean mask of the stored values' positions in the flat tensor."""
    if layout == "mask":
        return np.unpackbits(entry["mask"], count=size).astype(bool)
    rows = shape[0] if len(shape) >= 2 else 1
    cols = size // rows if rows else 0
    indptr = np.asarray(entry["indptr"], dtype=np.int64)
    row = np.repeat(np.arange(rows, dtype=np.int64), np.diff(indptr))
    keep = np.zeros(size, dtype=bool)
    keep[row * cols + np.asarray(entry["indices"], dtype=np.int64)] = True
    return keep


def _sign_bit(dtype, itemsize):
    """The sign bit of a real floating dtype as an unsigned integer, else 0."""
    if not dtype.is_floating_point:
        return 0
    return np.dtype(f"u{itemsize}").type(1 << (8 * itemsize - 1))


def _to_numpy(tensor):
    """The tensor's entries as numpy holds them; bit patterns where numpy cannot."""
    try:
        return tensor.numpy()
    except TypeError:  # bfloat16, float8: no numpy dtype
        unsigned = {1: torch.uint8, 2: torch.uint16, 4: torch.uint32}
        return tensor.view(unsigned[tensor.element_size()]).numpy()


def _bits(flat):
    """An unsigned-integer view of ``flat``, nonzero where any bit is; else None."""
    if flat.itemsize not in (1, 2, 4, 8):
        return None
    return flat.view(np.dtype(f"u{flat.itemsize}"))


def _index_dtype(largest):
    for dtype in (np.uint8, np.uint16, np.uint32):
        if largest <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def _locate(module, name):
    layer_name, key = split_name(name)
    return module.get_submodule(layer_name), key
