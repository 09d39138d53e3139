"""Save and load a pruned network's weights in a file that shrinks with sparsity.

For skorch users who prune with :class:`~sklprune.PruningCallback` alone:
:func:`save_pruned` writes a state dict with every tensor in its smallest layout
(dense, bit mask plus non-zero values, or compressed rows), and
:func:`load_pruned` reads it back bit for bit. The file is a :func:`torch.save`
archive of tensors, strings and dicts only, so it loads with
``torch.load(weights_only=True)`` and runs no code.

:class:`~sklprune.PrunedClassifier`, :class:`~sklprune.PrunedClassifierCV` and
:class:`~sklprune.FeatureImportancePruner` need none of this: their pickle and
skops files use the same layouts.
"""

from ._state_dict import (
    FORMAT,
    VERSION,
    load_pruned,
    save_pruned,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "load_pruned",
    "save_pruned",
]
