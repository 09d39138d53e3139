"""Evaluation that tells the truth: sparsity, size and latency.

* :func:`sparsity_report` counts, per prunable tensor, the parameters, non-zeros and
  multiply-accumulates of one sample, the fractions of both that are gone (the two
  budgets a pruning callback can count in), and gives the compression ratio and the
  ratio of multiply-accumulates the pruning literature asks every result to
  report (a theoretical speed-up: :func:`measure_latency` gives the real one).
* :func:`model_size` serialises the state dict and the model and says how many
  bytes pruning saves on disk; :func:`measure_latency` times inference.

Accuracy against sparsity is :func:`sklprune.pruning_path.pruning_curve`, drawn by
:class:`sklprune.curve_display.PruningCurveDisplay`.
"""

import gzip
import io
import numbers

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from torch import nn
from torch.utils.benchmark import Timer

from ._training.batching import as_batchable, dense_rows, predict_logits
from .callbacks import PruningCallback
from .masks import OutputPositions, find_targets
from .masks._costs import layers_of
from .persistence._file_sizes import file_sizes
from .persistence._state_dict import save_pruned

_REPORT_COLUMNS = [
    "layer",
    "shape",
    "parameters",
    "nonzero",
    "sparsity",
    "dense_macs",
    "macs",
    "macs_sparsity",
    "compression",
    "mac_ratio",
]


# --------------------------------------------------------------------- report


def sparsity_report(model, X=None, *, input_shape=None, targets=None):
    """Per-layer parameters, non-zeros, sparsity and multiply-accumulates.

    One row per prunable tensor and a ``"total"`` row. Everything is counted on the
    model as it is: pruned weights are the exact zeros in its tensors, and a
    compacted model (whose dead neurons were removed) is reported with its smaller
    shapes, so its ratios are relative to those shapes.

    Multiply-accumulates (MACs) are counted for one sample:

    * ``Linear``: ``in_features * out_features`` per input vector (dense), the number
      of non-zero weights per input vector (pruned). Without an example input every
      Linear layer is assumed to see one vector per sample; with one, a layer applied
      to a sequence counts once per position.
    * ``Conv1d``/``Conv2d``/``Conv3d``: ``weight.numel()`` (dense) or the non-zero
      weights (pruned) per output position, times the number of output positions
      (``H_out * W_out`` for a 2-d convolution). The output size needs an example
      input (``X`` or ``input_shape``); without one these MACs are unknown (``NA``).
      Multiplications with zero padding are counted as the dense kernel does them.
    * ``Embedding``/``EmbeddingBag``: 0, a lookup multiplies nothing.
    * Any other target (a bias, a custom parameter chosen by ``targets``): ``NA``.

    Biases, normalisation layers and activations are not counted: they are not
    prunable and cost one operation per output, not per weight.

    For a classifier fitted with ``compact=True`` the report counts the compacted
    module, while its ``sparsity_`` is the sparsity pruning reached before
    compaction.

    Parameters
    ----------
    model : torch.nn.Module, fitted PrunedClassifier, skorch net or Pipeline
        The network to inspect. A :class:`~sklprune.PrunedClassifier` (or a
        :class:`~sklearn.pipeline.Pipeline` ending in one) is read through its
        ``module_`` and the targets of its pruning callback; a skorch net through its
        ``module_``.
    X : array-like, sparse matrix or torch.Tensor, default=None
        An example batch the network accepts (the first rows are enough), used to
        record each layer's output size with forward hooks. For a fitted classifier
        without ``X`` or ``input_shape``, a zero row of ``n_features_in_`` features
        is used.
    input_shape : tuple of int, default=None
        Shape of one sample, without the batch dimension, e.g. ``(1, 28, 28)``; a
        zero batch of that shape is passed forward. Ignored when ``X`` is given.
    targets : None, str, type, callable or list of those, default=None
        Which tensors are prunable; see :func:`sklprune.masks.find_targets`. ``None``
        takes the targets of the model's pruning callback when it has one, else the
        weights of Linear, Conv and Embedding layers.

    Returns
    -------
    report : pandas.DataFrame
        Indexed by parameter name, plus a last row ``"total"``. Columns: ``layer``
        (module type), ``shape``, ``parameters``, ``nonzero``, ``sparsity``
        (fraction of exact zeros: the parameter budget), ``dense_macs`` and
        ``macs`` (per sample, dense and with the zeros skipped; ``NA`` when
        unknown), ``macs_sparsity`` (``1 - macs / dense_macs``: the multiply-add
        budget), ``compression`` (``parameters / nonzero``) and ``mac_ratio``
        (``dense_macs / macs``, the theoretical speed-up of kernels that skip
        zeros; dense kernels do not, see :func:`measure_latency` for the time a
        prediction takes). ``report.attrs`` holds the total row's
        ``"sparsity"``, ``"macs_sparsity"``, ``"compression_ratio"``,
        ``"mac_ratio"``, ``"dense_macs"`` and ``"macs"`` as plain floats.

    See Also
    --------
    model_size : Bytes on disk, dense and compressed.
    measure_latency : The time predictions take.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.evaluation import sparsity_report
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> with torch.no_grad():
    ...     net[0].weight[:, :2] = 0.0  # prune half of the first layer
    >>> report = sparsity_report(net)
    >>> report[["parameters", "nonzero", "dense_macs", "macs"]]
              parameters  nonzero  dense_macs  macs
    0.weight          12        6          12     6
    2.weight           6        6           6     6
    total             18       12          18    12
    >>> report.attrs["compression_ratio"], report.attrs["mac_ratio"]
    (1.5, 1.5)
    """
    module, default_targets, n_features = _resolve_module(model, "sparsity_report")
    params = find_targets(module, default_targets if targets is None else targets)
    example = _example_input(module, X, input_shape, n_features)
    positions = _output_positions(module, params, example)
    rows = []
    for name, p in params.items():
        layer = _owner(module, name)
        n = p.numel()
        nonzero = int((p != 0).sum())
        dense_macs, macs = _macs(layer, name, p, nonzero, positions)
        rows.append(
            {
                "layer": type(layer).__name__ if layer is not None else "",
                "shape": tuple(p.shape),
                "parameters": n,
                "nonzero": nonzero,
                "dense_macs": dense_macs,
                "macs": macs,
            }
        )
    total = {
        "layer": "",
        "shape": (),
        "parameters": sum(r["parameters"] for r in rows),
        "nonzero": sum(r["nonzero"] for r in rows),
        "dense_macs": _sum_known(r["dense_macs"] for r in rows),
        "macs": _sum_known(r["macs"] for r in rows),
    }
    report = pd.DataFrame([*rows, total], index=pd.Index([*params, "total"]))
    report["parameters"] = report["parameters"].astype("int64")
    report["nonzero"] = report["nonzero"].astype("int64")
    for column in ("dense_macs", "macs"):
        report[column] = pd.array(report[column].tolist(), dtype="Int64")
    report["sparsity"] = 1.0 - report["nonzero"] / report["parameters"]
    report["compression"] = [
        _ratio(a, b) for a, b in zip(report.parameters, report.nonzero)
    ]
    report["mac_ratio"] = [_ratio(a, b) for a, b in zip(report.dense_macs, report.macs)]
    report["macs_sparsity"] = [
        1.0 - _ratio(b, a) for a, b in zip(report.dense_macs, report.macs)
    ]
    report = report[_REPORT_COLUMNS]
    last = report.loc["total"]
    report.attrs = {
        "sparsity": float(last["sparsity"]),
        "macs_sparsity": float(last["macs_sparsity"]),
        "compression_ratio": float(last["compression"]),
        "mac_ratio": float(last["mac_ratio"]),
        "dense_macs": _float_or_nan(last["dense_macs"]),
        "macs": _float_or_nan(last["macs"]),
    }
    return report


def _resolve_module(model, caller):
    """(module, targets of its pruning callback or None, n_features or None)."""
    while isinstance(model, Pipeline):
        model = model[-1]
    if isinstance(model, nn.Module):
        return model, None, None
    if not hasattr(model, "fit"):
        raise TypeError(
            f"{caller} needs a torch.nn.Module, a fitted PrunedClassifier or skorch "
            f"net, or a Pipeline ending in one; got {type(model).__name__}."
        )
    module = getattr(model, "module_", None)
    if not isinstance(module, nn.Module):
        raise NotFittedError(
            f"This {type(model).__name__} has no trained module_ yet: call fit "
            f"before {caller}."
        )
    net = getattr(model, "net_", model)
    targets = None
    for _, callback in getattr(net, "callbacks_", []):
        if isinstance(callback, PruningCallback):
            targets = callback.targets
    return module, targets, getattr(model, "n_features_in_", None)


def _owner(module, name):
    """The layer that holds parameter ``name``, or None for a top-level one."""
    if "." not in name:
        return None
    return module.get_submodule(name.rsplit(".", 1)[0])


def _example_input(module, X, input_shape, n_features):
    device = _device(module)
    if X is not None:
        if torch.is_tensor(X):
            return X[:8].to(device)
        return dense_rows(as_batchable(X), slice(0, 8)).to(device)
    if input_shape is not None:
        try:
            shape = tuple(int(s) for s in input_shape)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                "input_shape must be a tuple of ints, the shape of one sample without "
                f"the batch dimension, e.g. (1, 28, 28); got {input_shape!r}."
            ) from exc
        return torch.zeros((1, *shape), device=device)
    if n_features is not None:
        return torch.zeros((1, int(n_features)), device=device)
    return None


def _device(module):
    for p in module.parameters():
        return p.device
    return torch.device("cpu")


def _output_positions(module, params, example):
    """Output positions per sample of each target's layer, from forward hooks.

    Returns ``None`` when there is no example input.
    """
    if example is None:
        return None
    layer_names = [name for name in layers_of(params) if name]
    recorder = OutputPositions(module, layer_names).start(example.shape[0])
    was_training = module.training
    try:
        with torch.inference_mode():
            module.eval()(example)
    except Exception as exc:
        raise ValueError(
            f"The model failed on the example input of shape "
            f"{tuple(example.shape)}: {exc}. Pass X= a few rows the model accepts, "
            "or input_shape= the shape of one sample."
        ) from exc
    finally:
        module.train(was_training)
        recorder.stop()
    return recorder.positions


def _macs(layer, name, p, nonzero, positions):
    """(dense, pruned) MACs of one sample; ``None`` when unknown."""
    if not name.endswith(".weight"):
        return None, None
    if isinstance(layer, nn.Embedding | nn.EmbeddingBag):
        return 0, 0
    layer_name = name.rsplit(".", 1)[0]
    if isinstance(layer, nn.Linear):
        n = 1 if positions is None else positions[layer_name]
    elif isinstance(layer, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        if positions is None:
            return None, None
        n = positions[layer_name]
    else:
        return None, None
    n = round(n)
    return p.numel() * n, nonzero * n


def _sum_known(values):
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _ratio(numerator, denominator):
    if pd.isna(numerator) or pd.isna(denominator):
        return np.nan
    if denominator == 0:
        return np.inf if numerator > 0 else np.nan
    return float(numerator) / float(denominator)


def _float_or_nan(value):
    return np.nan if pd.isna(value) else float(value)


# ------------------------------------------------------------------ size, speed


def model_size(model):
    """Bytes of the model: its state dict dense, gzipped and sparse, and its files.

    Parameters
    ----------
    model : torch.nn.Module, fitted PrunedClassifier, skorch net or Pipeline
        The network whose ``state_dict`` is measured (biases and buffers
        included); the files are those of ``model`` itself (a whole pipeline is
        measured as a whole).

    Returns
    -------
    size : sklearn.utils.Bunch
        ``dense_bytes``: length of ``torch.save(state_dict)``;
        ``gzip_bytes``: that file after gzip (level 9), which squeezes runs of
        zeros; ``sparse_bytes``: length of the file
        :func:`~sklprune.persistence.save_pruned` writes, where every tensor is
        stored dense, as a bit mask plus its non-zero values, or as compressed
        rows, whichever is smallest; ``pickle_bytes``: length of
        ``pickle.dumps(model)``, the file :func:`pickle.dump` or
        :func:`joblib.dump` writes (a :class:`~sklprune.PrunedClassifier`
        stores its tensors in the same sparse layouts, so this shrinks with
        sparsity too); ``skops_bytes``: length of the file :func:`skops.io.dump`
        writes with its default settings. A file size that cannot be measured
        is None: ``skops_bytes`` when skops is not installed, when ``model`` is
        a bare ``torch.nn.Module``, or when skops cannot write the model (a
        skorch net); either size when writing the model fails. ``missing``
        maps the name of each such size to the reason, in one line; it is
        empty when every size was measured.

    See Also
    --------
    sparsity_report : Counts of parameters and non-zeros per layer.
    sklprune.persistence.save_pruned : Write the sparse file of a network.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.evaluation import model_size
    >>> net = nn.Linear(256, 256)
    >>> dense = model_size(net)
    >>> with torch.no_grad():
    ...     net.weight[:, 16:] = 0.0  # about 94 % of the weights
    >>> pruned = model_size(net)
    >>> pruned.dense_bytes == dense.dense_bytes
    True
    >>> bool(pruned.sparse_bytes < dense.dense_bytes / 5)
    True
    >>> pruned.skops_bytes is None, list(pruned.missing)
    (True, ['skops_bytes'])
    """
    module, _, _ = _resolve_module(model, "model_size")
    state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    dense = _saved_bytes(state)
    sparse = io.BytesIO()
    save_pruned(state, sparse)
    files, missing = file_sizes(model)
    return Bunch(
        dense_bytes=len(dense),
        gzip_bytes=len(gzip.compress(dense, compresslevel=9, mtime=0)),
        sparse_bytes=len(sparse.getvalue()),
        **files,
        missing=missing,
    )


def _saved_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def measure_latency(model, X, *, n_repeats=5, warmup=1):
    """Median inference time per 1000 rows, in seconds.

    An estimator (a :class:`~sklprune.PrunedClassifier`, a pipeline, a skorch net)
    is timed through its ``predict``, so validation and preprocessing count as they
    do for a user; a :class:`torch.nn.Module` through its forward pass over ``X`` in
    chunks of 4096 rows. Everything runs under :func:`torch.inference_mode`, with
    the current number of torch threads, timed by
    :class:`torch.utils.benchmark.Timer` (which waits for CUDA kernels to finish).

    Parameters
    ----------
    model : estimator with predict, or torch.nn.Module
        What to time.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows to predict; at least one.
    n_repeats : int, default=5
        Timed runs; the median is returned.
    warmup : int, default=1
        Untimed runs first (memory allocation, lazy initialisation).

    Returns
    -------
    seconds : float
        Median seconds per 1000 rows.

    Examples
    --------
    >>> import numpy as np
    >>> from torch import nn
    >>> from sklprune.evaluation import measure_latency
    >>> net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    >>> X = np.zeros((500, 8), dtype=np.float32)
    >>> bool(measure_latency(net, X, n_repeats=3) > 0)
    True
    """
    for name, value, minimum in (("n_repeats", n_repeats, 1), ("warmup", warmup, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int; got {value!r}.")
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
    if n_rows == 0:
        raise ValueError("measure_latency needs at least one row in X; got 0.")
    if isinstance(model, nn.Module):
        device = _device(model)

        def run():
            predict_logits(model, X, device=device)

    elif hasattr(model, "predict"):

        def run():
            model.predict(X)

    else:
        raise TypeError(
            "measure_latency needs an estimator with predict or a torch.nn.Module; "
            f"got {type(model).__name__}."
        )
    # torch's Timer synchronises CUDA around each run and keeps the thread count
    # under our control, which a bare perf_counter does not.
    timer = Timer(
        stmt="run()", globals={"run": run}, num_threads=torch.get_num_threads()
    )
    with torch.inference_mode():
        for _ in range(warmup):
            run()
        times = [timer.timeit(number=1).median for _ in range(n_repeats)]
    return float(np.median(times)) * 1000.0 / n_rows
