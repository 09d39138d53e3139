"""The training budget of a default fit: epochs that follow the target sparsity.

Measured in ``benchmarks/bench_tradeoff.py`` (section "Defaults at high
compression"): on a narrow many-class table, 16x and 32x compression gain from
more pruning epochs, while 40 epochs are enough up to 8x on every data set there.
"""

import math

BASE_EPOCHS = 40
EPOCHS_PER_DOUBLING = 10
MAX_AUTO_EPOCHS = 60


def auto_max_epochs(sparsity):
    """Epochs of a fit with ``max_epochs="auto"``.

    40 epochs up to 8x compression (sparsity 0.875), 10 more per doubling of the
    compression ratio beyond it, at most 60 (reached at 32x): a default fit costs
    at most 1.5 times the 40 epochs of a fit at low sparsity.

    Parameters
    ----------
    sparsity : float
        Target sparsity, in [0, 1).

    Returns
    -------
    max_epochs : int

    Examples
    --------
    >>> from sklprune._budget import auto_max_epochs
    >>> [auto_max_epochs(s) for s in (0.0, 0.875, 0.9, 0.9375, 0.96875, 0.99)]
    [40, 40, 43, 50, 60, 60]
    """
    ratio = 1.0 / (1.0 - sparsity)
    extra = EPOCHS_PER_DOUBLING * max(0.0, math.log2(ratio) - 3.0)
    return int(min(MAX_AUTO_EPOCHS, round(BASE_EPOCHS + extra)))


def resolve_max_epochs(max_epochs, sparsity):
    """``max_epochs`` as an int, ``"auto"`` resolved for ``sparsity``.

    Examples
    --------
    >>> from sklprune._budget import resolve_max_epochs
    >>> resolve_max_epochs("auto", 0.96875), resolve_max_epochs(20, 0.96875)
    (60, 20)
    """
    return auto_max_epochs(sparsity) if max_epochs == "auto" else int(max_epochs)
