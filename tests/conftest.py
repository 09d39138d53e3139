import sys
from pathlib import Path

import numpy as np
import pytest
import torch

# The benchmark scripts import their shared RESULTS.md writer as a sibling module.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

# One intra-op thread: on a shared 2-core machine two were measured many times
# slower under load, and with one every product sums in one order, so a row's
# prediction does not depend on the rows beside it.
torch.set_num_threads(1)


@pytest.fixture
def digits_small():
    """200 standardised 8x8 digit images, 10 classes."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X[:300] / 16.0).astype(np.float32)
    return X, y[:300].astype(np.int64)


@pytest.fixture
def blobs():
    """A small, easy 3-class problem."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=240, n_features=12, n_informative=6, n_classes=3, random_state=0
    )
    return X.astype(np.float32), y.astype(np.int64)
