"""The checks of the pruning callback's parameters, run at every initialize."""

import numbers

from ..masks import BUDGETS, GRANULARITIES, GROUP_REDUCTIONS, SCOPES, check_sparsity


def check_parameters(callback):
    """Raise a clear error for a parameter of a PruningCallback that cannot work.

    Parameters
    ----------
    callback : PruningCallback
    """
    check_sparsity(callback.sparsity)
    if callback.scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}; got {callback.scope!r}.")
    for name, options in (
        ("granularity", GRANULARITIES),
        ("budget", BUDGETS),
        ("group_reduction", GROUP_REDUCTIONS),
    ):
        if getattr(callback, name) not in options:
            raise ValueError(
                f"{name} must be one of {options}; got {getattr(callback, name)!r}."
            )
    if callback.budget == "macs" and callback.granularity != "neuron":
        raise ValueError(
            "budget='macs' counts the multiply-adds that removing whole units "
            "saves: set granularity='neuron' (zeros of single weights save no "
            "time in a dense product)."
        )
    if not isinstance(callback.coupled, bool):
        raise TypeError(f"coupled must be True or False; got {callback.coupled!r}.")
    for name in ("start_epoch", "frequency"):
        _check_int(name, getattr(callback, name), minimum=1)
    if callback.end_epoch is not None:
        _check_int("end_epoch", callback.end_epoch, minimum=callback.start_epoch)
    if callback.rewind_epoch is not None:
        _check_int("rewind_epoch", callback.rewind_epoch, minimum=0)
    mode = callback.masks_from_zeros
    if not (isinstance(mode, bool) or mode == "auto"):
        raise ValueError(
            f"masks_from_zeros must be 'auto', True or False; got {mode!r}."
        )
    if not callable(callback.sink):
        raise TypeError(
            f"sink must be a callable such as print; got {callback.sink!r}."
        )


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
