"""Fast mini-batches from in-memory arrays, dense or scipy.sparse.

skorch's default data loader collates one row at a time, and densifies sparse input
row by row. Here a batch is one slice of the array (a CSR slice is densified once per
batch), and inference runs on large chunks under :func:`torch.inference_mode`.
"""

import numpy as np
import scipy.sparse as sp
import torch
from torch.utils.data import Dataset


class ArrayDataset(Dataset):
    """Hold ``X`` (dense or CSR, float32) and optional integer ``y`` for batching.

    Accepts what skorch passes to a dataset class: numpy arrays, scipy sparse
    matrices or arrays, torch tensors and pandas objects.
    """

    def __init__(self, X, y=None, length=None):
        self.X = as_batchable(X)
        self.y = None if y is None else _as_numpy(y)
        self.length = self.X.shape[0]

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        Xi = dense_rows(self.X, index)
        yi = torch.zeros(len(Xi)) if self.y is None else torch.as_tensor(self.y[index])
        return Xi, yi


class BatchIterator:
    """Iterate over an :class:`ArrayDataset` in slices of ``batch_size`` rows.

    Shuffling draws a permutation from torch's global generator, so a seeded fit
    sees the same batches.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False, **kwargs):
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
    """Convert input to a float32 ndarray or ``csr_matrix`` without densifying."""
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float32)
    return np.ascontiguousarray(_as_numpy(X), dtype=np.float32)


def dense_rows(X, index):
    """Rows of X as a dense float32 tensor (a CSR slice is densified once)."""
    rows = X[index]
    if sp.issparse(rows):
        rows = rows.toarray()
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
    was_training = module.training
    module.eval()
    try:
        chunks = [
            module(dense_rows(X, slice(start, start + batch_size)).to(device)).cpu()
            for start in range(0, X.shape[0], batch_size)
        ]
    finally:
        module.train(was_training)
    return torch.cat(chunks).numpy() if chunks else np.empty((0, 0), np.float32)


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
