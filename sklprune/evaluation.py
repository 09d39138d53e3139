"""Evaluation that tells the truth: sparsity, size, latency, pruning curves.

* :func:`sparsity_report` counts, per prunable tensor, the parameters, non-zeros and
  multiply-accumulates of one sample, and gives the compression ratio and the
  theoretical speed-up the pruning literature asks every result to report.
* :func:`model_size` serialises the state dict and says how many bytes pruning saves
  on disk; :func:`measure_latency` times inference.
* :func:`pruning_curve` scores a whole range of sparsities with cross-validation for
  about the price of two fits per fold (a *pruning path*), and
  :class:`PruningCurveDisplay` draws it.
"""

import gzip
import io
import math
import numbers
import time

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch, _safe_indexing, check_random_state, indexable
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d, validate_data
from skorch.callbacks import EarlyStopping
from torch import nn

from ._batching import as_batchable, dense_rows, predict_logits
from .callbacks import PruningCallback
from .classifier import PrunedClassifier, _seeded_torch
from .masks import check_sparsity, find_targets

DEFAULT_SPARSITIES = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98)

_REPORT_COLUMNS = [
    "layer",
    "shape",
    "parameters",
    "nonzero",
    "sparsity",
    "dense_macs",
    "macs",
    "compression",
    "speedup",
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
        (fraction of exact zeros), ``dense_macs`` and ``macs`` (per sample, dense
        and with the zeros skipped; ``NA`` when unknown), ``compression``
        (``parameters / nonzero``) and ``speedup`` (``dense_macs / macs``).
        ``report.attrs`` holds the total row's ``"sparsity"``,
        ``"compression_ratio"``, ``"speedup"``, ``"dense_macs"`` and ``"macs"`` as
        plain floats.

    See Also
    --------
    model_size : Bytes on disk, dense and compressed.

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
    >>> report.attrs["compression_ratio"], report.attrs["speedup"]
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
    report["speedup"] = [_ratio(a, b) for a, b in zip(report.dense_macs, report.macs)]
    report = report[_REPORT_COLUMNS]
    last = report.loc["total"]
    report.attrs = {
        "sparsity": float(last["sparsity"]),
        "compression_ratio": float(last["compression"]),
        "speedup": float(last["speedup"]),
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
    layers = {}
    for name in params:
        layer = _owner(module, name)
        if layer is not None:
            layers[name.rsplit(".", 1)[0]] = layer
    positions = dict.fromkeys(layers, 0)
    n_samples = example.shape[0]

    def record(layer_name):
        def hook(layer, inputs, output):
            if torch.is_tensor(output) and output.dim() >= 1:
                units = _units(layer)
                per_sample = output.numel() / max(n_samples, 1)
                positions[layer_name] += per_sample / units if units else 0

        return hook

    handles = [
        layer.register_forward_hook(record(layer_name))
        for layer_name, layer in layers.items()
    ]
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
        for handle in handles:
            handle.remove()
    return positions


def _units(layer):
    if isinstance(layer, nn.Linear):
        return layer.out_features
    if isinstance(layer, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        return layer.out_channels
    return 0


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
    """Bytes of the model's state dict: dense, gzip-compressed, and sparse.

    Parameters
    ----------
    model : torch.nn.Module, fitted PrunedClassifier, skorch net or Pipeline
        The network whose ``state_dict`` is measured (biases and buffers included).

    Returns
    -------
    size : sklearn.utils.Bunch
        ``dense_bytes``: length of ``torch.save(state_dict)``;
        ``gzip_bytes``: that file after gzip (level 9), which squeezes runs of
        zeros; ``sparse_bytes``: length of ``torch.save`` of the sparse encoding,
        where every tensor that gets smaller is stored as a packed bit mask (one bit
        per entry) plus its non-zero values, losslessly; a tensor is encoded only
        when that saves more than the ~250 bytes its extra entries cost, so a
        dense or tiny model measures the same as ``dense_bytes``.

    See Also
    --------
    sparsity_report : Counts of parameters and non-zeros per layer.

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
    """
    module, _, _ = _resolve_module(model, "model_size")
    state = {k: v.detach().cpu() for k, v in module.state_dict().items()}
    dense = _saved_bytes(state)
    return Bunch(
        dense_bytes=len(dense),
        gzip_bytes=len(gzip.compress(dense, compresslevel=9, mtime=0)),
        sparse_bytes=len(_saved_bytes(_encode_sparse(state))),
    )


def _saved_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


# Bytes torch.save adds for a mask-and-values entry over a plain tensor (measured
# about 250 with torch 2.x): tensors that would save less stay dense.
_ENTRY_OVERHEAD = 256


def _encode_sparse(state):
    """Store each tensor as (bit mask, non-zero values) where that is smaller."""
    encoded = {}
    for key, tensor in state.items():
        keep = tensor != 0
        nonzero = int(keep.sum())
        packed = math.ceil(tensor.numel() / 8) + nonzero * tensor.element_size()
        if packed + _ENTRY_OVERHEAD < tensor.numel() * tensor.element_size():
            bits = np.packbits(keep.flatten().numpy())
            encoded[key] = {
                "shape": tuple(tensor.shape),
                "mask": torch.from_numpy(bits),
                "values": tensor[keep].clone(),
            }
        else:
            encoded[key] = tensor
    return encoded


def _decode_sparse(encoded):
    """Inverse of :func:`_encode_sparse`."""
    state = {}
    for key, item in encoded.items():
        if torch.is_tensor(item):
            state[key] = item
            continue
        numel = math.prod(item["shape"])
        keep = np.unpackbits(item["mask"].numpy(), count=numel).astype(bool)
        values = item["values"]
        tensor = torch.zeros(numel, dtype=values.dtype)
        tensor[torch.from_numpy(keep)] = values
        state[key] = tensor.reshape(item["shape"])
    return state


def measure_latency(model, X, *, n_repeats=5, warmup=1):
    """Median inference time per 1000 rows, in seconds.

    An estimator (a :class:`~sklprune.PrunedClassifier`, a pipeline, a skorch net)
    is timed through its ``predict``, so validation and preprocessing count as they
    do for a user; a :class:`torch.nn.Module` through its forward pass over ``X`` in
    chunks of 4096 rows. Everything runs under :func:`torch.inference_mode`, with
    the current number of torch threads.

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
    times = []
    with torch.inference_mode():
        for i in range(warmup + n_repeats):
            start = time.perf_counter()
            run()
            if i >= warmup:
                times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000.0 / n_rows


# ------------------------------------------------------------------ the path


def pruning_curve(
    estimator,
    X,
    y,
    *,
    sparsities=DEFAULT_SPARSITIES,
    groups=None,
    cv=5,
    scoring=None,
    finetune_epochs=None,
    return_train_score=True,
    n_jobs=None,
    verbose=0,
):
    """Cross-validated scores along a pruning path, like ``validation_curve``.

    A pruning path trains **once** per fold and then prunes further, the way
    :func:`~sklearn.linear_model.lasso_path` reuses one solution for the next:

    1. the estimator is cloned and fitted on the training fold at the lowest
       sparsity, with its own schedule and epochs (a dense fit when the lowest is 0);
    2. for every higher sparsity, the same network trains ``finetune_epochs + 1``
       more epochs: the first ends with a one-shot pruning step to the new sparsity
       (by the estimator's strategy, scope and granularity; weights pruned before
       stay pruned), the others fine-tune at it. Each point is thus scored after the
       same fine-tuning a :class:`~sklprune.PrunedClassifier` does after its last
       pruning step.

    A fold costs ``max_epochs + (n_points - 1) * (finetune_epochs + 1)`` epochs
    instead of ``n_points * max_epochs`` for
    :func:`~sklearn.model_selection.validation_curve`: with the default
    ``max_epochs=40, finetune_epochs=10``, six points cost 2.4 fits instead of six.
    Path points are fine-tuned one-shot prunings of a trained network, so they can
    score differently from a fresh fit at the same sparsity (gradual schedule from
    scratch): a path point starts from a trained network and has trained more
    epochs in total. ``benchmarks/bench_pruning_path.py`` compares both.

    Fine-tuning steps run for a fixed number of epochs on the whole training fold:
    early stopping, when the estimator uses it, applies to the first fit only. The
    path trains without compaction (``compact=True`` is ignored): compaction removes
    dead units without changing predictions, and a compacted network cannot be
    pruned further.

    Parameters
    ----------
    estimator : PrunedClassifier or Pipeline ending in one
        Cloned for every fold; preprocessing steps are fitted on each training fold.
        Its ``sparsity`` is replaced by each value of ``sparsities``.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Class labels.
    sparsities : array-like of float, default=(0.0, 0.5, 0.75, 0.9, 0.95, 0.98)
        Target sparsities in [0, 1); sorted ascending, duplicates dropped.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter such as
        :class:`~sklearn.model_selection.GroupKFold`.
    cv : int, cross-validation generator or iterable, default=5
        As for :func:`~sklearn.model_selection.cross_validate`; an int gives a
        :class:`~sklearn.model_selection.StratifiedKFold`.
    scoring : str, callable or None, default=None
        One scorer, as for :func:`~sklearn.model_selection.cross_validate`;
        ``None`` uses accuracy.
    finetune_epochs : int or None, default=None
        Fine-tuning epochs after each pruning step of the path; ``None`` uses the
        estimator's ``finetune_epochs``.
    return_train_score : bool, default=True
        Also score every point on its training fold.
    n_jobs : int or None, default=None
        Folds run in parallel with joblib; ``None`` means 1.
    verbose : int, default=0
        Print one line per point when positive.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``sparsities`` (n_points,): the sorted targets. ``test_scores``,
        ``train_scores`` (only with ``return_train_score``), ``achieved_sparsity``
        (fraction of the prunable weights that are zero), ``compression_ratio``
        (prunable weights / non-zero ones) and ``fit_time`` (seconds to reach the
        point: the whole first fit, then each path step), each an array of shape
        (n_points, n_folds). ``frame``: the same as a tidy
        :class:`pandas.DataFrame`, one row per point and fold. ``score_name``: a
        label for the score.

    See Also
    --------
    PruningCurveDisplay : Plot the result.
    PrunedClassifierCV : Choose the sparsity by this cross-validation.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedClassifier
    >>> from sklprune.evaluation import pruning_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     PrunedClassifier(hidden_layer_sizes=(32,), max_epochs=10,
    ...                      finetune_epochs=2, random_state=0),
    ... )
    >>> curve = pruning_curve(clf, X, y, sparsities=[0.0, 0.5, 0.9], cv=3)
    >>> curve.test_scores.shape
    (3, 3)
    >>> curve.achieved_sparsity.mean(axis=1).round(2)
    array([0. , 0.5, 0.9])
    >>> bool(curve.test_scores.mean(axis=1).min() > 0.9)
    True
    """
    sparsities = _check_sparsities(sparsities)
    _classifier_and_prefix(estimator)
    if finetune_epochs is not None and (
        isinstance(finetune_epochs, bool)
        or not isinstance(finetune_epochs, numbers.Integral)
        or finetune_epochs < 0
    ):
        raise ValueError(
            f"finetune_epochs must be None or an int >= 0; got {finetune_epochs!r}."
        )
    scorer = _check_single_scorer(estimator, scoring)
    X, y, groups = indexable(X, y, groups)
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    folds = list(cv.split(X, y, groups))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fold_path)(
            clone(estimator),
            X,
            y,
            train,
            test,
            sparsities,
            scorer,
            finetune_epochs,
            return_train_score,
            verbose,
            fold,
        )
        for fold, (train, test) in enumerate(folds)
    )
    return _curve_result(sparsities, results, return_train_score, scoring)


def _check_sparsities(sparsities):
    values = np.asarray(sparsities, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("sparsities must hold at least one value in [0, 1).")
    for value in values:
        check_sparsity(float(value), name="Every value of sparsities")
    return np.unique(values)


def _classifier_and_prefix(estimator):
    """The PrunedClassifier inside ``estimator`` and the prefix of its parameters."""
    prefix = ""
    while isinstance(estimator, Pipeline):
        prefix += estimator.steps[-1][0] + "__"
        estimator = estimator[-1]
    if not isinstance(estimator, PrunedClassifier):
        raise TypeError(
            "The pruning path needs a PrunedClassifier, or a Pipeline whose last "
            f"step is one; got {type(estimator).__name__}."
        )
    return estimator, prefix


def _check_single_scorer(estimator, scoring):
    if not (scoring is None or isinstance(scoring, str) or callable(scoring)):
        raise ValueError(
            "scoring must be None, a scorer name or a callable (one metric); got "
            f"{scoring!r}."
        )
    return check_scoring(estimator, scoring=scoring)


def _score_name(scoring):
    if scoring is None:
        return "Accuracy"
    name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "")
    if not name or name == "<lambda>":
        return "Score"
    if name.startswith("neg_"):
        name = "negative " + name[4:]
    return name.replace("_", " ").capitalize()


def _fold_path(
    estimator,
    X,
    y,
    train,
    test,
    sparsities,
    scorer,
    finetune_epochs,
    return_train_score,
    verbose,
    fold,
):
    """Fit once at the lowest sparsity, then prune and fine-tune along the path."""
    clf, prefix = _classifier_and_prefix(estimator)
    X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
    X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    points = []
    path = None
    for sparsity in sparsities:
        start = time.perf_counter()
        if path is None:
            params = {prefix + "sparsity": float(sparsity)}
            if clf.get_params().get("compact"):
                params[prefix + "compact"] = False  # a compacted net cannot train on
            estimator.set_params(**params)
            estimator.fit(X_train, y_train)
            path = _PathStepper(estimator, clf, X_train, y_train, finetune_epochs)
        else:
            path.prune_to(float(sparsity))
        fit_time = time.perf_counter() - start
        point = {
            "test_score": scorer(estimator, X_test, y_test),
            "achieved_sparsity": clf.sparsity_,
            "compression_ratio": _target_compression(clf),
            "fit_time": fit_time,
        }
        if return_train_score:
            point["train_score"] = scorer(estimator, X_train, y_train)
        if verbose > 0:
            print(
                f"[pruning_curve] fold {fold}: sparsity {sparsity:.4f} "
                f"(achieved {point['achieved_sparsity']:.4f}), test score "
                f"{point['test_score']:.4f}, {fit_time:.1f}s"
            )
        points.append(point)
    return points


class _PathStepper:
    """Prune a fitted PrunedClassifier further, one-shot, and fine-tune it.

    The skorch net's pruning callback is re-initialised with a one-shot schedule at
    the next epoch; it recovers the current masks from the exact zeros of the
    weights, so earlier pruning is kept, and ``partial_fit`` trains on without
    re-initialising the module or the optimizer.
    """

    def __init__(self, estimator, clf, X_train, y_train, finetune_epochs):
        self.clf = clf
        self.epochs = 1 + (
            clf.finetune_epochs if finetune_epochs is None else finetune_epochs
        )
        Xt = X_train
        outer = estimator
        while isinstance(outer, Pipeline):
            Xt = outer[:-1].transform(Xt)
            outer = outer[-1]
        Xt = validate_data(
            clf, Xt, accept_sparse=("csr", "csc"), dtype=np.float32, reset=False
        )
        net = clf.net_
        # The net's own dataset factory batches exactly as PrunedClassifier.fit did.
        self.dataset = net.get_dataset(Xt, _encode_labels(clf.classes_, y_train))
        self.rng = check_random_state(clf.random_state)
        self.prefix = "callbacks__" + next(
            name for name, cb in net.callbacks_ if isinstance(cb, PruningCallback)
        )
        stoppers = {
            f"callbacks__{name}": None
            for name, cb in net.callbacks_
            if isinstance(cb, EarlyStopping)
        }
        if stoppers:
            net.set_params(train_split=None, **stoppers)
            net.initialize_callbacks()

    def prune_to(self, sparsity):
        clf, net = self.clf, self.clf.net_
        epoch = len(net.history) + 1
        net.set_params(
            **{
                f"{self.prefix}__sparsity": sparsity,
                f"{self.prefix}__schedule": "one_shot",
                f"{self.prefix}__start_epoch": epoch,
                f"{self.prefix}__end_epoch": epoch,
            }
        )
        seed = int(self.rng.randint(np.iinfo(np.int32).max))
        with _seeded_torch(seed, clf.device):
            net.partial_fit(self.dataset, None, epochs=self.epochs)
        _refresh_fitted_attributes(clf)


def _encode_labels(classes, y):
    """Labels to class indices, as PrunedClassifier.fit encodes them."""
    y = column_or_1d(y)
    codes = np.searchsorted(classes, y)
    codes = np.clip(codes, 0, len(classes) - 1)
    if not np.array_equal(classes[codes], y):
        raise ValueError("The training fold holds labels the classifier never saw.")
    return codes.astype(np.int64)


def _refresh_fitted_attributes(clf):
    """Keep a PrunedClassifier's fitted attributes true after a path step."""
    clf.module_ = clf.net_.module_
    clf.history_ = clf.net_.history
    clf.n_iter_ = len(clf.net_.history)
    clf.sparsity_ = float(clf.net_.history[-1, "sparsity"])
    clf._set_size_attributes()


def _target_compression(clf):
    """Compression of the pruned weights, the same weights ``sparsity_`` counts."""
    return _ratio(1.0, 1.0 - clf.sparsity_)


def _curve_result(sparsities, fold_points, return_train_score, scoring):
    keys = ["test_score", "achieved_sparsity", "compression_ratio", "fit_time"]
    if return_train_score:
        keys.append("train_score")
    arrays = {
        key: np.array([[p[key] for p in points] for points in fold_points]).T
        for key in keys
    }
    frame = pd.DataFrame(
        [
            {"sparsity": sparsities[i], "fold": fold, **point}
            for fold, points in enumerate(fold_points)
            for i, point in enumerate(points)
        ]
    )
    result = Bunch(
        sparsities=sparsities,
        test_scores=arrays["test_score"],
        achieved_sparsity=arrays["achieved_sparsity"],
        compression_ratio=arrays["compression_ratio"],
        fit_time=arrays["fit_time"],
        frame=frame,
        score_name=_score_name(scoring),
    )
    if return_train_score:
        result.train_scores = arrays["train_score"]
    return result


# -------------------------------------------------------------------- display


class PruningCurveDisplay:
    """Score against sparsity (or compression ratio), with error bars over folds.

    Build it with :meth:`from_estimator` (runs :func:`pruning_curve`) or
    :meth:`from_results` (a :func:`pruning_curve` result or the ``cv_results_`` of
    :class:`~sklprune.PrunedClassifierCV`). All parameters are stored as attributes.

    Parameters
    ----------
    sparsities : ndarray of shape (n_points,)
        Target sparsities.
    test_scores : ndarray of shape (n_points, n_folds)
        Scores on the test folds.
    train_scores : ndarray of shape (n_points, n_folds) or None, default=None
        Scores on the training folds.
    achieved_sparsity : ndarray of shape (n_points, n_folds) or None, default=None
        Sparsity actually reached; the x positions use its mean over folds.
        ``None`` places points at their targets.
    score_name : str or None, default=None
        Label of the y axis; ``None`` means ``"Score"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure containing the curve.
    errorbar_ : list of matplotlib ErrorbarContainer or None
        One per plotted score when ``std_display_style="errorbar"``.
    lines_ : list of matplotlib Line2D or None
        The mean scores for the other styles.
    fill_between_ : list of matplotlib PolyCollection or None
        The ±1 standard deviation bands when ``std_display_style="fill_between"``.

    See Also
    --------
    pruning_curve : Compute the curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklprune.evaluation import PruningCurveDisplay
    >>> display = PruningCurveDisplay(
    ...     sparsities=np.array([0.0, 0.5, 0.9]),
    ...     test_scores=np.array([[0.95, 0.96], [0.95, 0.94], [0.90, 0.92]]),
    ...     score_name="Accuracy",
    ... ).plot(x="compression")
    >>> display.ax_.get_xscale(), len(display.errorbar_)
    ('log', 1)
    """

    def __init__(
        self,
        *,
        sparsities,
        test_scores,
        train_scores=None,
        achieved_sparsity=None,
        score_name=None,
    ):
        self.sparsities = sparsities
        self.test_scores = test_scores
        self.train_scores = train_scores
        self.achieved_sparsity = achieved_sparsity
        self.score_name = score_name

    def plot(
        self,
        ax=None,
        *,
        x="sparsity",
        score_type=None,
        negate_score=False,
        score_name=None,
        std_display_style="errorbar",
        line_kw=None,
        fill_between_kw=None,
        errorbar_kw=None,
    ):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw into; ``None`` creates a figure.
        x : {"sparsity", "compression"}, default="sparsity"
            The x axis: achieved sparsity (linear), or compression ratio of the
            prunable weights, ``1 / (1 - sparsity)``, on a log axis.
        score_type : {"test", "train", "both"} or None, default=None
            Which scores to draw; ``None`` draws both when train scores exist.
        negate_score : bool, default=False
            Negate the scores (for ``neg_*`` scorers).
        score_name : str, default=None
            Overrides the y label.
        std_display_style : {"errorbar", "fill_between"} or None, \
default="errorbar"
            How the standard deviation over folds is drawn.
        line_kw, fill_between_kw, errorbar_kw : dict, default=None
            Extra arguments of ``ax.plot``, ``ax.fill_between``, ``ax.errorbar``.

        Returns
        -------
        display : PruningCurveDisplay
            ``self``, with ``ax_``, ``figure_`` and the artists set.
        """
        scores = self._scores(score_type, negate_score)
        if x not in ("sparsity", "compression"):
            raise ValueError(f'x must be "sparsity" or "compression"; got {x!r}.')
        if std_display_style not in ("errorbar", "fill_between", None):
            raise ValueError(
                'std_display_style must be "errorbar", "fill_between" or None; got '
                f"{std_display_style!r}."
            )
        plt = _pyplot("PruningCurveDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        sparsity = np.asarray(
            self.sparsities
            if self.achieved_sparsity is None
            else np.asarray(self.achieved_sparsity).mean(axis=1),
            dtype=float,
        )
        x_data = sparsity if x == "sparsity" else 1.0 / (1.0 - sparsity)
        self.lines_ = self.errorbar_ = self.fill_between_ = None
        if std_display_style == "errorbar":
            self.errorbar_ = [
                ax.errorbar(
                    x_data,
                    s.mean(axis=1),
                    s.std(axis=1),
                    **{
                        "label": label,
                        "marker": "o",
                        "capsize": 3,
                        **(errorbar_kw or {}),
                    },
                )
                for label, s in scores.items()
            ]
        else:
            self.lines_ = [
                ax.plot(
                    x_data,
                    s.mean(axis=1),
                    **{"label": label, "marker": "o", **(line_kw or {})},
                )[0]
                for label, s in scores.items()
            ]
        if std_display_style == "fill_between":
            self.fill_between_ = [
                ax.fill_between(
                    x_data,
                    s.mean(axis=1) - s.std(axis=1),
                    s.mean(axis=1) + s.std(axis=1),
                    **{"alpha": 0.3, **(fill_between_kw or {})},
                )
                for s in scores.values()
            ]
        if x == "compression":
            ax.set_xscale("log")
            ax.set_xlabel("Compression ratio (prunable weights / non-zero)")
        else:
            ax.set_xlabel("Sparsity (fraction of prunable weights at zero)")
        if score_name is None:
            score_name = self.score_name or "Score"
            if negate_score:
                score_name = f"Negative {score_name.lower()}"
        ax.set_ylabel(score_name)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _scores(self, score_type, negate_score):
        test = np.asarray(self.test_scores, dtype=float)
        train = None if self.train_scores is None else np.asarray(self.train_scores)
        if score_type is None:
            score_type = "test" if train is None else "both"
        if score_type not in ("test", "train", "both"):
            raise ValueError(
                f'score_type must be "test", "train" or "both"; got {score_type!r}.'
            )
        if score_type != "test" and train is None:
            raise ValueError(
                f"score_type={score_type!r} needs train scores, and this display has "
                'none: use score_type="test", or compute the curve with '
                "return_train_score=True."
            )
        sign = -1.0 if negate_score else 1.0
        scores = {}
        if score_type in ("train", "both"):
            scores["Train"] = sign * np.asarray(train, dtype=float)
        if score_type in ("test", "both"):
            scores["Test"] = sign * test
        return scores

    @classmethod
    def from_results(cls, results, *, ax=None, score_name=None, **plot_kwargs):
        """Plot a computed curve.

        Parameters
        ----------
        results : Bunch or dict
            What :func:`pruning_curve` returns, or the ``cv_results_`` of a fitted
            :class:`~sklprune.PrunedClassifierCV`.
        ax : matplotlib Axes, default=None
            Axes to draw into.
        score_name : str, default=None
            Label of the y axis; ``None`` takes the one stored in ``results``.
        **plot_kwargs
            Passed to :meth:`plot` (``x``, ``score_type``, ``std_display_style``,
            ...).

        Returns
        -------
        display : PruningCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from sklprune.evaluation import PruningCurveDisplay
        >>> cv_results = {
        ...     "sparsity": np.array([0.0, 0.9]),
        ...     "split0_test_score": np.array([0.97, 0.95]),
        ...     "split1_test_score": np.array([0.95, 0.95]),
        ...     "mean_test_score": np.array([0.96, 0.95]),
        ... }
        >>> display = PruningCurveDisplay.from_results(cv_results)
        >>> display.errorbar_[0].lines[0].get_ydata()
        array([0.96, 0.95])
        """
        if "test_scores" in results:
            display = cls(
                sparsities=np.asarray(results["sparsities"]),
                test_scores=results["test_scores"],
                train_scores=results.get("train_scores"),
                achieved_sparsity=results.get("achieved_sparsity"),
                score_name=results.get("score_name"),
            )
        elif "mean_test_score" in results and "sparsity" in results:
            display = cls(
                sparsities=np.asarray(results["sparsity"], dtype=float),
                test_scores=_splits(results, "test_score"),
                train_scores=_splits(results, "train_score"),
                achieved_sparsity=_splits(results, "achieved_sparsity"),
                score_name=results.get("score_name"),
            )
        else:
            raise ValueError(
                "results must be what pruning_curve returns or the cv_results_ of a "
                f"PrunedClassifierCV; got keys {sorted(results)[:8]}."
            )
        return display.plot(ax=ax, score_name=score_name, **plot_kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        sparsities=DEFAULT_SPARSITIES,
        groups=None,
        cv=5,
        scoring=None,
        finetune_epochs=None,
        return_train_score=True,
        n_jobs=None,
        verbose=0,
        ax=None,
        score_name=None,
        **plot_kwargs,
    ):
        """Run :func:`pruning_curve` and plot it.

        Parameters
        ----------
        estimator : PrunedClassifier or Pipeline ending in one
            Cloned for every fold.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sparsities, groups, cv, scoring, finetune_epochs, return_train_score, \
n_jobs, verbose
            See :func:`pruning_curve`.
        ax : matplotlib Axes, default=None
            Axes to draw into.
        score_name : str, default=None
            Label of the y axis; ``None`` derives it from ``scoring``.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : PruningCurveDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_iris
        >>> from sklprune import PrunedClassifier
        >>> from sklprune.evaluation import PruningCurveDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = PrunedClassifier(hidden_layer_sizes=(16,), lr=0.01, max_epochs=10,
        ...                        finetune_epochs=2, random_state=0)
        >>> display = PruningCurveDisplay.from_estimator(
        ...     clf, X, y, sparsities=[0.0, 0.5, 0.8], cv=3, x="compression")
        >>> [container.get_label() for container in display.errorbar_]
        ['Train', 'Test']
        """
        _pyplot("PruningCurveDisplay.from_estimator")
        results = pruning_curve(
            estimator,
            X,
            y,
            sparsities=sparsities,
            groups=groups,
            cv=cv,
            scoring=scoring,
            finetune_epochs=finetune_epochs,
            return_train_score=return_train_score,
            n_jobs=n_jobs,
            verbose=verbose,
        )
        return cls.from_results(results, ax=ax, score_name=score_name, **plot_kwargs)


def _splits(cv_results, key):
    """Stack ``split{k}_{key}`` columns of a cv_results_ dict, or None."""
    columns = []
    while f"split{len(columns)}_{key}" in cv_results:
        columns.append(np.asarray(cv_results[f"split{len(columns)}_{key}"], float))
    return np.column_stack(columns) if columns else None


def _pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib: pip install matplotlib (or sklprune[plot])."
        ) from exc
    return plt
