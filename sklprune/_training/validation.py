"""Checks and resolutions of parameters that several modules share."""

import numpy as np

from ..masks import check_sparsity


def check_sparsities(sparsities):
    """Candidate sparsities as a sorted array of unique values in [0, 1).

    Examples
    --------
    >>> from sklprune._training.validation import check_sparsities
    >>> check_sparsities([0.9, 0.5, 0.9])
    array([0.5, 0.9])
    """
    values = np.asarray(sparsities, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("sparsities must hold at least one value in [0, 1).")
    for value in values:
        check_sparsity(float(value), name="Every value of sparsities")
    return np.unique(values)


def resolve_finetune_epochs(finetune_epochs, max_epochs, sparsity):
    """The number of fine-tuning epochs a classifier trains.

    ``"auto"`` is a quarter of ``max_epochs``, rounded down (so always fewer than
    ``max_epochs``: 0 for 1 to 3 epochs). An int is taken as it is, and must leave
    at least one epoch to prune in, unless ``sparsity`` is 0: nothing is pruned
    then, and the value is capped at ``max_epochs - 1``.

    Examples
    --------
    >>> from sklprune._training.validation import resolve_finetune_epochs
    >>> resolve_finetune_epochs("auto", 40, 0.9)
    10
    >>> resolve_finetune_epochs("auto", 3, 0.9)
    0
    >>> resolve_finetune_epochs(10, 3, 0.0)
    2
    >>> resolve_finetune_epochs(10, 3, 0.9)
    Traceback (most recent call last):
    ...
    ValueError: finetune_epochs=10 must be smaller than max_epochs=3: ...
    """
    if isinstance(finetune_epochs, str):  # "auto", the only string allowed
        return max_epochs // 4
    if finetune_epochs < max_epochs:
        return finetune_epochs
    if sparsity == 0:
        return max_epochs - 1
    raise ValueError(
        f"finetune_epochs={finetune_epochs} must be smaller than "
        f"max_epochs={max_epochs}: no epoch would be left to prune in. Lower "
        "finetune_epochs, raise max_epochs, or use finetune_epochs='auto' (a "
        "quarter of max_epochs)."
    )
