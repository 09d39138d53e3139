"""Save and load a pruned network's weights in a file that shrinks with sparsity.

For skorch users who prune with :class:`~sklprune.PruningCallback` alone:
:func:`save_pruned` writes a state dict with every tensor in its smallest layout
(dense, bit mask plus non-zero values, or compressed rows), and
:func:`load_pruned` reads it back bit for bit. The file is a :func:`torch.save`
archive of tensors, strings and dicts only, so it loads with
``torch.load(weights_only=True)`` and runs no code.

:class:`~sklprune.PrunedClassifier`, :class:`~sklprune.PrunedClassifierCV` and
:class:`~sklprune.FeatureImportancePruner` need none of this: their pickle and
skops files use the same layouts.
"""

import io
import os
import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._atomic import write_atomic
from ._encoding import decode_tensor, encode_tensor

FORMAT = "sklprune.sparse_state_dict"
VERSION = 1


def save_pruned(module, f):
    """Save a module's state dict, each tensor in its smallest layout.

    Every tensor is stored dense, as a packed bit mask plus its non-zero values,
    or as compressed rows (row pointers, column indices, values), whichever is
    smallest, so the file shrinks as the network is pruned. Dtypes (float32,
    float16, bfloat16, integers, bool), shapes of any rank, buffers, ``-0.0`` and
    non-finite values come back exactly. Tensors shared between names are stored
    once.

    Parameters
    ----------
    module : torch.nn.Module or dict of str to torch.Tensor
        The network, or a state dict such as ``module.state_dict()``.
    f : str, os.PathLike or file object
        Where to write. A path is written atomically: a reader never sees half
        a file, and a failure leaves the previous file in place. A file object
        opened for binary writing is written at its position.

    Returns
    -------
    f : pathlib.Path or file object
        The written path, or ``f`` itself when it is a file object.

    See Also
    --------
    load_pruned : Read the file back.

    Examples
    --------
    >>> import io
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.persistence import load_pruned, save_pruned
    >>> net = nn.Linear(512, 256)
    >>> with torch.no_grad():
    ...     net.weight[:, 32:] = 0.0  # 15 of every 16 weights pruned
    >>> pruned, dense = io.BytesIO(), io.BytesIO()
    >>> _ = save_pruned(net, pruned)
    >>> torch.save(net.state_dict(), dense)
    >>> bool(len(pruned.getvalue()) < len(dense.getvalue()) / 6)
    True
    >>> restored = nn.Linear(512, 256)
    >>> _ = pruned.seek(0)
    >>> _ = load_pruned(pruned, restored)
    >>> torch.equal(restored.weight, net.weight)
    True
    """
    state = _state_dict(module)
    content = {"format": FORMAT, "version": VERSION, "tensors": _encode(state)}
    if _is_file(f, "write"):
        torch.save(content, f)
        return f
    path = Path(os.fspath(f))
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"Cannot save to {str(path)!r}: its folder {str(path.parent)!r} does "
            "not exist. Create it first."
        )
    return write_atomic(path, lambda file: torch.save(content, file))


def load_pruned(f, module=None, *, strict=True, map_location="cpu"):
    """Read a file written by :func:`save_pruned`, into a module or as a state dict.

    Parameters
    ----------
    f : str, os.PathLike or file object
        The file, as a path or as a file object opened for binary reading.
    module : torch.nn.Module or None, default=None
        The network to load the weights into, built as the saved one was (a
        compacted network must be compacted the same way). ``None`` returns
        the state dict instead.
    strict : bool, default=True
        Whether the file's names and the module's state dict names must match
        exactly, as in :meth:`torch.nn.Module.load_state_dict`. Shapes must
        match either way.
    map_location : str, torch.device or None, default="cpu"
        Device of the returned tensors when ``module`` is None. With a module,
        the weights are copied onto the module's own devices.

    Returns
    -------
    module_or_state_dict : torch.nn.Module or dict of str to torch.Tensor
        ``module``, with the weights loaded; or, without one, the state dict.

    Raises
    ------
    ValueError
        When the file was not written by :func:`save_pruned`, when ``strict``
        and names are missing or unexpected, or when a shape differs.

    See Also
    --------
    save_pruned : Write the file.

    Examples
    --------
    >>> import io
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.persistence import load_pruned, save_pruned
    >>> net = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> buffer = io.BytesIO()
    >>> _ = save_pruned(net, buffer)
    >>> _ = buffer.seek(0)
    >>> sorted(load_pruned(buffer))
    ['0.bias', '0.weight', '2.bias', '2.weight']
    >>> _ = buffer.seek(0)
    >>> load_pruned(buffer, nn.Sequential(nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: The file does not fit Sequential: shape mismatch for '0.weight' ...
    """
    source = f if _is_file(f, "read") else os.fspath(f)
    try:
        content = torch.load(source, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise ValueError(
            f"{_describe(f)} is not a file written by sklprune.save_pruned "
            f"(torch.load could not read it: {exc})."
        ) from exc
    state = _decode(content, f)
    if module is None:
        return {key: tensor.to(map_location) for key, tensor in state.items()}
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"module must be a torch.nn.Module or None; got {type(module).__name__}."
        )
    _check_fits(state, module, strict)
    module.load_state_dict(state, strict=strict)
    return module


# ------------------------------------------------------------------ encoding


def _state_dict(module):
    if isinstance(module, nn.Module):
        return module.state_dict()
    if not isinstance(module, Mapping):
        raise TypeError(
            "save_pruned takes a torch.nn.Module or a state dict (a mapping of "
            f"names to tensors); got {type(module).__name__}."
        )
    for key, value in module.items():
        if not isinstance(key, str) or not torch.is_tensor(value):
            raise TypeError(
                "save_pruned takes a state dict of str names to tensors; entry "
                f"{key!r} holds {type(value).__name__}. Pass module.state_dict() "
                "or the module itself."
            )
    return module


def _encode(state):
    tensors, first_name = {}, {}
    for name, tensor in state.items():
        same = _identity(tensor)
        if same in first_name:  # tied weights are stored once
            tensors[name] = {"tied_to": first_name[same]}
            continue
        first_name[same] = name
        entry = encode_tensor(tensor)
        tensors[name] = {
            key: torch.from_numpy(value) if isinstance(value, np.ndarray) else value
            for key, value in entry.items()
        }
    return tensors


def _identity(tensor):
    """What makes two tensors of a state dict the same (tied) weights."""
    if not tensor.numel():
        return id(tensor)
    return (
        tensor.device,
        tensor.untyped_storage().data_ptr(),
        tensor.storage_offset(),
        tensor.dtype,
        tuple(tensor.shape),
        tensor.stride(),
    )


def _decode(content, f):
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ValueError(
            f"{_describe(f)} is not a file written by sklprune.save_pruned. A "
            "plain state dict loads with torch.load and module.load_state_dict."
        )
    if content.get("version") != VERSION:
        raise ValueError(
            f"{_describe(f)} was written in version {content.get('version')!r} of "
            f"the sklprune.save_pruned format; this sklprune reads version "
            f"{VERSION}. Upgrade sklprune to read it."
        )
    state = {}
    for name, entry in content["tensors"].items():
        if "tied_to" in entry:
            state[name] = state[entry["tied_to"]]
            continue
        arrays = {
            key: value.numpy() if torch.is_tensor(value) else value
            for key, value in entry.items()
        }
        state[name] = decode_tensor(arrays, name)
    return state


def _check_fits(state, module, strict):
    expected = module.state_dict()
    problems = [
        f"shape mismatch for {name!r} (file {tuple(state[name].shape)}, module "
        f"{tuple(tensor.shape)})"
        for name, tensor in expected.items()
        if name in state and state[name].shape != tensor.shape
    ]
    if strict:
        missing = [name for name in expected if name not in state]
        unexpected = [name for name in state if name not in expected]
        if missing:
            problems.append(f"missing from the file: {_names(missing)}")
        if unexpected:
            problems.append(f"not in the module: {_names(unexpected)}")
    if problems:
        fix = (
            "Build the module as the saved one was built (same layer sizes; "
            "compacted if it was compacted)"
        )
        if strict and not all(p.startswith("shape") for p in problems):
            fix += ", or pass strict=False to load the names both have"
        name = type(module).__name__
        raise ValueError(f"The file does not fit {name}: {'; '.join(problems)}. {fix}.")


def _names(names, limit=5):
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _is_file(f, method):
    return hasattr(f, method) and not isinstance(f, (str, bytes, os.PathLike))


def _describe(f):
    if isinstance(f, io.IOBase) and hasattr(f, "name"):
        return repr(str(f.name))
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    return "The file object"
