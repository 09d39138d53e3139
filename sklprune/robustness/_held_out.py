"""The checked held-out rows both reports score their models on, and the tables
the reports share: scores per model, and scores under noise."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._noise import noise_kind, scores_under_noise
from ._statistics import SIDES, comparison_frame


@dataclass(frozen=True)
class HeldOut:
    """The models of both sides and the rows each one is scored on, checked.

    Attributes
    ----------
    models : dict
        Side name -> list of fitted models.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Held-out rows (sparse ones in CSR or CSC).
    rows : dict
        Side name -> the rows of ``X`` each model is scored on.
    levels : ndarray of shape (n_levels,)
        Checked noise levels.
    n_repeats : int
        Perturbed copies of ``X`` per level above 0.
    random_state : int, RandomState instance or None
        Seeds the perturbations.
    noise_on : {"input", "last_step"}
        Where the noise goes.
    targets : dict
        Side name -> list of ``(predictor, rows to perturb)`` per model, as
        :func:`~sklprune.robustness._noise.noise_targets` returns them.
    """

    models: dict
    X: object
    rows: dict
    levels: np.ndarray
    n_repeats: int
    random_state: object
    noise_on: str
    targets: dict

    @property
    def several(self):
        """Whether both sides hold several models (then Welch's t-tests apply)."""
        return min(len(ms) for ms in self.models.values()) > 1

    @property
    def n_models(self):
        """Side name -> number of models."""
        return {side: len(ms) for side, ms in self.models.items()}

    @property
    def noise_kind(self):
        """``"dropout"`` (sparse inputs), ``"gaussian"`` (dense) or ``"mixed"``."""
        inputs = {id(X): X for pairs in self.targets.values() for _, X in pairs}
        return noise_kind(list(inputs.values()))

    def scores_under_noise(self, runs, y, metrics):
        """:func:`~sklprune.robustness._noise.scores_under_noise` of these models.

        Parameters
        ----------
        runs : dict
            Side name -> the scores of each model on its rows.
        y : ndarray of shape (n_samples,)
            Labels or target values of the rows.
        metrics : dict
            Metric name -> function ``(y_true, y_pred) -> float``.

        Returns
        -------
        scores : dict
            Metric name -> side name -> ndarray of shape (n_levels, n_models).
        """
        return scores_under_noise(
            self.targets,
            runs,
            self.rows,
            y,
            self.levels,
            self.n_repeats,
            self.random_state,
            metrics,
        )


def run_values(runs, names):
    """Side name -> ndarray (n_names, n_models) of the named scores of every run.

    Parameters
    ----------
    runs : dict
        Side name -> the scores of each model on its rows.
    names : sequence of str
        Which scores.

    Returns
    -------
    values : dict
    """
    return {
        side: np.array([[run[name] for run in runs[side]] for name in names])
        for side in SIDES
    }


def noise_frame(noise, held_out):
    """The ``noise`` table: every metric of both sides per noise level.

    Parameters
    ----------
    noise : dict
        Metric name -> side name -> ndarray of shape (n_levels, n_models).
    held_out : HeldOut
        Where the noise levels and the number of models come from.

    Returns
    -------
    frame : pandas.DataFrame
        One row per level; for every metric ``{metric}_reference``,
        ``{metric}_pruned`` and ``{metric}_change``, and with several models
        their ``_std`` and ``{metric}_p_value``.
    """
    index = pd.Index(held_out.levels, name="level")
    frames = [
        comparison_frame(values, index, held_out.several, prefix=f"{metric}_")
        for metric, values in noise.items()
    ]
    return pd.concat(frames, axis=1)
