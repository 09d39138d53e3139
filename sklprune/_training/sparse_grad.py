"""Training on sparse input whose cost follows the non-zeros.

A mini-batch of a CSR matrix touches a few thousand of the input columns. When a
:class:`SparseGradBatch` goes through :func:`torch.nn.functional.linear` (the first
``Linear`` of a module that declares ``accepts_sparse_input = True``), the product
reads only the weight columns the batch touches, and the weight's gradient is a
sparse COO tensor over those columns rather than a dense ``out x in`` matrix. The
weight keeps the ``Linear`` layout, so the module stays a plain module.

The helpers below let the rest of the library treat such a gradient without
densifying it: mask it, re-mask the weight entries an optimizer step touched, and
add its statistics into a running sum.

This module knows only PyTorch.
"""

import torch
import torch.nn.functional as F


class SparseGradBatch(torch.Tensor):
    """A sparse COO batch whose product with a weight has a sparse weight gradient.

    Build it with :func:`sparse_grad_batch`. Every operation other than
    :func:`torch.nn.functional.linear` with the batch as input sees a plain sparse
    COO tensor.
    """

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.linear and type(args[0]) is cls:
            weight = args[1] if len(args) > 1 else kwargs["weight"]
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            return sparse_linear(args[0], weight, bias)
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **kwargs)
        if func in _DEVICE_MOVES and torch.is_tensor(out) and out.is_sparse:
            return sparse_grad_batch(out)
        return out


_DEVICE_MOVES = {torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.cpu}


def sparse_grad_batch(coo):
    """Mark a coalesced 2-D sparse COO tensor as a :class:`SparseGradBatch`."""
    return torch.Tensor._make_subclass(SparseGradBatch, coo)


def sparse_linear(batch, weight, bias=None):
    """``batch @ weight.T + bias`` with a sparse COO gradient for ``weight``.

    Parameters
    ----------
    batch : torch.Tensor
        Coalesced sparse COO tensor of shape (n_rows, in_features).
    weight : torch.Tensor
        Dense tensor of shape (out_features, in_features).
    bias : torch.Tensor or None
        Dense tensor of shape (out_features,).

    Returns
    -------
    out : torch.Tensor of shape (n_rows, out_features)
    """
    with torch._C.DisableTorchFunctionSubclass():
        indices = batch._indices()
        values = batch._values()
        n_rows = batch.shape[0]
    columns, local = torch.unique(indices[1], sorted=True, return_inverse=True)
    out = _SparseLinear.apply(indices[0], local, values, columns, weight, n_rows)
    return out if bias is None else out + bias


class _SparseLinear(torch.autograd.Function):
    """Sparse rows times the touched weight columns; a sparse COO weight gradient.

    The batch's non-zeros are ``values`` at (``rows``, ``columns[local]``).
    """

    @staticmethod
    def forward(ctx, rows, local, values, columns, weight, n_rows):
        touched = weight.t().index_select(0, columns)  # (k, out), one row a column
        contributions = touched.index_select(0, local).mul_(values[:, None])
        out = weight.new_zeros(n_rows, weight.shape[0])
        ctx.save_for_backward(rows, local, values, columns)
        ctx.weight_shape = weight.shape
        return out.index_add_(0, rows, contributions)

    @staticmethod
    def backward(ctx, grad_out):
        if not ctx.needs_input_grad[4]:
            return None, None, None, None, None, None
        rows, local, values, columns = ctx.saved_tensors
        out_features, in_features = ctx.weight_shape
        k = columns.numel()
        # (k, out): the gradient of every touched input column.
        contributions = grad_out.index_select(0, rows).mul_(values[:, None])
        grad_touched = grad_out.new_zeros(k, out_features).index_add_(
            0, local, contributions
        )
        # Entries are listed column by column, the order of a column-major weight
        # (see LazyAdam), so the COO is valid but not flagged coalesced.
        indices = torch.empty(2, k, out_features, dtype=torch.long, device=rows.device)
        indices[0] = torch.arange(out_features, device=rows.device)
        indices[1] = columns[:, None]
        grad = torch.sparse_coo_tensor(
            indices.view(2, -1),
            grad_touched.view(-1),
            (out_features, in_features),
            is_coalesced=False,
            check_invariants=False,
        )
        return None, None, None, None, grad, None


def column_blocks(grad):
    """``(columns, block)`` of a gradient that holds whole columns, else ``None``.

    :func:`sparse_linear` gives gradients that hold every row of the touched
    columns, column after column: ``block`` is then the (k, out) tensor of their
    values, row ``i`` the gradient of input column ``columns[i]``. The answer is
    kept on the gradient tensor, so the layout is checked once per gradient.
    """
    cached = getattr(grad, "_column_blocks", False)
    if cached is False:
        cached = grad._column_blocks = _column_blocks(grad)
    return cached


def _column_blocks(grad):
    if grad.dim() != 2:
        return None
    out_features = grad.shape[0]
    indices, values = grad._indices(), grad._values()
    if values.dim() != 1 or values.numel() % out_features:
        return None
    k = values.numel() // out_features
    rows = indices[0].view(k, out_features)
    columns = indices[1].view(k, out_features)
    if not (
        bool((rows == torch.arange(out_features, device=rows.device)).all())
        and bool((columns == columns[:, :1]).all())
        and bool((columns[1:, 0] > columns[:-1, 0]).all())
    ):
        return None
    return columns[:, 0], values.view(k, out_features)


def locate(grad):
    """``(entries, values)``: where the entries of a sparse ``grad`` live.

    ``entries.get(t)`` reads the entries from a tensor ``t`` shaped like the
    gradient, lined up with ``values``; ``entries.put_(t, v)`` writes them and
    ``entries.add_(t, v)`` adds to them. For a :func:`column_blocks` gradient the
    entries are whole columns (contiguous when ``t`` is stored column-major); any
    other sparse gradient, hybrid ones included, is coalesced first so that every
    entry is listed once.
    """
    blocks = column_blocks(grad)
    if blocks is not None:
        columns, block = blocks
        return _Columns(columns), block
    grad = grad.coalesce()
    return _Entries(tuple(grad._indices())), grad._values()


class _Columns:
    def __init__(self, columns):
        self.columns = columns

    def get(self, t):
        return t.t().index_select(0, self.columns)

    def put_(self, t, values):
        t.t().index_put_((self.columns,), values)

    def add_(self, t, values):
        t.t().index_add_(0, self.columns, values)


class _Entries:
    def __init__(self, index):
        self.index = index

    def get(self, t):
        return t[self.index]

    def put_(self, t, values):
        t.index_put_(self.index, values)

    def add_(self, t, values):
        t.index_put_(self.index, values, accumulate=True)


@torch.no_grad()
def mask_gradient_(grad, mask):
    """Write exact zeros at the pruned entries a sparse gradient holds.

    ``mask`` is the boolean keep-mask of the parameter; NaN and inf are zeroed
    too.
    """
    blocks = column_blocks(grad)
    if blocks is not None:
        columns, block = blocks
        block.masked_fill_(~mask.t().index_select(0, columns), 0.0)
    else:
        grad._values().masked_fill_(~mask[tuple(grad._indices())], 0.0)


@torch.no_grad()
def mask_parameter_(param, mask):
    """Re-apply a boolean keep-mask to the entries of ``param`` its sparse
    gradient holds: after a lazy step (see :class:`~sklprune.optim.LazyAdam`)
    only they can have moved.
    """
    entries, _ = locate(param.grad)
    entries.put_(param, entries.get(param).masked_fill_(~entries.get(mask), 0.0))


@torch.no_grad()
def add_sparse_statistic_(total, statistic, weight, grad):
    """Add a statistic of a sparse gradient into a dense running sum, in place.

    ``"taylor"`` adds ``|w * g|`` and ``"grad_sq"`` adds ``g ** 2`` at the entries
    ``grad`` holds; the other entries have a zero gradient and add nothing.
    """
    entries, values = locate(grad)
    if statistic == "taylor":
        values = (entries.get(weight) * values).abs_()
    else:
        values = values.square()
    entries.add_(total, values)


def column_major(tensor):
    """A copy of a row-major 2-D tensor stored column-major (``.t()`` contiguous)."""
    return tensor.t().contiguous().t()


@torch.no_grad()
def contiguous_parameters_(module):
    """Store every parameter of ``module`` row-major (contiguous) again."""
    for p in module.parameters():
        if not p.is_contiguous():
            p.data = p.data.contiguous()
