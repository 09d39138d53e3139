"""What the ``"auto"`` settings of a default fit resolve to.

The strategy follows the width of the input, the epochs follow the target
sparsity and whether the fit starts from trained weights. The estimators and
:class:`~sklprune.PruningCallback` resolve ``strategy="auto"`` here, from the
same width: the features per sample of ``X``. Both rules were measured in
``benchmarks/bench_tradeoff.py`` (section "Defaults at high compression"): on
narrow tables (16 to 30 features) the second-order criterion beat magnitude by
0.4 to 1.9 points at 32x, and 32x gains from more pruning epochs; on wide inputs
(64 pixels, 2,000 and 5,000 TF-IDF columns) magnitude was as accurate or more,
by 0.3 to 1.2 points at 32x; 40 epochs are enough up to 8x on every data set
there. The budget of a trained start was measured in
``benchmarks/bench_pretrained.py`` (section "Pruning a trained network"), from
fitted scikit-learn MLPs.
"""

import math

BASE_EPOCHS = 40
TRAINED_SHARE = 4  # a trained start gets a quarter of a fit from scratch
EPOCHS_PER_DOUBLING = 10
MAX_AUTO_EPOCHS = 60
NARROW_INPUT_FEATURES = 50  # "fisher" below it, "magnitude" from it on


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
    >>> from sklprune._training.auto import auto_max_epochs
    >>> [auto_max_epochs(s) for s in (0.0, 0.875, 0.9, 0.9375, 0.96875, 0.99)]
    [40, 40, 43, 50, 60, 60]
    """
    ratio = 1.0 / (1.0 - sparsity)
    extra = EPOCHS_PER_DOUBLING * max(0.0, math.log2(ratio) - 3.0)
    return int(min(MAX_AUTO_EPOCHS, round(BASE_EPOCHS + extra)))


def auto_trained_max_epochs(sparsity):
    """Epochs of a fit with ``max_epochs="auto"`` that starts from trained weights.

    A quarter of the epochs of a fit from scratch (:func:`auto_max_epochs`),
    rounded down: 10 up to 8x compression and at 0.9, 12 at 16x, 15 from 32x on.
    The network already fits the data; the epochs prune it and let the weights
    that are left take over from the pruned ones. Measured from fitted
    scikit-learn MLPs (hidden 256-128) at 0.9: digits comes within a point of
    the MLP from 6 epochs on, a narrow 26-class table needs about 30, and on
    5,000 TF-IDF columns, where the MLP has learned its training rows by heart,
    more epochs only overfit more. The short budget buys the time (a quarter
    of a fit from scratch); a larger ``max_epochs`` buys the accuracy.

    Parameters
    ----------
    sparsity : float
        Target sparsity, in [0, 1).

    Returns
    -------
    max_epochs : int

    Examples
    --------
    >>> from sklprune._training.auto import auto_trained_max_epochs
    >>> [auto_trained_max_epochs(s) for s in (0.0, 0.875, 0.9, 0.9375, 0.97, 0.99)]
    [10, 10, 10, 12, 15, 15]
    """
    return auto_max_epochs(sparsity) // TRAINED_SHARE


def resolve_max_epochs(max_epochs, sparsity, trained=False):
    """``max_epochs`` as an int, ``"auto"`` resolved for ``sparsity``.

    ``trained`` says whether the fit starts from the weights of a fitted model
    (a scikit-learn MLP or a skorch net given as ``module``): it then needs only
    a short fine-tune, :func:`auto_trained_max_epochs`.

    Examples
    --------
    >>> from sklprune._training.auto import resolve_max_epochs
    >>> resolve_max_epochs("auto", 0.96875), resolve_max_epochs(20, 0.96875)
    (60, 20)
    >>> resolve_max_epochs("auto", 0.9, trained=True)
    10
    """
    if max_epochs != "auto":
        return int(max_epochs)
    return auto_trained_max_epochs(sparsity) if trained else auto_max_epochs(sparsity)


def auto_strategy(n_features):
    """Strategy of a fit with ``strategy="auto"``: by the width of the input.

    ``"fisher"`` for fewer than 50 input features, where each hidden unit keeps
    one or two inputs at high compression and which connections carry the loss
    matters; ``"magnitude"`` for wider inputs (text, pixels), where most inputs
    are redundant and magnitude, which needs no gradient statistics, was as
    accurate or more. ``"magnitude"`` too when the width is unknown
    (``n_features=None``: an input without a shape), the criterion that needs
    nothing but the weights.

    Examples
    --------
    >>> from sklprune._training.auto import auto_strategy
    >>> auto_strategy(16), auto_strategy(2000), auto_strategy(None)
    ('fisher', 'magnitude', 'magnitude')
    """
    if n_features is None:
        return "magnitude"
    return "fisher" if n_features < NARROW_INPUT_FEATURES else "magnitude"


def input_width(X):
    """Features per sample of ``X``: its size beyond the first axis.

    The columns of a table (an array, a DataFrame, a sparse matrix, a tensor),
    the pixels of a batch of images; ``None`` for an input without a shape
    (a dict, a Dataset).

    Examples
    --------
    >>> import numpy as np
    >>> from sklprune._training.auto import input_width
    >>> input_width(np.zeros((5, 30))), input_width(np.zeros((5, 1, 8, 8)))
    (30, 64)
    >>> input_width({"ids": np.zeros((5, 30))}) is None
    True
    """
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) < 2:
        return None
    return math.prod(int(n) for n in shape[1:])


def resolve_strategy(strategy, n_features):
    """``strategy`` as given, ``"auto"`` resolved for ``n_features`` input columns.

    Examples
    --------
    >>> from sklprune._training.auto import resolve_strategy
    >>> resolve_strategy("auto", 30), resolve_strategy("gradient", 30)
    ('fisher', 'gradient')
    """
    if isinstance(strategy, str) and strategy == "auto":
        return auto_strategy(n_features)
    return strategy
