"""One call for the common case: :func:`to_onnx`, fp32 or int8, checked, saved."""

import contextlib
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import skl2onnx
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..inference._onnx_graph import ExportError
from ..inference._onnxruntime import make_session
from ..persistence._atomic import write_atomic
from ._check import check_accuracy, onnx_inputs
from ._network import NODE_PREFIX

QUANTIZATIONS = (None, "int8")
# Without check data, int8 scales are per tensor: see to_onnx's per_channel.
DEFAULT_PER_CHANNEL = False
# Rows of a sparse X_sample made dense to give skl2onnx the input type.
SPARSE_SAMPLE_ROWS = 5


def to_onnx(
    model,
    X_sample,
    *,
    path=None,
    quantize=None,
    X_check=None,
    y_check=None,
    per_channel="auto",
    zipmap=False,
    target_opset=None,
    options=None,
):
    """Convert a fitted model or pipeline to ONNX, optionally int8, and save it.

    The model is converted by :func:`skl2onnx.to_onnx` with sklprune's converters
    (registered on ``import sklprune.onnx``): every step scikit-learn's converter
    knows, and sklprune's estimators (:class:`~sklprune.PrunedClassifier`,
    :class:`~sklprune.PrunedRegressor`, their CV twins and
    :class:`~sklprune.FeatureImportancePruner`), whose network is written in its
    fast inference form (dead units removed, compacted layers smaller). Weights
    are stored densely: ONNX Runtime densifies sparse weights when it loads them,
    so a weight-pruned network runs as fast as a dense one of its shape there,
    and only int8 (or removed units) makes the file smaller.

    Parameters
    ----------
    model : fitted estimator or pipeline
        What to convert.
    X_sample : array-like, sparse matrix or pandas.DataFrame
        A few rows of the input, from which skl2onnx takes the input types
        (float32 rows give a float input; a DataFrame one input per column). The
        model's input is dense: a sparse matrix gives a dense input of its width.
    path : str or pathlib.Path, default=None
        Where to save the model, atomically; nothing is written when the
        conversion fails. ``None`` saves nothing.
    quantize : {None, "int8"}, default=None
        ``"int8"`` quantizes the network's matrix products (its ``MatMul``
        nodes, nothing else of the pipeline) with ONNX Runtime's dynamic
        quantization (:func:`onnxruntime.quantization.quantize_dynamic`): int8
        weights, activations quantized on the fly.
    X_check, y_check : array-like, default=None
        Held-out rows (in the form ``model`` takes) and their targets. When
        given, the returned model is scored against ``model.predict`` with
        :func:`check_accuracy` (accuracy, or R² for a regressor), and the
        :class:`AccuracyCheck` is stored in its metadata: read it with
        ``AccuracyCheck.from_model(onnx_model)``.
    per_channel : {"auto", True, False}, default="auto"
        For int8: one scale per output column of each weight matrix (True) or
        one per matrix (False). ``"auto"`` tries both when ``X_check`` is given
        and keeps the more accurate (per matrix on ties), else uses one scale
        per matrix, as measured in ``benchmarks/bench_predict_engine.py``.
    zipmap : bool or "columns", default=False
        skl2onnx's option for the final classifier: ``False`` outputs
        ``probabilities`` as an ``(n, n_classes)`` tensor, ``True`` as a list of
        ``{class: probability}`` dictionaries (skl2onnx's default).
    target_opset : int or dict, default=None
        ONNX opset; ``None`` is skl2onnx's default.
    options : dict, default=None
        Further converter options, as for :func:`skl2onnx.to_onnx` (for the final
        classifier, they take precedence over ``zipmap``).

    Returns
    -------
    onnx_model : onnx.ModelProto
        Inputs as skl2onnx names them; outputs ``label`` and ``probabilities``
        for a classifier, ``variable`` for a regressor, the columns for a
        transformer.

    Raises
    ------
    ValueError
        If ``quantize`` or ``per_channel`` is invalid, if only one of ``X_check``
        and ``y_check`` is given, or if a network cannot be written as ONNX (the
        message names the operation). :class:`ExportError`, a ``ValueError``,
        also when ONNX Runtime has no kernel for a node of the converted
        pipeline (skl2onnx's imputer on the double inputs a float64
        ``X_sample`` gives, for one: pass float32 rows).

    See Also
    --------
    check_accuracy : Score a conversion against the fitted model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedClassifier
    >>> from sklprune.onnx import AccuracyCheck, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> pipe = make_pipeline(StandardScaler(), PrunedClassifier(random_state=0))
    >>> pipe = pipe.fit(X[::2], y[::2])
    >>> onnx_model = to_onnx(pipe, X[:1], quantize="int8",
    ...                      X_check=X[1::2], y_check=y[1::2])
    >>> [output.name for output in onnx_model.graph.output]
    ['label', 'probabilities']
    >>> check = AccuracyCheck.from_model(onnx_model)
    >>> check.quantize, abs(check.change) <= 0.03
    ('int8', True)
    """
    _check_arguments(quantize, per_channel, X_check, y_check)
    check_is_fitted(model)
    X_sample = _sample(X_sample)
    fp32 = skl2onnx.to_onnx(
        model,
        X_sample,
        target_opset=target_opset,
        options=_options(model, zipmap, options),
    )
    session = _runnable_session(fp32)
    _warn_on_disagreement(session, model, X_sample if X_check is None else X_check)
    result = fp32 if quantize is None else None
    if quantize == "int8":
        result = _int8(fp32, model, X_check, y_check, per_channel)
    elif X_check is not None:
        check_accuracy(result, model, X_check, y_check).store(result)
    if path is not None:
        write_atomic(path, lambda file: file.write(result.SerializeToString()))
    return result


def _check_arguments(quantize, per_channel, X_check, y_check):
    if quantize not in QUANTIZATIONS:
        raise ValueError(
            f"quantize must be one of {list(QUANTIZATIONS)}; got {quantize!r}."
        )
    if per_channel not in ("auto", True, False):
        raise ValueError(
            f"per_channel must be 'auto', True or False; got {per_channel!r}."
        )
    if (X_check is None) != (y_check is None):
        raise ValueError("Pass X_check and y_check together, or neither.")


def _sample(X):
    """Rows skl2onnx can read types from: lists become arrays, and a few rows of a
    sparse matrix become dense (an ONNX model takes dense rows)."""
    if isinstance(X, list | tuple):
        return np.asarray(X)
    if hasattr(X, "toarray"):
        return X[:SPARSE_SAMPLE_ROWS].toarray()
    return X


def _final_step(model):
    while isinstance(model, Pipeline):
        model = model.steps[-1][1]
    return model


def _options(model, zipmap, options):
    """skl2onnx options: ``zipmap`` for the final classifier, then ``options``."""
    final = _final_step(model)
    merged = dict(options or {})
    if is_classifier(final) and id(final) not in merged and type(final) not in merged:
        merged[id(final)] = {"zipmap": zipmap}
    return merged or None


def _runnable_session(onnx_model):
    """A session of the converted model, or an error that says why there is none.

    ONNX Runtime has no kernel for some of skl2onnx's nodes on double inputs
    (its ``Imputer`` for one), which a float64 ``X_sample`` gives.
    """
    try:
        return make_session(onnx_model)
    except Exception as exc:  # onnxruntime's own error classes, one per status
        if "NOT_IMPLEMENTED" not in str(exc):
            raise
        doubles = [
            item.name
            for item in onnx_model.graph.input
            if item.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
        ]
        hint = (
            f" The model takes double inputs ({', '.join(doubles[:3])}"
            f"{', ...' if len(doubles) > 3 else ''}) because X_sample holds float64: "
            "pass it, and X_check, as float32 (X.astype(np.float32))."
            if doubles
            else ""
        )
        raise ExportError(
            f"ONNX Runtime cannot run the converted model: {_first_line(exc)}.{hint}"
        ) from exc


def _first_line(exc):
    """The message of an ONNX Runtime error without its status prefix."""
    text = str(exc).strip().splitlines()[0]
    return text.split(" : ")[-1].rstrip(".")


def _warn_on_disagreement(session, model, X):
    """Warn when the converted model's labels differ from ``model.predict``."""
    if not is_classifier(model):
        return
    labels = session.run([session.get_outputs()[0].name], onnx_inputs(session, X))[0]
    expected = model.predict(X)
    labels = np.asarray(labels).ravel()
    if expected.dtype.kind in "OUS":
        labels = labels.astype(str)
    differ = int(np.sum(labels != expected))
    if differ:
        warnings.warn(
            f"The ONNX model's labels differ from predict's on {differ} of "
            f"{len(expected)} rows: a step of the pipeline converts inexactly "
            "(skl2onnx's text tokenizer, for one). Check it with check_accuracy.",
            UserWarning,
            stacklevel=3,
        )


def _int8(fp32, model, X_check, y_check, per_channel):
    """The int8 model; with check data and per_channel="auto", the more accurate
    of per-matrix and per-column scales."""
    if per_channel != "auto":
        choices = [per_channel]
    elif X_check is None:
        choices = [DEFAULT_PER_CHANNEL]
    else:
        choices = [False, True]
    best = None
    for choice in choices:
        candidate = quantize_network(fp32, per_channel=choice)
        if X_check is None:
            return candidate
        check = check_accuracy(
            candidate, model, X_check, y_check, quantize="int8", per_channel=choice
        )
        if best is None or check.onnx > best[1].onnx:
            best = candidate, check
    best[1].store(best[0])
    return best[0]


def quantize_network(onnx_model, *, per_channel=DEFAULT_PER_CHANNEL):
    """Dynamic int8 quantization of the network's matrix products.

    Parameters
    ----------
    onnx_model : onnx.ModelProto
        A model converted with sklprune's converters.
    per_channel : bool, default=False
        One scale per output column of each weight matrix, else one per matrix.

    Returns
    -------
    int8_model : onnx.ModelProto
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = [
        node.name
        for node in onnx_model.graph.node
        if node.op_type == "MatMul" and node.name.startswith(NODE_PREFIX)
    ]
    if not nodes:
        raise ValueError(
            "The model holds no network of sklprune's to quantize: quantize='int8' "
            "quantizes the matrix products of PrunedClassifier's network."
        )
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder, "fp32.onnx"), Path(folder, "int8.onnx")
        onnx.save(onnx_model, source)
        with _quiet_quantization():
            quantize_dynamic(
                source,
                target,
                op_types_to_quantize=["MatMul"],
                nodes_to_quantize=nodes,
                per_channel=per_channel,
                weight_type=QuantType.QInt8,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        return onnx.load(target)


def _not_from_quantization(record):
    """Whether a log record comes from elsewhere than onnxruntime's quantization."""
    return "onnxruntime" not in record.pathname or "quantization" not in record.pathname


@contextlib.contextmanager
def _quiet_quantization():
    """Silence the advice onnxruntime's quantization logs and warns."""
    root = logging.getLogger()
    root.addFilter(_not_from_quantization)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeFilter(_not_from_quantization)
