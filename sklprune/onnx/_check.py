"""How a converted model scores against the fitted one: :func:`check_accuracy`."""

import json
import re
from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, r2_score

from ..inference._onnxruntime import make_session

# The metadata key under which to_onnx stores the check in the model it returns.
METADATA_KEY = "sklprune.accuracy_check"

_NUMPY_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}


class AccuracyCheck(NamedTuple):
    """The score of a fitted model and of its ONNX conversion on the same data.

    Attributes
    ----------
    metric : {"accuracy", "r2"}
        Accuracy for a classifier, R² for a regressor.
    python : float
        Score of the fitted model's own ``predict``.
    onnx : float
        Score of the ONNX model run by ONNX Runtime (one thread).
    agreement : float or None
        For a classifier, the share of rows whose ONNX label equals ``predict``'s.
    n_samples : int
        Rows checked.
    quantize : str or None
        ``"int8"`` for a quantized model.
    per_channel : bool or None
        Whether int8 scales are per column of each weight matrix.

    Examples
    --------
    >>> from sklprune.onnx import AccuracyCheck
    >>> check = AccuracyCheck("accuracy", 0.965, 0.9648, 0.998, 4000, "int8", False)
    >>> round(check.change, 4)
    -0.0002
    """

    metric: str
    python: float
    onnx: float
    agreement: float | None
    n_samples: int
    quantize: str | None = None
    per_channel: bool | None = None

    @property
    def change(self):
        """``onnx - python``: what the conversion changed in the score."""
        return self.onnx - self.python

    @classmethod
    def from_model(cls, onnx_model):
        """The check that :func:`~sklprune.onnx.to_onnx` stored in ``onnx_model``'s
        metadata, or None.

        Parameters
        ----------
        onnx_model : onnx.ModelProto

        Returns
        -------
        check : AccuracyCheck or None
        """
        for prop in onnx_model.metadata_props:
            if prop.key == METADATA_KEY:
                return cls(**json.loads(prop.value))
        return None

    def store(self, onnx_model):
        """Write the check into ``onnx_model``'s metadata (replacing one there)."""
        kept = [p for p in onnx_model.metadata_props if p.key != METADATA_KEY]
        del onnx_model.metadata_props[:]
        onnx_model.metadata_props.extend(kept)
        prop = onnx_model.metadata_props.add()
        prop.key, prop.value = METADATA_KEY, json.dumps(self._asdict())


def check_accuracy(onnx_model, model, X, y, *, quantize=None, per_channel=None):
    """Score a fitted model and its ONNX conversion on the same rows.

    Parameters
    ----------
    onnx_model : onnx.ModelProto
        The conversion of ``model``.
    model : fitted estimator or pipeline
        Scored with its own ``predict``.
    X : array-like or pandas.DataFrame
        Rows in the form ``model`` takes (a DataFrame for a column transformer,
        texts for a text pipeline).
    y : array-like of shape (n_samples,)
        Their targets.
    quantize : str or None, default=None
        Recorded in the result.
    per_channel : bool or None, default=None
        Recorded in the result.

    Returns
    -------
    check : AccuracyCheck

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklprune import PrunedClassifier
    >>> from sklprune.onnx import check_accuracy, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = PrunedClassifier(max_epochs=10, random_state=0).fit(X, y)
    >>> check = check_accuracy(to_onnx(clf, X[:1]), clf, X, y)
    >>> check.metric, check.agreement, check.change
    ('accuracy', 1.0, 0.0)
    """
    session = make_session(onnx_model)
    got = session.run([session.get_outputs()[0].name], onnx_inputs(session, X))[0]
    expected = model.predict(X)
    y = np.asarray(y)
    if is_classifier(model):
        got = np.asarray(got).ravel()
        if expected.dtype.kind in "OUS":
            got = got.astype(str)
        agreement = float(np.mean(got == expected))
        scores = accuracy_score(y, expected), accuracy_score(y, got)
        metric = "accuracy"
    else:
        got = np.asarray(got).reshape(np.shape(expected))
        agreement = None
        scores = r2_score(y, expected), r2_score(y, got)
        metric = "r2"
    return AccuracyCheck(
        metric,
        float(scores[0]),
        float(scores[1]),
        agreement,
        len(y),
        quantize,
        per_channel,
    )


def onnx_inputs(session, X):
    """The input feed of an ONNX Runtime session for rows ``X``.

    A DataFrame feeds one input per column, by name (as skl2onnx converts it,
    :func:`onnx_input_name`); anything else feeds the one input, as a column when
    the input is a matrix.
    """
    inputs = session.get_inputs()
    if hasattr(X, "columns"):
        columns = {onnx_input_name(column): column for column in X.columns}
        columns |= {column: column for column in X.columns}
        missing = [item.name for item in inputs if item.name not in columns]
        if missing:
            raise ValueError(
                f"The ONNX model takes the columns {[i.name for i in inputs]}; X "
                f"lacks {missing}. Pass a DataFrame like the one it was converted "
                "from."
            )
        return {
            item.name: _column(X[columns[item.name]].to_numpy(), item)
            for item in inputs
        }
    if hasattr(X, "toarray"):
        raise TypeError(
            "ONNX models take dense rows: pass X.toarray() for a few rows, or the "
            "raw input of the pipeline (texts for a text vectorizer)."
        )
    if len(inputs) != 1:
        raise ValueError(
            f"The ONNX model has {len(inputs)} inputs "
            f"({[item.name for item in inputs]}): pass a DataFrame with those "
            "columns."
        )
    return {inputs[0].name: _column(np.asarray(X), inputs[0])}


def onnx_input_name(column):
    """The name of the input skl2onnx makes of a DataFrame column.

    As skl2onnx names variables: every character but letters, digits, ``_`` and
    ``+`` becomes ``_``, and a name that starts with a digit gets ``_`` in front.

    Examples
    --------
    >>> from sklprune.onnx._check import onnx_input_name
    >>> onnx_input_name("sepal length (cm)"), onnx_input_name("2nd")
    ('sepal_length__cm_', '_2nd')
    """
    name = re.sub(r"[^\w+]", "_", str(column))
    return f"_{name}" if re.match("[0-9]", name) else name


def _column(values, item):
    dtype = _NUMPY_TYPES.get(item.type)
    if dtype is None:
        raise TypeError(f"Input {item.name!r} of type {item.type} is not supported.")
    values = np.asarray(values)
    if dtype is object:
        values = values.astype(str).astype(object)
    else:
        values = values.astype(dtype, copy=False)
    if len(item.shape) == 2 and values.ndim == 1:
        values = values.reshape(-1, 1)
    return np.ascontiguousarray(values)
