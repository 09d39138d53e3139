"""ONNX export of pruned models and the pipelines that hold them.

Importing this module registers converters for :class:`~sklprune.PrunedClassifier`,
:class:`~sklprune.PrunedClassifierCV`, :class:`~sklprune.PrunedRegressor`,
:class:`~sklprune.PrunedRegressorCV` and :class:`~sklprune.FeatureImportancePruner`
with skl2onnx, so that scikit-learn's usual way to deploy,
:func:`skl2onnx.to_onnx`, converts pipelines that mix them with scikit-learn's own
steps (scalers, column transformers with one-hot encoders, text vectorizers).
Classifiers follow skl2onnx's convention: outputs ``label`` (the original labels,
strings included) and ``probabilities``, with its ``zipmap`` and ``nocl`` options;
regressors output ``variable``, of shape ``(n, n_outputs)``, in the units of ``y``.
The network is written in its fast inference form, dense; a module class of your
own is exported with :func:`torch.onnx.export`.

:func:`to_onnx` is one call for the common case: convert, optionally quantize the
network to int8, check the accuracy on held-out rows, save atomically.

It needs the ``onnx`` extra: ``pip install sklprune[onnx]`` (skl2onnx, onnx and
onnxruntime).

Examples
--------
>>> import numpy as np
>>> import skl2onnx
>>> import sklprune.onnx  # registers the converters
>>> from sklearn.datasets import load_iris
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from sklprune import PrunedClassifier
>>> X, y = load_iris(return_X_y=True)
>>> X = X.astype(np.float32)
>>> pipe = make_pipeline(StandardScaler(), PrunedClassifier(random_state=0)).fit(X, y)
>>> onnx_model = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
>>> [output.name for output in onnx_model.graph.output]
['label', 'probabilities']
"""

try:
    import onnx  # noqa: F401
    import onnxruntime  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "sklprune.onnx needs skl2onnx, onnx and onnxruntime: pip install "
        "sklprune[onnx]."
    ) from exc

from ..inference._onnx_graph import ExportError
from ._check import AccuracyCheck, check_accuracy
from ._export import quantize_network, to_onnx
from ._register import register_converters

register_converters()

__all__ = [
    "AccuracyCheck",
    "ExportError",
    "check_accuracy",
    "quantize_network",
    "to_onnx",
]
