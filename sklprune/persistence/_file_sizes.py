"""The bytes of the files a model makes (pickle, skops), or why one is unknown."""

import importlib.util
import pickle

from torch import nn


def file_sizes(model):
    """Bytes of ``pickle.dumps(model)`` and ``skops.io.dumps(model)``.

    A size that cannot be measured is None, and the reason is in ``missing``:
    skops is not installed, ``model`` is a bare ``torch.nn.Module`` (saved with
    ``torch.save``, not skops), or the library fails on it (skops cannot write a
    skorch net).

    Parameters
    ----------
    model : object
        What to write.

    Returns
    -------
    sizes : dict
        ``{"pickle_bytes": int or None, "skops_bytes": int or None}``.
    missing : dict of str to str
        The keys of ``sizes`` that are None, each with its reason in one line.

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.persistence._file_sizes import file_sizes
    >>> sizes, missing = file_sizes(nn.Linear(4, 2))
    >>> sizes["pickle_bytes"] > 0, sizes["skops_bytes"], list(missing)
    (True, None, ['skops_bytes'])
    """
    missing = {}
    sizes = {
        "pickle_bytes": _file_bytes(model, "pickle", _pickled, missing),
        "skops_bytes": _file_bytes(model, "skops", _skops_writer(model), missing),
    }
    return sizes, missing


def _file_bytes(model, library, write, missing):
    """Bytes of ``write(model)``, or None with the reason put in ``missing``.

    ``write`` writes the model's file into bytes, or is a string that says why
    no such file is measured.
    """
    key = f"{library}_bytes"
    if isinstance(write, str):
        missing[key] = write
        return None
    try:
        return len(write(model))
    except Exception as exc:  # whatever the library raises: the size is unknown
        reason = (str(exc).strip().splitlines() or [""])[0]
        missing[key] = (
            f"{library} cannot write {type(model).__name__} "
            f"({type(exc).__name__}: {reason})"
        )
        return None


def _pickled(model):
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def _skops_writer(model):
    """What writes ``model`` as skops does, or why no skops file is measured."""
    if isinstance(model, nn.Module):
        return (
            "skops saves scikit-learn objects, not a bare torch.nn.Module: see "
            "dense_bytes and sparse_bytes"
        )
    if importlib.util.find_spec("skops") is None:
        return "skops is not installed: pip install 'sklprune[persist]'"
    import skops.io as sio

    return sio.dumps
