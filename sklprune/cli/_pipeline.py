"""The training side of the ``sklprune`` command: build the pipelines, fit them.

A pipeline is the data's preprocessing followed by a
:class:`~sklprune.PrunedClassifier` configured from the command line. Every
training call runs inside :func:`training`, which sends skorch's epoch log to
standard error, turns an empty TF-IDF vocabulary into a user error, and makes
Ctrl-C stop the command (see :func:`stop_on_interrupt`).
"""

import contextlib
import signal
import sys
import time

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from .._training.auto import resolve_max_epochs
from .._training.validation import resolve_finetune_epochs
from ..classifier import PrunedClassifier
from ._data import UsageError, build_preprocessor
from ._parser import CLASSIFIER_DEFAULTS

_interrupts = []


@contextlib.contextmanager
def stop_on_interrupt():
    """Make Ctrl-C stop the command, with :func:`_check_interrupt` after training.

    skorch ends training quietly on Ctrl-C and returns the network as it is; the
    command would then measure and save a half-trained model as if nothing happened.
    """

    def handler(signum, frame):
        _interrupts.append(signum)
        raise KeyboardInterrupt

    _interrupts.clear()
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Python's own handling stays
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    _check_interrupt()


def _check_interrupt():
    """Raise KeyboardInterrupt if Ctrl-C was pressed while skorch was training."""
    if _interrupts:
        _interrupts.clear()
        raise KeyboardInterrupt


def _finetune_classifier_param(args):
    """--finetune-epochs as PrunedClassifier's parameter: an int, or its "auto"."""
    if args.finetune_epochs is None:
        return CLASSIFIER_DEFAULTS["finetune_epochs"]
    return args.finetune_epochs


def _max_sparsity(args):
    return args.sparsity if hasattr(args, "sparsity") else max(args.sparsities)


def max_epochs(args):
    """The training epochs, resolved as PrunedClassifier resolves them."""
    return resolve_max_epochs(args.epochs, _max_sparsity(args))


def finetune_epochs(args):
    """The fine-tuning epochs, resolved as PrunedClassifier resolves them."""
    return resolve_finetune_epochs(
        _finetune_classifier_param(args), max_epochs(args), _max_sparsity(args)
    )


def build_pipeline(table, args, sparsity):
    """Preprocessing of ``table`` + the classifier the options describe."""
    classifier = PrunedClassifier(
        hidden_layer_sizes=args.hidden_layer_sizes,
        sparsity=sparsity,
        strategy=args.strategy,
        granularity=args.granularity,
        scope=args.scope,
        schedule=args.schedule,
        loss=args.loss,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        finetune_epochs=_finetune_classifier_param(args),
        random_state=args.random_state,
        verbose=2 if show_progress(args) else 0,
    )
    features = build_preprocessor(table, args.max_features)
    return Pipeline([("features", features), ("classifier", classifier)])


def show_progress(args):
    """Whether the progress bar and the epoch log show: on a terminal, not quiet."""
    return not args.quiet and sys.stderr.isatty()


def fit(model, table, args, what):
    """Fit ``model`` on the training rows; returns the seconds it took."""
    show = show_progress(args)
    if show:
        print(f"sklprune: {what}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with training(table, show):
        model.fit(table.X_train, table.y_train)
    return time.perf_counter() - start


def warm_up(model, table):
    """One untimed epoch, so that neither timed fit pays torch's start-up costs."""
    warm = clone(model).set_params(
        classifier__max_epochs=1, classifier__finetune_epochs=0, classifier__verbose=0
    )
    with training(table, show=False):
        warm.fit(table.X_train, table.y_train)


@contextlib.contextmanager
def training(table, show):
    """Around every training call: where its output goes, what its errors mean."""
    try:
        with _training_output(show), _text_errors(table):
            yield
    except Exception:
        _check_interrupt()  # a fit cut short by Ctrl-C can fail on its way out
        raise
    _check_interrupt()


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
