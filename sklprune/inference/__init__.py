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

from ._form import (
    CALIBRATION_BLOCK_S,
    CALIBRATION_MACS,
    CALIBRATION_MARGIN,
    CALIBRATION_REPEATS,
    MAX_CALIBRATED_DENSITY,
    SPARSE_MODES,
    DenseLinear,
    SparseLinear,
    to_inference,
)

__all__ = [
    "CALIBRATION_BLOCK_S",
    "CALIBRATION_MACS",
    "CALIBRATION_MARGIN",
    "CALIBRATION_REPEATS",
    "MAX_CALIBRATED_DENSITY",
    "SPARSE_MODES",
    "DenseLinear",
    "SparseLinear",
    "to_inference",
]
