"""The training side of the ``sklprune`` command: build the pipelines, fit them.

A pipeline is the data's preprocessing followed by a
:class:`~sklprune.PrunedClassifier` (a :class:`~sklprune.PrunedRegressor` for a
regression target) configured from the run's settings. Every
training call runs inside :func:`training`, which sends skorch's epoch log to
standard error, turns an empty TF-IDF vocabulary into a user error, and makes
Ctrl-C stop the command (see :mod:`sklprune.cli._interrupt`).
"""

import contextlib
import sys
import time

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from ..classifier import PrunedClassifier
from ..regressor import PrunedRegressor
from ._data import build_preprocessor
from ._errors import UsageError
from ._interrupt import check_interrupt


def build_pipeline(table, settings, sparsity):
    """Preprocessing of ``table`` + the estimator ``settings`` describe: a
    classifier, or a regressor for a regression target."""
    estimator_class, step = (
        (PrunedRegressor, "regressor")
        if settings.task == "regression"
        else (PrunedClassifier, "classifier")
    )
    estimator = estimator_class(
        hidden_layer_sizes=settings.hidden_layer_sizes,
        sparsity=sparsity,
        strategy=settings.strategy,
        granularity=settings.granularity,
        scope=settings.scope,
        schedule=settings.schedule,
        loss=settings.loss,
        lr=settings.lr,
        batch_size=settings.batch_size,
        max_epochs=settings.max_epochs,
        finetune_epochs=settings.finetune_epochs,
        random_state=settings.random_state,
        verbose=2 if settings.show_progress else 0,
    )
    features = build_preprocessor(table, settings.max_features)
    return Pipeline([("features", features), (step, estimator)])


def fit(model, table, show_progress, what):
    """Fit ``model`` on the training rows; returns the seconds it took."""
    if show_progress:
        print(f"sklprune: {what}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with training(table, show_progress):
        model.fit(table.X_train, table.y_train)
    return time.perf_counter() - start


def warm_up(model, table):
    """One untimed epoch, so that neither timed fit pays torch's start-up costs."""
    warm = clone(model)
    warm[-1].set_params(max_epochs=1, finetune_epochs=0, verbose=0)
    with training(table, show=False):
        warm.fit(table.X_train, table.y_train)


@contextlib.contextmanager
def training(table, show):
    """Around every training call: where its output goes, what its errors mean."""
    try:
        with _training_output(show), _text_errors(table):
            yield
    except Exception:
        check_interrupt()  # a fit cut short by Ctrl-C can fail on its way out
        raise
    check_interrupt()


@contextlib.contextmanager
def _training_output(show):
    """skorch's epoch log goes to stderr, next to its progress bar."""
    if show:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    else:
        yield


@contextlib.contextmanager
def _text_errors(table):
    """A text column without a single word is the user's to fix."""
    try:
        yield
    except ValueError as exc:
        if table.text and "empty vocabulary" in str(exc):
            raise UsageError(
                f"text column {table.text!r} holds no words to encode; name a column "
                "of text with --text-column, or leave it out"
            ) from None
        raise
