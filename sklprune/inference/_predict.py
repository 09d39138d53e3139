"""The estimators' prediction path: cheap input checks and the fast forms.

A one-row prediction is dominated by fixed costs: scikit-learn's ``validate_data``
and ``check_is_fitted`` look for dataframes, array API namespaces and fitted
attributes on every call. For the common input, a C-contiguous float ndarray of the
fitted width, :func:`validated_input` makes the same checks directly (fitted,
number of features, no feature names expected, finite values) and hands every other
input to ``validate_data``, so errors and warnings are scikit-learn's own.

:class:`InferenceCache` holds the fast inference form of a fitted module
(:func:`sklprune.to_inference`) and, when ONNX Runtime predicts, the module's ONNX
graph in an ONNX Runtime session, built on first use and rebuilt when the module's
parameters change.
"""

import threading
import warnings

import numpy as np
import sklearn
import torch
from sklearn.utils.validation import check_is_fitted, validate_data

from .._training.batching import predict_logits
from ..compaction._graph import is_leaf_chain
from ._form import to_inference
from ._onnx_graph import network_graph
from ._onnxruntime import OnnxRuntimeNetwork
from ._subnormals import flush_subnormals_

_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
PREDICT_BATCH = 4096
# Layers with at most this share of non-zero weights predict through CSR. A fixed
# rule rather than a timing: the same weights then always take the same kernels, so
# the same seed gives the same predictions to the last bit. A compromise between
# batch sizes: in benchmarks/bench_inference.py ("Fast inference" in RESULTS.md)
# CSR wins at batch 64 from 90 % sparsity on both widths, and at batch 4,096 from
# 97 %, but loses at 4,096 and 90 % on the 1024-512 network.
SPARSE_DENSITY = 0.15


def validated_input(estimator, X):
    """``validate_data(estimator, X, reset=False)`` as float32, cheap when it can be.

    Parameters
    ----------
    estimator : fitted estimator with ``module_`` and ``n_features_in_``
    X : array-like or scipy sparse matrix

    Returns
    -------
    X : ndarray of float32 or scipy sparse matrix
    """
    state = estimator.__dict__
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.shape[0] > 0
        and X.dtype in _FAST_DTYPES
        and X.flags.c_contiguous
        and "module_" in state
        and "feature_names_in_" not in state
        and X.shape[1] == state.get("n_features_in_")
    ):
        X32 = X.astype(np.float32, copy=False)
        if sklearn.get_config()["assume_finite"] or np.isfinite(X32.sum()):
            return X32
    check_is_fitted(estimator)
    return validate_data(
        estimator, X, accept_sparse=("csr", "csc"), dtype=np.float32, reset=False
    )


class InferenceCache:
    """The fast forms of one fitted module, built when first needed.

    For torch, the fast inference form (its subnormal weights at zero) is used for
    dense input; sparse input goes to the module itself, which multiplies sparse
    batches directly. Dead units are
    removed for a chain of layers (the default MLP), and for any other module only
    when no other Python thread runs (see ``_form``); sparse layers skip them
    anyway. When the form cannot be built (a module it does not compute
    correctly), the module itself is used.

    For ONNX Runtime, the network's ONNX graph in a session (see
    ``_onnxruntime``), adopted from the engine choice at the end of ``fit`` or
    rebuilt when the module's parameters changed (or after unpickling). When it
    cannot be rebuilt, torch predicts, with a warning that says why.
    """

    def __init__(self):
        self.key = None
        self.form = None
        self.params = []
        self.runtime_key = None
        self.runtime = None
        self.runtime_params = []

    def logits(self, module, X, engine="torch"):
        """Logits of ``X`` (dense float32 ndarray or sparse) as float32 ndarray,
        computed by ``engine`` (``"torch"`` or ``"onnxruntime"``)."""
        if engine == "onnxruntime":
            runtime = self._runtime(module, X.shape[1])
            if runtime is not None:
                return runtime.logits(X)
        device = next(module.parameters()).device
        if not isinstance(X, np.ndarray):
            return predict_logits(module, X, device=device)
        form = self._form(module, X)
        if form is None:
            return predict_logits(module, X, device=device)
        if X.shape[0] > PREDICT_BATCH:
            return predict_logits(form, X, batch_size=PREDICT_BATCH, device=device)
        if not X.flags.writeable:
            X = X.copy()
        with torch.inference_mode():
            return form(torch.from_numpy(X).to(device)).cpu().numpy()

    def adopt(self, module, runtime):
        """Use ``runtime`` (an ``OnnxRuntimeNetwork`` of ``module``) from now on."""
        self.runtime, self.runtime_params = runtime, list(module.parameters())
        self.runtime_key = _version_key(module, self.runtime_params)

    def _runtime(self, module, n_features):
        if self.runtime_key is not None and self.runtime_key == _version_key(
            module, self.runtime_params
        ):
            return self.runtime
        try:
            graph = network_graph(module, n_features).SerializeToString()
            runtime = OnnxRuntimeNetwork(graph)
            runtime.session()
        except Exception as exc:  # ONNX Runtime's errors derive from Exception
            warnings.warn(
                f"Predicting with torch: ONNX Runtime cannot run the network ({exc})",
                UserWarning,
                stacklevel=4,
            )
            runtime = None
        self.adopt(module, runtime)
        return runtime

    def _form(self, module, X):
        if self.key is None or self.key != _version_key(module, self.params):
            params = list(module.parameters())
            # compact traces a module with torch.fx, which patches every
            # nn.Module call process-wide while it runs: forwards in other threads
            # (folds fitted in a thread pool) would break, so dead units are
            # removed only when no other Python thread runs, or when the module is
            # a chain of layers, whose graph is built without tracing.
            alone = threading.active_count() == 1 or is_leaf_chain(module)
            try:
                form = to_inference(
                    module,
                    torch.from_numpy(X[:8].copy()),
                    sparse="threshold",
                    density_threshold=SPARSE_DENSITY,
                    batch_size=PREDICT_BATCH,
                    remove_dead_units=alone,
                )
                flush_subnormals_(form)
            except (ValueError, RuntimeError, NotImplementedError):
                form = None  # the module computes something the form cannot
            self.form, self.params = form, params
            self.key = _version_key(module, params)
        return self.form


def _version_key(module, params):
    """Changes when a training step or a load changes one of ``params`` (the
    module's, listed when the form was built) in place (its version counter
    moves), or when the module is replaced."""
    return (id(module), *[p._version for p in params])
