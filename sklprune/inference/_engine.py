"""Which engine computes an estimator's predictions: torch or ONNX Runtime.

The estimators' ``engine`` parameter is resolved once, at the end of ``fit``, by
:func:`choose_engine`. ONNX Runtime is chosen when it is asked for or, under
``"auto"``, when it is safe and faster:

* the network is on the CPU and onnxruntime (and onnx) are installed;
* the network is a chain of layers written to ONNX node by node (the default
  MLP; :data:`~sklprune.inference._onnx_graph.WRITTEN_LAYERS`), so the graph is
  built in milliseconds. Any other module class is exported with torch.onnx,
  which takes about a second, only when ``engine="onnxruntime"`` asks for it;
* ONNX Runtime's outputs on the first training rows agree with torch's.

Otherwise torch predicts, and the reason is recorded. In
``benchmarks/bench_predict_engine.py`` ONNX Runtime (one thread) predicted faster
than torch's fast inference form at batch 1 and 4,096 for dense, 90 %
weight-sparse and compacted networks.
"""

import warnings
from typing import NamedTuple

import numpy as np
import torch

from .._training.batching import predict_logits
from ._onnx_graph import ExportError, network_graph, writes_directly
from ._onnxruntime import OnnxRuntimeNetwork, import_onnxruntime

ENGINES = ("auto", "torch", "onnxruntime")
# Most training rows on which ONNX Runtime's outputs are checked against torch's.
CHECK_ROWS = 64


class EngineChoice(NamedTuple):
    """The engine that predicts, why, and its ONNX Runtime network if it is one."""

    engine: str
    reason: str
    runtime: OnnxRuntimeNetwork | None = None


def choose_engine(engine, module, X, n_features):
    """Resolve an estimator's ``engine`` parameter for a fitted network.

    Parameters
    ----------
    engine : {"auto", "torch", "onnxruntime"}
        The parameter.
    module : torch.nn.Module
        The fitted network.
    X : ndarray or scipy sparse matrix
        Training rows on which ONNX Runtime's outputs are checked (a few:
        :data:`CHECK_ROWS` at most are used).
    n_features : int
        Number of input features.

    Returns
    -------
    choice : EngineChoice
        ``engine`` (``"torch"`` or ``"onnxruntime"``), ``reason`` and, for ONNX
        Runtime, the ready ``runtime``.

    Raises
    ------
    ImportError
        If ``engine="onnxruntime"`` and onnxruntime is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune.inference._engine import choose_engine
    >>> from sklprune.modules import MLP
    >>> X = np.random.RandomState(0).rand(10, 4).astype(np.float32)
    >>> choose_engine("auto", MLP(4, 3, hidden_layer_sizes=(8,)), X, 4).engine
    'onnxruntime'
    >>> choose_engine("torch", MLP(4, 3), X, 4).reason
    "engine='torch'."
    """
    if engine == "torch":
        return EngineChoice("torch", "engine='torch'.")
    refusal = _refusal(engine, module)
    if refusal:
        return EngineChoice("torch", refusal)
    try:
        runtime = OnnxRuntimeNetwork(
            network_graph(module, n_features).SerializeToString()
        )
        difference = _largest_difference(runtime, module, X[:CHECK_ROWS])
    except ExportError as exc:
        return _fallback(engine, str(exc))
    except Exception as exc:  # ONNX Runtime's own errors derive from Exception
        return _fallback(engine, f"ONNX Runtime cannot run the network: {exc}")
    if difference is not None:
        return _fallback(
            engine,
            f"ONNX Runtime's outputs differ from torch's by up to {difference:.3g} "
            "on the training rows.",
        )
    return EngineChoice(
        "onnxruntime",
        f"engine={engine!r}: ONNX Runtime computes what torch computes on the "
        "training rows, and was measured faster on one thread.",
        runtime,
    )


def _refusal(engine, module):
    """Why ONNX Runtime is not tried at all, or None."""
    parameter = next(module.parameters(), None)
    if parameter is not None and parameter.device.type != "cpu":
        return (
            f"the network is on {parameter.device}; ONNX Runtime predicts on the CPU."
        )
    try:
        import_onnxruntime(f"engine={engine!r}")
        import onnx  # noqa: F401
    except ImportError as exc:
        if engine == "onnxruntime":
            raise ImportError(
                "engine='onnxruntime' needs onnxruntime and onnx: pip install "
                "onnxruntime onnx (or sklprune[onnx])."
            ) from exc
        return (
            "onnxruntime is not installed; pip install onnxruntime onnx (or "
            "sklprune[onnx]) to predict with ONNX Runtime."
        )
    if engine == "auto" and not writes_directly(module):
        return (
            f"{type(module).__name__} is not a chain of the layers written to ONNX "
            "directly; engine='onnxruntime' exports it with torch.onnx."
        )
    return None


def _fallback(engine, reason):
    if engine == "onnxruntime":
        warnings.warn(
            f"Predicting with torch instead of ONNX Runtime: {reason}",
            UserWarning,
            stacklevel=4,
        )
    return EngineChoice("torch", reason)


def _largest_difference(runtime, module, rows):
    """None when ONNX Runtime's outputs on ``rows`` agree with torch's, else the
    largest difference."""
    with torch.inference_mode():
        expected = predict_logits(module, rows)
    got = runtime.logits(rows)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    if got.shape == expected.shape and np.allclose(
        got, expected, rtol=1e-4, atol=1e-5 * (1.0 + scale), equal_nan=True
    ):
        return None
    if got.shape != expected.shape:
        return float("inf")
    return float(np.abs(got - expected).max())
