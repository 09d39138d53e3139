"""Fast mini-batches from in-memory arrays, dense or scipy.sparse.

skorch's default data loader collates one row at a time, and densifies sparse input
row by row. Here a batch is one slice of the array, and inference runs on large chunks
under :func:`torch.inference_mode`. A CSR slice becomes a torch sparse COO batch for
modules that declare ``accepts_sparse_input = True`` (the default MLP: its first
Linear multiplies the sparse batch directly), and is densified once per batch for
any other module. With ``sparse_grad``, the COO batch is a
:class:`~sklprune._training.sparse_grad.SparseGradBatch`: the first Linear then
reads and differentiates only the weight columns the batch touches.
"""

import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import Dataset

from .sparse_grad import sparse_grad_batch


class ArrayDataset(Dataset):
    """Hold ``X`` (dense or CSR, float32) and optional integer ``y`` for batching.

    Accepts what skorch passes to a dataset class: numpy arrays, scipy sparse
    matrices or arrays, torch tensors and pandas objects. With ``keep_sparse``,
    batches of sparse ``X`` are torch sparse COO tensors; with ``sparse_grad`` too,
    they give the first Linear a sparse weight gradient (see
    :mod:`sklprune._training.sparse_grad`).
    """

    def __init__(self, X, y=None, keep_sparse=False, sparse_grad=False):
        self.X = as_batchable(X)
        self.y = None if y is None else _as_numpy(y)
        self.keep_sparse = keep_sparse
        self.sparse_grad = sparse_grad

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        Xi = batch_rows(self.X, index, self.keep_sparse)
        if self.sparse_grad and Xi.is_sparse:
            Xi = sparse_grad_batch(Xi)
        n_rows = Xi.shape[0]
        yi = torch.zeros(n_rows) if self.y is None else torch.as_tensor(self.y[index])
        return Xi, yi


def accepts_sparse_input(module):
    """Whether a module declares that its forward takes torch sparse COO batches."""
    return bool(getattr(module, "accepts_sparse_input", False))


class BatchIterator:
    """Iterate over an :class:`ArrayDataset` in slices of ``batch_size`` rows.

    Shuffling draws a permutation from torch's global generator, so a seeded fit
    sees the same batches. Batches are slices of in-memory arrays, made in the
    training process: :class:`torch.utils.data.DataLoader` options such as
    ``num_workers`` or ``pin_memory`` are refused, not ignored.

    Raises
    ------
    TypeError
        For any keyword argument other than ``batch_size`` and ``shuffle``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune._training.batching import ArrayDataset, BatchIterator
    >>> dataset = ArrayDataset(np.zeros((5, 2)))
    >>> [len(Xb) for Xb, _ in BatchIterator(dataset, batch_size=2)]
    [2, 2, 1]
    >>> BatchIterator(dataset, num_workers=2)
    Traceback (most recent call last):
    ...
    TypeError: BatchIterator got unsupported arguments ['num_workers']: ...
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, **kwargs):
        if kwargs:
            raise TypeError(
                f"BatchIterator got unsupported arguments {sorted(kwargs)}: it "
                "slices in-memory arrays and takes only batch_size and shuffle. "
                "Remove them from the iterator_train__*/iterator_valid__* "
                "parameters, or pass iterator_train=torch.utils.data.DataLoader "
                "to use DataLoader's options."
            )
        if not isinstance(dataset, ArrayDataset):
            dataset = ArrayDataset(*_unpack(dataset))
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = torch.randperm(n).numpy() if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                index = slice(start, start + self.batch_size)
            else:
                index = np.sort(order[start : start + self.batch_size])
            yield self.dataset[index]


def as_batchable(X):
    """Convert input to a float32 ndarray or canonical ``csr_matrix``, never dense."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
        X.sum_duplicates()  # sorted, unique indices: slices convert to coalesced COO
        return X
    return np.ascontiguousarray(_as_numpy(X), dtype=np.float32)


def batch_rows(X, index, keep_sparse=False):
    """Rows of X as a float32 tensor: sparse COO if asked and X is sparse."""
    if keep_sparse and sp.issparse(X):
        rows = X[index].tocoo()
        indices = torch.from_numpy(np.vstack([rows.row, rows.col]).astype(np.int64))
        return torch.sparse_coo_tensor(
            indices,
            torch.from_numpy(rows.data),
            rows.shape,
            is_coalesced=True,
            check_invariants=False,
        )
    return dense_rows(X, index)


def dense_rows(X, index):
    """Rows of X as a dense float32 tensor (a CSR slice is densified once)."""
    rows = X[index]
    if sp.issparse(rows):
        rows = rows.toarray()
    elif not rows.flags.writeable:  # torch cannot share memory it may not write
        rows = rows.copy()
    return torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32))


@torch.inference_mode()
def predict_logits(module, X, *, batch_size=4096, device="cpu"):
    """Forward pass over in-memory data in large chunks.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a float32 batch to logits.
    X : array-like or scipy sparse matrix
    batch_size : int, default=4096
    device : str or torch.device, default="cpu"

    Returns
    -------
    logits : ndarray of shape (n_samples, n_outputs), float32
    """
    X = as_batchable(X)
    keep_sparse = accepts_sparse_input(module)
    was_training = module.training
    if was_training:
        module.eval()
    try:
        chunks = [
            module(
                batch_rows(X, slice(start, start + batch_size), keep_sparse).to(device)
            )
            for start in range(0, X.shape[0], batch_size)
        ]
    finally:
        if was_training:
            module.train()
    if not chunks:
        return np.empty((0, 0), np.float32)
    logits = chunks[0] if len(chunks) == 1 else torch.cat(chunks)
    return logits.cpu().numpy()


def _as_numpy(a):
    if torch.is_tensor(a):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _unpack(dataset):
    """Recover (X, y) from a skorch Dataset built from arrays."""
    X = getattr(dataset, "X", None)
    if X is None:
        raise TypeError(
            f"BatchIterator needs array data; got a {type(dataset).__name__}."
        )
    return X, getattr(dataset, "y", None)
