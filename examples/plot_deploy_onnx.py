"""
==============================================
Serving a pruned text pipeline in ONNX Runtime
==============================================

A pipeline of a :class:`~sklearn.feature_extraction.text.TfidfVectorizer` and a
:class:`~sklprune.PrunedClassifier` is trained on the film-review snippets bundled
with sklprune, converted whole to ONNX with :func:`sklprune.onnx.to_onnx` (text in,
labels and probabilities out), quantized to int8, and served by ONNX Runtime, which
needs neither scikit-learn, torch nor sklprune. The pipeline's own
``predict_proba``, the fp32 file and the int8 file are compared on accuracy, file
size and time.
"""

# %%
# Train the pipeline
# ------------------
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklprune import PrunedClassifier
from sklprune.datasets import load_rotten_tomatoes
from sklprune.onnx import AccuracyCheck, to_onnx

torch.set_num_threads(1)

texts, labels = load_rotten_tomatoes(return_X_y=True)
texts = np.asarray(texts, dtype=object)
X_train, X_test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.25, stratify=labels, random_state=0
)
pipe = make_pipeline(
    TfidfVectorizer(sublinear_tf=True, max_features=5000),
    PrunedClassifier(
        hidden_layer_sizes=(64,),
        sparsity=0.9,
        max_epochs=10,
        finetune_epochs=3,
        random_state=0,
    ),
).fit(X_train, y_train)
print(f"test accuracy in Python: {pipe.score(X_test, y_test):.3f}")

# %%
# Convert it
# ----------
# One call converts the whole pipeline. ONNX Runtime tokenizes the text itself;
# skl2onnx's tokenizer lower-cases words in a locale, ``en_US.UTF-8`` unless told
# otherwise: ``C.UTF-8`` exists on every Linux machine. ``X_check`` and
# ``y_check`` score the converted model against ``predict``, and ``path`` saves it
# atomically. ``quantize="int8"`` stores the network's weight matrices as 8-bit
# integers.
folder = Path(tempfile.mkdtemp())
options = {TfidfVectorizer: {"locale": "C.UTF-8"}}
files = {"fp32": folder / "reviews.onnx", "int8": folder / "reviews.int8.onnx"}
for kind, path in files.items():
    onnx_model = to_onnx(
        pipe,
        X_test[:1],
        path=path,
        quantize=None if kind == "fp32" else kind,
        X_check=X_test,
        y_check=y_test,
        options=options,
    )
    check = AccuracyCheck.from_model(onnx_model)
    print(
        f"{kind}: accuracy {check.onnx:.3f} (Python {check.python:.3f}), labels as "
        f"predict's on {check.agreement:.1%} of the test rows"
    )

# %%
# Serve it
# --------
# On the serving side only ``onnxruntime`` is needed. The model takes an array of
# strings (the shape of ``X_sample``: one text per row) and returns the labels, as
# the pipeline was trained on them, and the probabilities of the classes in the
# order of ``pipe.classes_``.
session = ort.InferenceSession(files["fp32"], providers=["CPUExecutionProvider"])
reviews = np.array(
    ["A warm, funny and beautifully acted film.", "A dull, lifeless mess."],
    dtype=object,
)
label, probabilities = session.run(None, {session.get_inputs()[0].name: reviews})
for review, predicted, proba in zip(reviews, label, probabilities):
    print(f"{predicted!r} ({proba.max():.2f}): {review}")


# %%
# Compare size and time
# ---------------------
# Time per 1,000 test reviews, one thread each, median of 5 runs: the pipeline's
# ``predict_proba`` (the vectorizer in scikit-learn, the network as ``engine``
# chose), and both files in ONNX Runtime. ONNX Runtime stores weight matrices
# densely, so the fp32 file is about the size of a dense network's: only int8
# (or removed units) makes it smaller.
def median_seconds(call, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


rows = X_test[:1000]
options = ort.SessionOptions()
options.intra_op_num_threads = 1
results = {
    "Python predict_proba": {
        "accuracy": pipe.score(X_test, y_test),
        "ms per 1,000 reviews": 1e3 * median_seconds(lambda: pipe.predict_proba(rows)),
    }
}
for kind, path in files.items():
    served = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feed = {served.get_inputs()[0].name: rows}
    predicted = served.run(None, {served.get_inputs()[0].name: X_test})
    results[f"ONNX Runtime, {kind}"] = {
        "accuracy": float(np.mean(predicted[0] == y_test)),
        "file KB": path.stat().st_size / 1024,
        "ms per 1,000 reviews": 1e3
        * median_seconds(lambda served=served, feed=feed: served.run(None, feed)),
    }
pd.DataFrame(results).T.round(3)
