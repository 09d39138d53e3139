"""The fast inference form of a pruned network: sparse layers where they pay.

A weight-pruned ``Linear`` layer still multiplies a dense matrix, zeros included.
:func:`to_inference` returns a copy of a pruned module for predictions only, in which

* hidden units that weight pruning left dead (no incoming weights, or no outgoing
  ones) are removed by :func:`~sklprune.compact`, their constants folded into the
  next layer's bias, when compaction can follow the module;
* every ``Linear`` layer whose weight is sparse enough becomes a :class:`SparseLinear`,
  which multiplies with a torch sparse CSR matrix, but only where that is faster than
  the dense product on the machine it runs on (a quick timing of both, per layer), or
  below a fixed density when timing is turned off.

The result is a plain :class:`torch.nn.Module` that computes what the masked module
computes (up to float rounding), in evaluation mode and without gradients.
"""

import copy
import statistics
import time
import warnings

import torch
from torch import nn

from ..compaction._compact import compact
from ..masks import apply_masks, check_masks, check_module

SPARSE_MODES = ("calibrate", "threshold", "never")

# Layers denser than this are never timed: CSR products lose to dense ones there.
MAX_CALIBRATED_DENSITY = 0.5
# A sparse layer is kept only when it is at least this much faster than the dense
# one, so that timing noise cannot make the fast form slower.
CALIBRATION_MARGIN = 0.1
# One timed product of a layer multiplies at most about this many weights, so that
# timing a very wide layer does not take seconds.
CALIBRATION_MACS = 2**30
CALIBRATION_REPEATS = 5
CALIBRATION_BLOCK_S = 1e-3

# Decisions per layer shape, density (percent), rows, dtype, device and threads:
# made once per process, so that every form built in it computes alike.
_DECISIONS = {}


class SparseLinear(nn.Module):
    """A ``Linear`` layer whose weight is a torch sparse CSR matrix.

    Computes ``x @ weight.T + bias`` like :class:`torch.nn.Linear`, skipping the
    zero weights. The matrix is stored as three buffers (``crow_indices``,
    ``col_indices``, ``values``), so the layer pickles, deep-copies, moves between
    devices and saves its state dict like any module; the CSR tensor is rebuilt
    from them. A batch is returned transposed (a view), which the next sparse
    layer reads without a copy. Sparse input batches are made dense first.

    Parameters
    ----------
    weight : torch.Tensor of shape (out_features, in_features)
        Dense weight; only its non-zero entries are kept.
    bias : torch.Tensor of shape (out_features,) or None, default=None
        Bias.

    Attributes
    ----------
    in_features, out_features : int
        Widths, as for :class:`torch.nn.Linear`.
    density : float
        Fraction of the weights that are non-zero.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.inference import SparseLinear
    >>> dense = nn.Linear(4, 3)
    >>> with torch.no_grad():
    ...     dense.weight[:, 1:] = 0.0
    >>> sparse = SparseLinear.from_linear(dense)
    >>> sparse
    SparseLinear(in_features=4, out_features=3, density=0.25, bias=True)
    >>> x = torch.randn(2, 4)
    >>> torch.allclose(sparse(x), dense(x))
    True
    >>> sparse.to_linear()
    Linear(in_features=4, out_features=3, bias=True)
    """

    def __init__(self, weight, bias=None):
        super().__init__()
        weight = weight.detach()
        self.out_features, self.in_features = (int(s) for s in weight.shape)
        with warnings.catch_warnings():  # torch calls its CSR support "beta"
            warnings.filterwarnings("ignore", "Sparse CSR tensor support")
            csr = weight.to_sparse_csr()
        self.register_buffer("crow_indices", csr.crow_indices().clone())
        self.register_buffer("col_indices", csr.col_indices().clone())
        self.register_buffer("values", csr.values().clone())
        if bias is None:
            self.bias = None
        else:
            self.bias = nn.Parameter(bias.detach().clone(), requires_grad=False)
        self._weight = None

    @classmethod
    def from_linear(cls, linear):
        """The sparse version of a :class:`torch.nn.Linear` layer."""
        return cls(linear.weight, linear.bias)

    @property
    def density(self):
        return self.values.numel() / max(1, self.in_features * self.out_features)

    def weight_csr(self):
        """The weight as a torch sparse CSR tensor."""
        if self._weight is None:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Sparse CSR tensor support")
                self._weight = torch.sparse_csr_tensor(
                    self.crow_indices,
                    self.col_indices,
                    self.values,
                    (self.out_features, self.in_features),
                    check_invariants=False,
                )
        return self._weight

    def to_linear(self):
        """The equivalent dense :class:`torch.nn.Linear` (for export)."""
        linear = nn.Linear(
            self.in_features, self.out_features, bias=self.bias is not None
        )
        linear = linear.to(device=self.values.device, dtype=self.values.dtype)
        with torch.no_grad():
            linear.weight.copy_(self.weight_csr().to_dense())
            if self.bias is not None:
                linear.bias.copy_(self.bias)
        return linear.requires_grad_(False).eval()

    def forward(self, x):
        if x.layout != torch.strided:
            x = x.to_dense()
        if x.dim() != 2:
            shape = x.shape
            return self.forward(x.reshape(-1, shape[-1])).reshape(
                *shape[:-1], self.out_features
            )
        weight = self._weight if self._weight is not None else self.weight_csr()
        if self.bias is None:
            return torch.sparse.mm(weight, x.t()).t()
        return torch.addmm(self.bias.unsqueeze(1), weight, x.t()).t()

    def _apply(self, fn, *args, **kwargs):
        self._weight = None  # buffers move or change dtype: rebuild from them
        return super()._apply(fn, *args, **kwargs)

    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state)
        state["_weight"] = None  # a CSR tensor cannot be copied by storage
        return state

    def _load_from_state_dict(self, *args, **kwargs):
        self._weight = None
        super()._load_from_state_dict(*args, **kwargs)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"density={self.density:.3g}, bias={self.bias is not None}"
        )


class DenseLinear(nn.Linear):
    """A :class:`torch.nn.Linear` that also takes column-major batches as they are.

    :class:`SparseLinear` returns its batch transposed (a view of a
    ``(out_features, batch)`` matrix). ``nn.Linear`` multiplies such a batch much
    more slowly when it has few outputs (a classifier's last layer);
    ``DenseLinear`` multiplies the untransposed matrix instead and returns a
    transposed view too. :func:`to_inference` uses it for the dense layers of a
    form that has sparse ones. Row-major batches go through ``nn.Linear`` as usual.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.inference import DenseLinear
    >>> layer = nn.Linear(4, 2)
    >>> fast = DenseLinear(4, 2)
    >>> _ = fast.load_state_dict(layer.state_dict())
    >>> x = torch.randn(4, 8).t()  # a column-major batch of 8 rows
    >>> torch.allclose(fast(x), layer(x), atol=1e-6)
    True
    """

    def forward(self, x):
        if x.dim() == 2 and x.shape[0] > 1 and x.stride(0) == 1 and x.stride(1) != 1:
            if self.bias is None:
                return torch.mm(self.weight, x.t()).t()
            return torch.addmm(self.bias.unsqueeze(1), self.weight, x.t()).t()
        return super().forward(x)


def to_inference(
    module,
    example_input=None,
    *,
    masks=None,
    sparse="calibrate",
    density_threshold=0.05,
    batch_size=4096,
    remove_dead_units=True,
):
    """Return the fast inference form of a pruned module.

    A copy of ``module`` is made (the module itself is not changed), ``masks`` are
    applied to it, and then:

    1. hidden units that pruning left dead (all incoming weights zero, or all
       outgoing ones) are removed with :func:`~sklprune.compact`, which folds their
       constant outputs into the next layer's bias. A module compaction cannot
       follow keeps all its units;
    2. every :class:`torch.nn.Linear` layer is replaced by a :class:`SparseLinear`
       where the sparse product is the faster one, as ``sparse`` decides. When one
       is, the dense ``Linear`` layers become :class:`DenseLinear`, which read the
       sparse layers' transposed output without a copy. Other layers stay as they
       are.

    Parameters
    ----------
    module : torch.nn.Module
        The pruned network (pruned weights are exact zeros, or ``masks`` say which).
        Any module whose ``forward`` calls its ``Linear`` layers as submodules; a
        ``forward`` that reads a layer's ``weight`` itself is caught when
        ``example_input`` is given.
    example_input : torch.Tensor or array-like, default=None
        A batch of inputs. When given, the fast form is checked against the masked
        module on it, and a ``ValueError`` is raised if they disagree.
    masks : dict of str to torch.Tensor, default=None
        Boolean keep-masks by parameter name, such as ``PruningCallback.masks_``.
        ``None`` uses the weights as they are.
    sparse : {"calibrate", "threshold", "never"}, default="calibrate"
        How each ``Linear`` layer is chosen to become sparse:

        * ``"calibrate"``: layers of density up to 0.5 are timed on this machine,
          dense against sparse, on ``batch_size`` random rows (fewer for wide layers,
          so that one product stays near 2**30 multiply-adds), with the number of
          torch threads set now; a layer becomes sparse only when that is at least
          10 % faster. A layer listed after a sparse one is timed on a batch laid
          out as a sparse layer returns it. Decisions are remembered for the
          rest of the process, by layer shape, density, rows, dtype, device,
          thread count and that layout, so forms built alike compute alike;
        * ``"threshold"``: a layer becomes sparse when its density (fraction of
          non-zero weights) is at most ``density_threshold``, without timing;
        * ``"never"``: every layer stays dense. The result then holds only torch's
          own layers and can be exported with :func:`torch.onnx.export`, which
          cannot export sparse CSR products.
    density_threshold : float, default=0.05
        Density up to which ``sparse="threshold"`` uses a sparse layer. The default
        is where torch's CSR product beat the dense one at every batch size from 1
        to 4,096 on one CPU thread in ``benchmarks/bench_inference.py``; at 10 %
        density it wins only on larger batches.
    batch_size : int, default=4096
        Rows a prediction multiplies at once; the batch ``"calibrate"`` times.
    remove_dead_units : bool, default=True
        Remove dead hidden units first (step 1).

    Returns
    -------
    fast : torch.nn.Module
        A new module in evaluation mode, with ``requires_grad=False`` parameters,
        computing what the masked ``module`` computes. It keeps the module's
        class, with narrower layers and some ``Linear`` layers replaced by
        :class:`SparseLinear` (and the others by :class:`DenseLinear`). Run it
        under :func:`torch.inference_mode` for the least overhead.

    Raises
    ------
    TypeError
        If ``module`` is not a torch module, or a mask is not boolean.
    ValueError
        If ``sparse``, ``density_threshold`` or ``batch_size`` is invalid, if
        ``masks`` do not fit the module, or if the fast form does not compute what
        the module computes on ``example_input``.

    See Also
    --------
    sklprune.compact : Removes pruned units only.
    sklprune.PrunedClassifier : Predicts through this form automatically.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune import to_inference
    >>> _ = torch.manual_seed(0)
    >>> net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 3))
    >>> with torch.no_grad():
    ...     net[0].weight[:, 2:] = 0.0  # 97 % of the first layer pruned
    ...     net[0].weight[30:] = 0.0  # two dead units
    >>> fast = to_inference(net, sparse="threshold")
    >>> fast
    Sequential(
      (0): SparseLinear(in_features=64, out_features=30, density=0.0312, bias=True)
      (1): ReLU()
      (2): DenseLinear(in_features=30, out_features=3, bias=True)
    )
    >>> x = torch.randn(5, 64)
    >>> with torch.inference_mode():
    ...     torch.allclose(fast(x), net(x), atol=1e-6)
    True

    For :func:`torch.onnx.export`, build the dense form (dead units removed, no
    sparse layer):

    >>> to_inference(net, sparse="never")[0]
    Linear(in_features=64, out_features=30, bias=True)
    """
    check_module(module, "to_inference")
    if sparse not in SPARSE_MODES:
        raise ValueError(f"sparse must be one of {list(SPARSE_MODES)}; got {sparse!r}.")
    if isinstance(density_threshold, bool) or not (
        isinstance(density_threshold, int | float) and 0 <= density_threshold <= 1
    ):
        raise ValueError(
            f"density_threshold must be a number in [0, 1]; got {density_threshold!r}."
        )
    if isinstance(batch_size, bool) or not (
        isinstance(batch_size, int) and batch_size >= 1
    ):
        raise ValueError(f"batch_size must be an integer >= 1; got {batch_size!r}.")
    masked = copy.deepcopy(module).eval()
    apply_masks(masked, check_masks(masked, masks))
    fast = masked
    if remove_dead_units:
        try:
            fast = compact(masked)
        except ValueError:  # a module compaction cannot follow keeps its units
            fast = copy.deepcopy(masked)
    elif example_input is not None:
        fast = copy.deepcopy(masked)
    fast.requires_grad_(False).eval()
    _sparsify(fast, sparse, density_threshold, batch_size)
    if example_input is not None:
        _verify(masked, fast, example_input)
    return fast


# --------------------------------------------------------------------- layers


def _sparsify(module, mode, density_threshold, batch_size):
    """Replace the chosen Linear layers, wherever the module holds them."""
    replaced = {}
    after_sparse = False  # timing guess: layers run in the order they are listed
    for parent in list(module.modules()):
        for name, child in list(parent._modules.items()):
            if type(child) is not nn.Linear:
                continue
            if id(child) not in replaced:
                choice = _choose(
                    child, mode, density_threshold, batch_size, after_sparse
                )
                replaced[id(child)] = choice
                after_sparse = type(choice) is SparseLinear
            setattr(parent, name, replaced[id(child)])
    if any(type(layer) is SparseLinear for layer in replaced.values()):
        for layer in replaced.values():
            if type(layer) is nn.Linear:  # may read a sparse layer's output
                layer.__class__ = DenseLinear


def _choose(linear, mode, density_threshold, batch_size, after_sparse):
    """The layer itself, or its SparseLinear if that is the faster one.

    A layer that follows a sparse one reads its transposed output, which both
    products multiply faster than a row-major batch, so it is timed that way.
    """
    weight = linear.weight
    if mode == "never" or weight.dtype not in (torch.float32, torch.float64):
        return linear
    density = int((weight != 0).sum()) / max(1, weight.numel())
    if mode == "threshold":
        return (
            SparseLinear.from_linear(linear) if density <= density_threshold else linear
        )
    if density > MAX_CALIBRATED_DENSITY:
        return linear
    candidate = SparseLinear.from_linear(linear)
    rows = min(batch_size, max(1, CALIBRATION_MACS // max(1, weight.numel())))
    key = (
        tuple(weight.shape),
        round(density * 100),
        rows,
        weight.dtype,
        weight.device.type,
        torch.get_num_threads(),
        after_sparse,
    )
    if key not in _DECISIONS:
        _DECISIONS[key] = _sparse_is_faster(linear, candidate, rows, after_sparse)
    return candidate if _DECISIONS[key] else linear


@torch.inference_mode()
def _sparse_is_faster(dense, sparse, rows, transposed=False):
    """Time both layers on random rows, interleaved; medians decide."""
    weight = dense.weight
    shape = (dense.in_features, rows) if transposed else (rows, dense.in_features)
    x = torch.randn(shape, dtype=weight.dtype, device=weight.device)
    if transposed:  # a column-major batch, as a sparse layer returns it
        x = x.t()
        dense = copy.copy(dense)
        dense.__class__ = DenseLinear
    sync = torch.cuda.synchronize if weight.device.type == "cuda" else (lambda: None)

    def seconds(layer, calls):
        sync()
        start = time.perf_counter()
        for _ in range(calls):
            layer(x)
        sync()
        return (time.perf_counter() - start) / calls

    seconds(sparse, 1)  # first calls build the CSR tensor and warm caches
    one = max(seconds(dense, 1), 1e-7)
    calls = max(1, min(1000, int(CALIBRATION_BLOCK_S / one)))
    dense_times, sparse_times = [], []
    for repeat in range(CALIBRATION_REPEATS):
        pair = [(dense, dense_times), (sparse, sparse_times)]
        for layer, times in pair if repeat % 2 else pair[::-1]:
            times.append(seconds(layer, calls))
    ratio = statistics.median(sparse_times) / statistics.median(dense_times)
    return ratio < 1 - CALIBRATION_MARGIN


# --------------------------------------------------------------------- checking


@torch.inference_mode()
def _verify(masked, fast, example_input):
    x = example_input
    if not torch.is_tensor(x):
        x = torch.as_tensor(x, dtype=torch.float32)
    parameter = next(masked.parameters(), None)
    if parameter is not None:
        x = x.to(parameter.device)
    try:
        expected = masked(x)
    except Exception as exc:
        raise ValueError(
            f"The module failed on example_input of shape {tuple(x.shape)}: {exc}"
        ) from exc
    problem = None
    try:
        got = fast(x)
    except Exception as exc:
        problem = exc
    else:
        scale = float(expected.abs().max()) if expected.numel() else 0.0
        if got.shape != expected.shape or not torch.allclose(
            got, expected, rtol=1e-4, atol=1e-5 * (1.0 + scale), equal_nan=True
        ):
            problem = "outputs differ on example_input"
    if problem is not None:
        raise ValueError(
            f"The fast inference form of {type(masked).__name__} does not compute "
            f"what the module computes ({problem}). If its forward reads a Linear "
            "layer's weight itself, pass sparse='never'; if it relies on the widths "
            "of its layers, pass remove_dead_units=False; or predict with the "
            "module as it is."
        )
