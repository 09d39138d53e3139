"""The deployment side of ``sklprune run``: model.onnx, model.int8.onnx, latencies.

With the ``onnx`` extra installed, the dense and the pruned pipeline are both
converted by :func:`sklprune.onnx.to_onnx` (and, with ``--quantize int8``, their
networks quantized by :func:`sklprune.onnx.quantize_network`); the pruned one's
files are written. The report compares them with the pipelines themselves:
accuracy on the test rows and the share of labels equal to ``predict``'s (R² and
the largest difference from ``predict`` for a regressor), file size, and latency
at batch 1 and 4,096 (:func:`batch_latencies`, which times ``predict_proba``, or
``predict`` for a regressor, with or without the extra).

A converted model takes one input per feature column, named after it (as skl2onnx
names variables: characters other than letters, digits and ``_`` become ``_``;
the model's metadata ``sklprune.columns`` maps every input to its column):
numbers as float32, categories and text as strings (:func:`onnx_feed`). skl2onnx
converts an imputer of strings only when its missing value is a string, so in the
ONNX model a missing category is the empty string ``""``. A pipeline that
skl2onnx cannot convert (one-hot columns whose rarest categories share an input,
for one) gets no ONNX file, and :class:`Deployment` says why.
"""

import copy
import json
import statistics
import time
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.metrics import r2_score

from ..persistence._atomic import write_atomic
from ._data import MAX_CATEGORIES
from ._report import fitted_parts

BATCHES = (1, 4096)
LATENCY_REPEATS = 7
# A timed block of calls lasts about this long, so that one fast call is measurable.
BLOCK_SECONDS = 0.005
SAMPLE_ROWS = 5
# skl2onnx's text tokenizer lower-cases in a locale; C.UTF-8 exists on every Linux.
CONVERTER_OPTIONS = {TfidfVectorizer: {"locale": "C.UTF-8"}}
FILE_NAMES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
# The metadata key of the model's {input name: column} map.
COLUMNS_KEY = "sklprune.columns"
# A converter's error is quoted up to this many characters.
MESSAGE_CHARACTERS = 200


class Deployment(NamedTuple):
    """The ONNX models of a run, or why there are none.

    ``models`` maps ``"dense"`` and ``"pruned"`` to ``{"fp32": model}`` (and
    ``"int8"`` with ``--quantize int8``); it is empty when nothing was converted,
    and ``reason`` says why.
    """

    models: dict
    reason: str | None = None


def convert(models, table, quantize):
    """The ONNX models of the fitted pipelines ``models``, as a :class:`Deployment`."""
    from ..onnx import quantize_network, to_onnx

    shared = _columns_with_shared_categories(models["pruned"], table)
    if shared:
        names = ", ".join(repr(column) for column in shared)
        return Deployment(
            {},
            f"skl2onnx cannot convert one-hot columns whose rarest categories share "
            f"an input, as those of {names} do (more than {MAX_CATEGORIES} "
            f"categories); leave them out with --drop to get model.onnx",
        )
    sample = _sample(table)
    converted = {}
    try:
        for name, model in models.items():
            with warnings.catch_warnings():
                # The report gives the share of labels equal to predict's.
                warnings.simplefilter("ignore", UserWarning)
                fp32 = to_onnx(_deployable(model), sample, options=CONVERTER_OPTIONS)
            converted[name] = {"fp32": fp32}
            if quantize == "int8":
                converted[name]["int8"] = quantize_network(fp32)
            # skl2onnx declares the inputs in the order of the sample's columns.
            columns = dict(zip((item.name for item in fp32.graph.input), sample))
            for onnx_model in converted[name].values():
                _store_columns(onnx_model, columns)
    except Exception as exc:  # any converter's refusal is reported, not raised
        message = " ".join(str(exc).split())
        if len(message) > MESSAGE_CHARACTERS:
            message = message[:MESSAGE_CHARACTERS] + "..."
        return Deployment({}, f"the pipeline did not convert ({message})")
    return Deployment(converted)


def _columns_with_shared_categories(model, table):
    """The categorical columns whose rarest categories share one one-hot input."""
    preprocessor = model[0]
    if "categorical" not in preprocessor.named_transformers_:
        return []
    encoder = preprocessor.named_transformers_["categorical"][-1]
    infrequent = getattr(encoder, "infrequent_categories_", None) or []
    return [
        column
        for column, categories in zip(table.categorical, infrequent)
        if categories is not None
    ]


def _store_columns(onnx_model, columns):
    """Write ``{input name: column}`` into the model's metadata, as JSON."""
    prop = onnx_model.metadata_props.add()
    prop.key, prop.value = COLUMNS_KEY, json.dumps(columns)


def _sample(table):
    """A few training rows typed as the ONNX model's inputs: float32 numbers,
    strings with ``""`` for a missing category."""
    sample = table.X_train.iloc[:SAMPLE_ROWS].copy()
    for column in table.numeric:
        sample[column] = sample[column].astype(np.float32)
    for column in table.categorical:
        sample[column] = sample[column].fillna("").astype(str)
    return sample


def _deployable(model):
    """A copy of the pipeline whose imputers of strings take ``""`` as missing."""
    model = copy.deepcopy(model)
    for part in fitted_parts(model):
        if isinstance(part, SimpleImputer) and part.statistics_.dtype == object:
            part.missing_values = ""
    return model


def onnx_feed(session, X):
    """The input feed of a converted model for the rows ``X`` (a DataFrame).

    Each input is its column (named in the model's metadata): float32 numbers, or
    strings with ``""`` for a missing value, as an ``(n, 1)`` array.
    """
    columns = json.loads(session.get_modelmeta().custom_metadata_map[COLUMNS_KEY])
    feed = {}
    for item in session.get_inputs():
        column = X[[columns[item.name]]]
        if item.type == "tensor(string)":
            feed[item.name] = column.fillna("").astype(str).to_numpy(dtype=object)
        else:
            feed[item.name] = column.to_numpy(dtype=np.float32)
    return feed


def sessions_of(deployment, threads):
    """An ONNX Runtime session per model and kind: ``{name: {kind: session}}``."""
    from ..inference._onnxruntime import make_session

    return {
        name: {kind: make_session(model, threads) for kind, model in kinds.items()}
        for name, kinds in deployment.models.items()
    }


def onnx_numbers(deployment, sessions, models, table):
    """Scores, agreement with ``predict`` and file size of every ONNX model."""
    numbers = {}
    for name, kinds in deployment.models.items():
        expected = models[name].predict(table.X_test)
        numbers[name] = {}
        for kind, onnx_model in kinds.items():
            session = sessions[name][kind]
            feed = onnx_feed(session, table.X_test)
            key = "onnx" if kind == "fp32" else f"onnx_{kind}"
            if is_classifier(models[name]):
                scores = _label_numbers(session, feed, expected, table.y_test, key)
            else:
                scores = _value_numbers(session, feed, expected, table.y_test, key)
            numbers[name] |= scores | {
                f"size_{key}_bytes": len(onnx_model.SerializeToString())
            }
    return numbers


def _label_numbers(session, feed, expected, y_test, key):
    """Accuracy of a classifier's ONNX labels, and their share equal to predict's."""
    labels = np.asarray(session.run(["label"], feed)[0]).ravel()
    labels = labels.astype(expected.dtype, copy=False)
    return {
        f"accuracy_{key}_test": float(np.mean(labels == y_test)),
        f"{key}_agreement_test": float(np.mean(labels == expected)),
    }


def _value_numbers(session, feed, expected, y_test, key):
    """R² of a regressor's ONNX predictions, and their largest gap to predict's."""
    values = np.asarray(session.run(["variable"], feed)[0], dtype=np.float64)
    values = values.reshape(np.shape(expected))
    return {
        f"r2_{key}_test": float(r2_score(y_test, values)),
        f"{key}_max_difference_test": float(np.max(np.abs(values - expected))),
    }


def batch_latencies(models, sessions, X_test):
    """Seconds per call at batch 1 and 4,096: ``predict_proba`` (a regressor's
    ``predict``) and every session.

    All calls are timed in turns, :data:`LATENCY_REPEATS` rounds of blocks of about
    :data:`BLOCK_SECONDS`, so that a change in the machine's load falls on all of
    them alike; the median per call is reported, as microseconds at batch 1 and
    milliseconds at batch 4,096. A session is timed on its ready feed: what
    ONNX Runtime itself takes.
    """
    calls = {}
    for batch in BATCHES:
        X = _rows(X_test, batch)
        for name, model in models.items():
            predict = model.predict_proba if is_classifier(model) else model.predict
            calls[name, "python", batch] = _caller(predict, X)
            for kind, session in sessions.get(name, {}).items():
                feed = onnx_feed(session, X)
                calls[name, kind, batch] = _caller(session.run, None, feed)
    medians = _interleaved_medians(calls)
    results = {name: {} for name in models}
    for (name, kind, batch), seconds in medians.items():
        results[name][_latency_key(kind, batch)] = seconds * (
            1e6 if batch == 1 else 1e3
        )
    return results


def _latency_key(kind, batch):
    engine = {"python": "python", "fp32": "onnx", "int8": "onnx_int8"}[kind]
    unit = "us" if batch == 1 else "ms"
    return f"{engine}_latency_{unit}_batch_{batch}"


def _caller(function, *args):
    def call():
        function(*args)

    return call


def _rows(X, n_rows):
    """``n_rows`` rows of ``X``: its first ones, repeated as often as needed."""
    repeats = -(-n_rows // len(X))
    return pd.concat([X] * repeats, ignore_index=True).iloc[:n_rows]


def _interleaved_medians(calls):
    """Median seconds per call of every callable, timed in turns."""
    counts = {}
    for key, call in calls.items():
        call()  # warm-up
        start = time.perf_counter()
        call()
        elapsed = max(time.perf_counter() - start, 1e-7)
        counts[key] = max(1, int(BLOCK_SECONDS / elapsed))
    times = {key: [] for key in calls}
    keys = list(calls)
    for round_ in range(LATENCY_REPEATS):
        shift = round_ % len(keys)
        for key in keys[shift:] + keys[:shift]:
            start = time.perf_counter()
            for _ in range(counts[key]):
                calls[key]()
            times[key].append((time.perf_counter() - start) / counts[key])
    return {key: statistics.median(values) for key, values in times.items()}


def onnx_files(deployment):
    """The pruned model's ONNX files, ``{name: writer(path)}``, written atomically."""
    kinds = deployment.models.get("pruned", {})
    return {FILE_NAMES[kind]: _writer(onnx_model) for kind, onnx_model in kinds.items()}


def _writer(onnx_model):
    data = onnx_model.SerializeToString()
    return lambda path: write_atomic(path, lambda file: file.write(data))


def onnx_report(deployment, sessions):
    """The ``onnx`` part of ``report.json``: the files, their inputs, or why none."""
    if not deployment.models:
        reason = deployment.reason or (
            "the onnx extra is not installed: pip install 'sklprune[onnx]'"
        )
        return {"files": [], "reason": reason}
    session = sessions["pruned"]["fp32"]
    columns = json.loads(session.get_modelmeta().custom_metadata_map[COLUMNS_KEY])
    return {
        "files": list(onnx_files(deployment)),
        "inputs": {
            item.name: {"column": columns[item.name], "type": item.type}
            for item in session.get_inputs()
        },
        "outputs": [item.name for item in session.get_outputs()],
        "missing_category": "",
        "reason": None,
    }
