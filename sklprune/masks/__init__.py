"""Targets, thresholds and masks: from importance scores to exact zeros.

This package knows only PyTorch. It answers five questions:

* which parameter tensors may be pruned (:func:`find_targets`, in ``_targets.py``),
* given a score for every weight, which weights to remove so that a *cumulative*
  sparsity is reached (:func:`compute_masks`, in ``_thresholds.py``),
* how masks become exact zeros in the tensors (:func:`apply_masks`, the one place
  that writes them, in ``_apply.py``),
* how sparse a set of tensors really is (:func:`achieved_sparsity`), and
* how whole groups of coupled units are scored, pruned and counted by what their
  removal saves, in weights or in multiply-adds (:class:`UnitGroups`,
  :func:`compute_group_masks`, in ``_groups.py``, ranked and counted in
  ``_group_ranking.py``; :func:`weight_costs` and
  :class:`OutputPositions`, in ``_costs.py``).

Sparsity is always the fraction of all target weights that are zero, counted from the
dense model: ``0.9`` means 90 % of the target weights are zero, whatever was pruned
before. Masks only grow: a weight pruned once stays pruned.
"""

from ._apply import achieved_sparsity, apply_masks, check_masks, check_module, keep_bits
from ._costs import BUDGETS, OutputPositions, weight_costs
from ._groups import (
    GROUP_REDUCTIONS,
    Axis,
    Member,
    UnitGroups,
    compute_group_masks,
)
from ._targets import DEFAULT_TARGET_TYPES, find_targets, neuron_dim
from ._thresholds import (
    GLOBAL_FLOOR,
    GRANULARITIES,
    SCOPES,
    check_sparsity,
    compute_masks,
)

__all__ = [
    "BUDGETS",
    "DEFAULT_TARGET_TYPES",
    "GLOBAL_FLOOR",
    "GRANULARITIES",
    "GROUP_REDUCTIONS",
    "SCOPES",
    "Axis",
    "Member",
    "OutputPositions",
    "UnitGroups",
    "achieved_sparsity",
    "apply_masks",
    "check_masks",
    "check_module",
    "check_sparsity",
    "compute_group_masks",
    "compute_masks",
    "find_targets",
    "keep_bits",
    "neuron_dim",
    "weight_costs",
]
