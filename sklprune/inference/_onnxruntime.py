"""A network's ONNX graph run by ONNX Runtime, for the estimators' predictions.

:class:`OnnxRuntimeNetwork` holds the serialized graph of
:func:`~sklprune.inference._onnx_graph.network_graph` and an ONNX Runtime session
built from it on first use, with one intra-op thread. Pickling keeps the graph and
drops the session, which is rebuilt on the next prediction. scipy.sparse batches
are made dense a few rows at a time, so that a wide TF-IDF input never needs more
than :data:`DENSE_BATCH_BYTES` of dense memory at once.
"""

import threading

import numpy as np
import scipy.sparse as sp

from ._onnx_graph import INPUT_NAME, OUTPUT_NAME

# A dense batch of rows made from sparse input holds at most this many bytes.
DENSE_BATCH_BYTES = 16 * 2**20
# Dense input is passed in batches of at most this many rows, as torch's path does.
ROW_BATCH = 4096


def import_onnxruntime(caller):
    """Import ``onnxruntime``, or say in one line how to install it.

    Parameters
    ----------
    caller : str
        What needs it, for the message.

    Returns
    -------
    onnxruntime : module

    Raises
    ------
    ImportError
        When onnxruntime is not installed.

    Examples
    --------
    >>> from sklprune.inference._onnxruntime import import_onnxruntime
    >>> import_onnxruntime("this example").__name__
    'onnxruntime'
    """
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs onnxruntime: pip install onnxruntime (or sklprune[onnx])."
        ) from exc
    return onnxruntime


def make_session(model, n_threads=1):
    """An ONNX Runtime session of ``model`` on the CPU, quiet, with ``n_threads``.

    Parameters
    ----------
    model : onnx.ModelProto or bytes
        The model, or its serialized bytes.
    n_threads : int, default=1
        Intra-op threads.

    Returns
    -------
    session : onnxruntime.InferenceSession
    """
    ort = import_onnxruntime("ONNX Runtime prediction")
    options = ort.SessionOptions()
    options.intra_op_num_threads = n_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    if not isinstance(model, bytes):
        model = model.SerializeToString()
    return ort.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )


class OnnxRuntimeNetwork:
    """A network's ONNX graph, run by ONNX Runtime on one intra-op thread.

    Parameters
    ----------
    graph : bytes
        The serialized ONNX model, with the input and output names of
        :func:`~sklprune.inference._onnx_graph.network_graph`.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklprune.inference._onnx_graph import network_graph
    >>> from sklprune.inference._onnxruntime import OnnxRuntimeNetwork
    >>> from sklprune.modules import MLP
    >>> mlp = MLP(4, 3, hidden_layer_sizes=(8,)).eval()
    >>> network = OnnxRuntimeNetwork(network_graph(mlp, 4).SerializeToString())
    >>> X = np.random.RandomState(0).rand(5, 4).astype(np.float32)
    >>> expected = mlp(torch.from_numpy(X)).detach().numpy()
    >>> bool(np.allclose(network.logits(X), expected, atol=1e-6))
    True
    """

    def __init__(self, graph):
        self.graph = graph
        self._session = None
        self._lock = threading.Lock()

    def session(self):
        """The ONNX Runtime session, built on first use."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = make_session(self.graph)
        return self._session

    def logits(self, X):
        """The network's outputs for ``X`` (float32 ndarray or sparse matrix)."""
        session = self.session()
        if isinstance(X, np.ndarray):
            X = np.ascontiguousarray(X, dtype=np.float32)
            if X.shape[0] <= ROW_BATCH:
                return session.run([OUTPUT_NAME], {INPUT_NAME: X})[0]
            batches = (
                X[start : start + ROW_BATCH] for start in range(0, len(X), ROW_BATCH)
            )
        else:  # scipy.sparse
            X = sp.csr_matrix(X)
            rows = max(1, DENSE_BATCH_BYTES // (4 * max(1, X.shape[1])))
            batches = (
                np.asarray(X[start : start + rows].toarray(), dtype=np.float32)
                for start in range(0, X.shape[0], rows)
            )
        outputs = [
            session.run([OUTPUT_NAME], {INPUT_NAME: batch})[0] for batch in batches
        ]
        return np.concatenate(outputs)

    def __getstate__(self):
        return {"graph": self.graph}

    def __setstate__(self, state):
        self.__init__(state["graph"])
