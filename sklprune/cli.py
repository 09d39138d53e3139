"""The ``sklprune`` command: train, prune and report on a CSV file in one line.

Usage::

    sklprune run   [--train FILE --target COLUMN [--test FILE]] [options]
    sklprune curve [--train FILE --target COLUMN [--test FILE]] [options]

``python -m sklprune`` is the same command. ``sklprune COMMAND --help`` lists every
option.

``sklprune run`` trains a dense reference network (sparsity 0) and a pruned one
(``--sparsity``, ``--strategy``, ``--granularity``, ``--scope``, ``--loss``) with
:class:`~sklprune.PrunedClassifier`, prints a table that compares them and
writes into ``--out`` (default ``results/``). The table gives accuracy and log-loss
on the training and test rows; parameters and non-zero parameters; sparsity,
compression and multiply-adds per row of the prunable weights
(:func:`~sklprune.sparsity_report`); model size, as saved and in a sparse
encoding (:func:`~sklprune.model_size`), and the size of the model file as
pickled and as written (``model.skops``, or ``model.pkl``); latency per 1000 rows
(:func:`~sklprune.measure_latency`) of ``predict``, of the network alone and of
the network compacted
(:func:`~sklprune.compact`, which removes pruned hidden units: the speed that
``--granularity neuron`` buys), the median of 7 runs taken in turns with the other
model; and the training time. The files:

===================  =========================================================
``model.skops``      the fitted pruned pipeline (preprocessing + classifier);
                     ``model.pkl``, a pickle, when skops is not installed
``report.json``      data, settings, both models' numbers, per-layer sparsity
``report.csv``       one row per model, the numbers of the table
``layers.csv``       :func:`~sklprune.sparsity_report` of the pruned model
``training.png``     training loss of both models and sparsity, per epoch
``layers.png``       weights and non-zero weights of each pruned layer
``reliability.png``  reliability curves of both models, per-class recall change
===================  =========================================================

The table also says whether pruning hurt (:func:`~sklprune.robustness_report` on
the test rows): expected calibration error (15 equal-width bins of the top-class
confidence), Brier score, accuracy under noise added to the network's inputs
(Gaussian, 0.1, 0.25 and 0.5 times each input's standard deviation; for a sparse
TF-IDF input, that share of the non-zero entries dropped) and the class whose
recall pruning lowered most; ``report.json`` holds the whole comparison (per-class
recall and precision, the rows whose prediction changed).

The plots need matplotlib and ``model.skops`` needs skops (``pip install
'sklprune[plot,persist]'``); without them the command writes everything else,
the model as a pickle, and says in one line what the extras would add.

The model options (``--strategy``, ``--granularity``, ``--scope``, ``--schedule``,
``--loss``, ``--hidden-layer-sizes``, ``--epochs``, ``--finetune-epochs``, ``--lr``,
``--batch-size``) default to :class:`~sklprune.PrunedClassifier`'s own defaults.

``sklprune curve`` sweeps ``--sparsities`` along a pruning path with
:func:`~sklprune.pruning_curve`, prints accuracy, expected calibration error and
log-loss against sparsity, and writes
``curve.csv``, ``curve.json`` and, with matplotlib, ``curve.png``
(:class:`~sklprune.PruningCurveDisplay`) into ``--out``. With ``--test`` the points
are scored on the test file; without it, by ``--cv``-fold stratified
cross-validation on the training data.

**Data.** ``--train`` is read with :func:`pandas.read_csv` (``--sep``; ``.gz``,
``.bz2``, ``.zip`` files too). ``--target`` names the column of class labels; rows
without a label are dropped. Every other column is a feature: numeric columns are
standardised (missing values: the median), other columns are one-hot encoded
(missing values: a category of their own; the rarest categories beyond 100 share
one input), and the column named by ``--text-column`` is TF-IDF encoded
(``--max-features`` terms). ``--drop`` leaves columns out. Without ``--test``, a
stratified ``--test-size`` share of the rows is held out for testing, and the output
says so. Without ``--train``, a data set bundled with sklprune is used
(``--dataset``, default ``breast_cancer``; ``rotten_tomatoes`` is a text one); see
:mod:`sklprune.datasets`.

**Loading the model.** ``model.skops`` holds no pickled code: :mod:`skops.io` loads
it only once you have checked and trusted the types it needs, which are sklprune's
classifier and network and torch's layer classes::

    import skops.io as sio

    untrusted = sio.get_untrusted_types(file="results/model.skops")
    print(untrusted)  # check: numpy.dtype, sklprune.*, torch.nn.modules.* only
    model = sio.load("results/model.skops", trusted=untrusted)
    model.predict(new_rows)  # a DataFrame with the training file's columns

**Exit status.** 0 on success; 2 for a mistake in the command line or the data,
reported as one line on standard error that names the problem and the fix; 130 when
interrupted. Every file is written to a temporary file first and then renamed, so a
failed or interrupted run never leaves a half-written file.

**Speed.** Training uses ``--threads`` torch threads (default 1, the fastest for
small networks on small batches; raise it for wide layers such as a large TF-IDF
input). A progress bar and skorch's epoch log show on a terminal (standard error),
unless ``--quiet``.
"""

import argparse
import contextlib
import importlib.util
import math
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from . import __version__
from ._budget import resolve_max_epochs
from ._cli_data import (
    DEFAULT_DATASET,
    UsageError,
    build_preprocessor,
    describe,
    hold_out,
    load_table,
)
from ._cli_report import (
    check_writable,
    curve_figure,
    curve_frame,
    curve_table,
    layers_figure,
    measure,
    measure_latencies,
    model_file_bytes,
    run_table,
    training_figure,
    write_csv,
    write_figure,
    write_json,
    write_model,
)
from ._cli_robustness import compare, model_numbers, reliability_figure
from ._cli_robustness import describe as describe_robustness
from ._cli_robustness import report_json as robustness_json
from ._validation import resolve_finetune_epochs
from .classifier import PrunedClassifier
from .datasets import list_datasets
from .losses import LOSSES
from .pruning_path import pruning_curve
from .schedules import SCHEDULES
from .strategies import STRATEGIES

DEFAULT_SPARSITIES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98)
DEFAULT_CV = 3
# The model options default to the library's defaults, so the two cannot drift.
_CLASSIFIER_DEFAULTS = PrunedClassifier().get_params()


def main(argv=None):
    """Run the ``sklprune`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 2 for a mistake in the command line or the data (one line on
        standard error names it and the fix), 130 when interrupted.

    Examples
    --------
    >>> from sklprune.cli import main
    >>> main(["run", "--sparsity", "1.5"])  # one line on stderr says what is wrong
    2
    """
    try:
        args = build_parser().parse_args(argv)
        with _stop_on_interrupt():
            return args.handler(args)
    except UsageError as exc:
        message = " ".join(str(exc).split())
        print(f"sklprune: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "sklprune: interrupted; the files already written are complete, and no "
            "partial file is left",
            file=sys.stderr,
        )
        return 130


_interrupts = []


@contextlib.contextmanager
def _stop_on_interrupt():
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


# ------------------------------------------------------------------- commands


def _run(args):
    """``sklprune run``: a dense reference and a pruned model, compared."""
    out, table = _prepare(args)
    if table.X_test is None:
        hold_out(table, args.test_size, args.random_state)
    _print_header("run", args, table)
    pruned = _pipeline(table, args, args.sparsity)
    # No weight is pruned at sparsity 0, so the criterion goes unused: magnitude
    # gathers no gradient statistics.
    dense = clone(pruned).set_params(
        classifier__sparsity=0.0, classifier__strategy="magnitude"
    )
    models, results, reports = {"dense": dense, "pruned": pruned}, {}, {}
    _warm_up(dense, table)
    for name, model in models.items():
        fit_time = _fit(model, table, args, f"training the {name} model")
        model.set_params(classifier__verbose=0)
        results[name], reports[name] = measure(model, table, fit_time)
    for name, latencies in measure_latencies(models, table.X_test).items():
        results[name].update(latencies)
    robustness = compare(dense, pruned, table.X_test, table.y_test, args.random_state)
    for name, numbers in model_numbers(robustness).items():
        results[name].update(numbers)
    extras = _installed_extras()
    # The model file is written first, so the table gives its size on disk.
    model_file = out / ("model.skops" if extras["skops"] else "model.pkl")
    write_model(model_file, pruned, extras["skops"])
    results["pruned"]["size_file_bytes"] = model_file.stat().st_size
    results["dense"]["size_file_bytes"] = model_file_bytes(dense, extras["skops"])
    print()
    print(run_table(results), flush=True)
    print(describe_robustness(robustness), flush=True)
    title = f"{table.source}: dense and pruned (sparsity {args.sparsity:g})"
    layers = reports["pruned"]
    files = {
        model_file.name: lambda path: model_file,
        "report.json": lambda path: write_json(
            path,
            _run_report(args, table, pruned, results, layers)
            | {"robustness": _finite(robustness_json(robustness))},
        ),
        "report.csv": lambda path: write_csv(
            path, pd.DataFrame.from_dict(results, orient="index"), "model"
        ),
        "layers.csv": lambda path: write_csv(path, _layers_frame(layers), "name"),
    }
    if extras["matplotlib"]:
        files["training.png"] = lambda path: write_figure(
            path,
            training_figure({n: m[-1].history_ for n, m in models.items()}, title),
        )
        files["layers.png"] = lambda path: write_figure(
            path, layers_figure(layers, f"Pruned layers of the {table.source} model")
        )
        files["reliability.png"] = lambda path: write_figure(
            path, reliability_figure(robustness, f"{title}: calibration and recall")
        )
    _write_all(out, files)
    if extras["skops"]:
        print(
            "load the model with skops.io.load(path, trusted=...) after checking "
            "skops.io.get_untrusted_types(file=path); see sklprune run --help"
        )
    else:
        print("load the model with pickle.load, from a file you trust")
    _print_missing_extras(
        extras,
        {
            "matplotlib": "the plots training.png, layers.png and reliability.png",
            "skops": "model.skops, a model file that loads without pickle",
        },
    )
    return 0


def _curve(args):
    """``sklprune curve``: accuracy along a pruning path of sparsities."""
    out, table = _prepare(args)
    estimator = _pipeline(table, args, float(min(args.sparsities)))
    if table.X_test is not None:
        if args.cv is not None:
            raise UsageError(
                "--cv and --test cannot be used together: a test file scores the "
                "curve once; leave out one of them"
            )
        n_train, n_test = len(table.X_train), len(table.X_test)
        X = pd.concat([table.X_train, table.X_test], ignore_index=True)
        y = np.concatenate([table.y_train, table.y_test])
        cv = [(np.arange(n_train), np.arange(n_train, n_train + n_test))]
        scored_on = "test file"
        scheme = f"trained on {n_train} rows, scored on the {n_test} rows of --test"
    else:
        n_folds = DEFAULT_CV if args.cv is None else args.cv
        counts = pd.Series(table.y_train).value_counts()
        if counts.min() < n_folds:
            raise UsageError(
                f"class {counts.idxmin()!r} has {counts.min()} rows, fewer than the "
                f"{n_folds} cross-validation folds; lower --cv, or pass a test file "
                "with --test"
            )
        X, y = table.X_train, table.y_train
        cv = StratifiedKFold(n_folds, shuffle=True, random_state=args.random_state)
        scored_on = f"{n_folds}-fold cross-validation"
        scheme = (
            f"{n_folds}-fold stratified cross-validation over the {len(X)} rows "
            "(pass --test FILE to score on a test file instead)"
        )
    _print_header("curve", args, table, scheme)
    show = _progress(args)
    with _training(table, show):
        results = pruning_curve(
            estimator,
            X,
            y,
            sparsities=args.sparsities,
            cv=cv,
            return_train_score=True,
            return_calibration=True,
            verbose=int(show),
        )
    print()
    print(curve_table(results), flush=True)
    title = (
        f"{table.source}: {args.strategy} strategy, {args.granularity} "
        f"granularity ({scored_on})"
    )
    files = {
        "curve.csv": lambda path: write_csv(path, curve_frame(results)),
        "curve.json": lambda path: write_json(
            path, _curve_report(args, table, results, scheme)
        ),
    }
    extras = _installed_extras()
    if extras["matplotlib"]:
        files["curve.png"] = lambda path: write_figure(
            path, curve_figure(results, title)
        )
    _write_all(out, files)
    _print_missing_extras(extras, {"matplotlib": "the plot curve.png"})
    return 0


# ------------------------------------------------------------------- the parts


def _prepare(args):
    """Check what can fail before training: options, output directory, data."""
    try:
        _finetune_epochs(args)
    except ValueError:
        raise UsageError(
            f"--finetune-epochs {args.finetune_epochs} must be smaller than --epochs "
            f"{_max_epochs(args)}, to leave epochs to prune in"
        ) from None
    out = check_writable(args.out)
    torch.set_num_threads(args.threads)
    table = load_table(args)
    if not args.quiet:
        for note in table.notes:
            print(f"sklprune: note: {note}", file=sys.stderr)
    return out, table


def _installed_extras():
    """Which optional packages the outputs can use: {name: installed}."""
    return {name: _installed(name) for name in ("matplotlib", "skops")}


def _installed(package):
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


_EXTRA_OF = {"matplotlib": "plot", "skops": "persist"}


def _print_missing_extras(extras, gains):
    """One line: what the missing optional packages would have added.

    ``gains`` maps a package name to what it adds to this command's output.
    """
    missing = [name for name in gains if not extras[name]]
    if missing:
        print(
            f"not installed: {' and '.join(missing)}; pip install "
            f"'sklprune[{','.join(_EXTRA_OF[name] for name in missing)}]' adds "
            f"{' and '.join(gains[name] for name in missing)}"
        )


def _finetune_classifier_param(args):
    """--finetune-epochs as PrunedClassifier's parameter: an int, or its "auto"."""
    if args.finetune_epochs is None:
        return _CLASSIFIER_DEFAULTS["finetune_epochs"]
    return args.finetune_epochs


def _max_epochs(args):
    """The training epochs, resolved as PrunedClassifier resolves them."""
    sparsities = [args.sparsity] if hasattr(args, "sparsity") else args.sparsities
    return resolve_max_epochs(args.epochs, max(sparsities))


def _finetune_epochs(args):
    """The fine-tuning epochs, resolved as PrunedClassifier resolves them."""
    sparsities = [args.sparsity] if hasattr(args, "sparsity") else args.sparsities
    return resolve_finetune_epochs(
        _finetune_classifier_param(args), _max_epochs(args), max(sparsities)
    )


def _pipeline(table, args, sparsity):
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
        verbose=2 if _progress(args) else 0,
    )
    features = build_preprocessor(table, args.max_features)
    return Pipeline([("features", features), ("classifier", classifier)])


def _progress(args):
    return not args.quiet and sys.stderr.isatty()


def _fit(model, table, args, what):
    show = _progress(args)
    if show:
        print(f"sklprune: {what}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    with _training(table, show):
        model.fit(table.X_train, table.y_train)
    return time.perf_counter() - start


def _warm_up(model, table):
    """One untimed epoch, so that neither timed fit pays torch's start-up costs."""
    warm = clone(model).set_params(
        classifier__max_epochs=1, classifier__finetune_epochs=0, classifier__verbose=0
    )
    with _training(table, show=False):
        warm.fit(table.X_train, table.y_train)


@contextlib.contextmanager
def _training(table, show):
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


def _print_header(command, args, table, scheme=None):
    lines = [f"sklprune {command}", *describe(table)]
    if table.held_out:
        lines[-1] += (
            f" (test rows held out: a stratified {args.test_size:.0%} of the data, "
            f"--random-state {args.random_state}; pass --test FILE to use your own)"
        )
    if scheme:
        lines.append(f"scoring   {scheme}")
    finetune = _finetune_epochs(args)
    lines.append(
        f"network   MLP with hidden layers "
        f"{', '.join(str(n) for n in args.hidden_layer_sizes)}, "
        f"{_max_epochs(args)} epochs "
        f"({finetune} of them fine-tuning), loss {args.loss}, "
        f"{args.threads} thread{'s' if args.threads > 1 else ''}"
    )
    sparsity = (
        f"sparsity {args.sparsity:g}"
        if command == "run"
        else f"sparsities {', '.join(f'{s:g}' for s in args.sparsities)}"
    )
    lines.append(
        f"pruning   {sparsity}, strategy {args.strategy}, granularity "
        f"{args.granularity}, scope {args.scope}, schedule {args.schedule}"
    )
    print("\n".join(lines), flush=True)


def _write_all(out, files):
    written = [writer(out / name) for name, writer in files.items()]
    print()
    for i, path in enumerate(written):
        print(f"{'wrote' if i == 0 else '':5} {path}")


def _settings(args):
    keys = [
        "sparsity",
        "sparsities",
        "strategy",
        "granularity",
        "scope",
        "schedule",
        "loss",
        "hidden_layer_sizes",
        "epochs",
        "lr",
        "batch_size",
        "max_features",
        "random_state",
        "threads",
    ]
    settings = {key: getattr(args, key) for key in keys if hasattr(args, key)}
    settings["finetune_epochs"] = _finetune_epochs(args)
    return settings


def _data_report(args, table):
    if table.held_out:
        test = f"held out: a stratified {args.test_size:g} of the data"
    else:
        test = args.test
    return {
        "source": str(table.source),
        "target": str(table.target),
        "classes": [_plain(c) for c in table.classes],
        "n_train": len(table.X_train),
        "n_test": None if table.X_test is None else len(table.X_test),
        "test": test,
        "numeric_columns": [str(c) for c in table.numeric],
        "categorical_columns": [str(c) for c in table.categorical],
        "text_column": table.text,
        "notes": table.notes,
    }


def _run_report(args, table, pruned, results, layers):
    data = _data_report(args, table)
    data["n_network_inputs"] = int(pruned[-1].n_features_in_)
    return _finite(
        {
            "command": "run",
            "sklprune_version": __version__,
            "data": data,
            "settings": _settings(args),
            "models": results,
            "layers": _layers_frame(layers)
            .reset_index(names="name")
            .to_dict("records"),
        }
    )


def _curve_report(args, table, results, scheme):
    points = []
    for i, sparsity in enumerate(results.sparsities):
        point = {"sparsity": float(sparsity)}
        for key in (
            "test_scores",
            "train_scores",
            "achieved_sparsity",
            "compression_ratio",
            "fit_time",
            "test_calibration_error",
            "test_log_loss",
        ):
            point[key] = [float(v) for v in results[key][i]]
        points.append(point)
    return _finite(
        {
            "command": "curve",
            "sklprune_version": __version__,
            "data": _data_report(args, table),
            "settings": _settings(args),
            "scoring": scheme,
            "score_name": results.score_name,
            "points": points,
        }
    )


def _layers_frame(report):
    frame = report.copy()
    frame["shape"] = ["x".join(str(s) for s in shape) for shape in frame["shape"]]
    return frame


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _finite(value):
    """JSON-safe: numpy scalars to Python, NaN, infinity and NA to None."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    value = _plain(value)
    if value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


# --------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, as every user error is."""

    def error(self, message):
        raise UsageError(f"{message}; see {self.prog} --help")


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be a number in [0, 1), the fraction of weights set to zero "
            f"(0.9 keeps 10%); got {text!r}"
        )
    return value


def _sparsity_list(text):
    values = [_fraction(part) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated numbers in [0, 1), e.g. 0,0.5,0.9; got {text!r}"
        )
    return tuple(sorted(set(values)))


def _open_fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be a number between 0 and 1, e.g. 0.25; got {text!r}"
        )
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text!r}")
    return value


def _int_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"must be a whole number >= {minimum}; got {text!r}"
            )
        return value

    return parse


def _epochs_or_auto(text):
    """``"auto"`` (epochs that follow the sparsity) or a whole number >= 1."""
    return "auto" if text == "auto" else _int_at_least(1)(text)


def _layer_sizes(text):
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated positive widths, e.g. 256,128; got {text!r}"
        )
    return sizes


def build_parser():
    """The argument parser of the ``sklprune`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        Parses ``run`` and ``curve`` and their options; ``args.handler(args)`` runs
        the chosen command.

    Examples
    --------
    >>> from sklprune import PrunedClassifier
    >>> from sklprune.cli import build_parser
    >>> args = build_parser().parse_args(["run", "--sparsity", "0.8"])
    >>> args.sparsity, args.dataset
    (0.8, None)
    >>> args.strategy == PrunedClassifier().strategy
    True
    """
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="sklprune",
        description="Train, prune and report on a CSV file (or bundled data) in "
        "one line.\nErrors exit with status 2 and one line on stderr.",
        epilog="examples:\n"
        "  sklprune run                                 # bundled breast_cancer\n"
        "  sklprune run --dataset rotten_tomatoes --epochs 10\n"
        "  sklprune run --train train.csv --test test.csv --target label \\\n"
        "               --sparsity 0.95 --strategy fisher --out results/\n"
        "  sklprune curve --train train.csv --target label --sparsities 0,0.9,0.99\n"
        "\nSee 'sklprune run --help' for the outputs and how to load the model.",
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    common = _common_options()
    run_parser = commands.add_parser(
        "run",
        parents=[common],
        help="train a dense and a pruned model, compare them, save the pruned one",
        description="Train a dense reference (sparsity 0) and a pruned network,\n"
        "print a table comparing them, and write model.skops, report.json,\n"
        "report.csv, layers.csv, training.png, layers.png and reliability.png\n"
        "into --out. The model options default to sklprune.PrunedClassifier's\n"
        "defaults.",
        epilog=_RUN_EPILOG,
        formatter_class=formatter,
    )
    run_parser.add_argument(
        "--sparsity",
        type=_fraction,
        default=0.9,
        metavar="FRACTION",
        help="fraction of prunable weights set to zero, in [0, 1) (default: 0.9)",
    )
    run_parser.set_defaults(handler=_run)
    curve_parser = commands.add_parser(
        "curve",
        parents=[common],
        help="accuracy against sparsity along a pruning path",
        description="Train once per fold, then prune further, one sparsity after\n"
        "the other, scoring every point; print the curve and write curve.csv,\n"
        "curve.json and curve.png into --out. With --test the points are scored\n"
        "on the test file, without it by --cv-fold cross-validation.",
        formatter_class=formatter,
    )
    curve_parser.add_argument(
        "--sparsities",
        type=_sparsity_list,
        default=DEFAULT_SPARSITIES,
        metavar="LIST",
        help="comma-separated sparsities to score "
        f"(default: {','.join(f'{s:g}' for s in DEFAULT_SPARSITIES)})",
    )
    curve_parser.add_argument(
        "--cv",
        type=_int_at_least(2),
        default=None,
        metavar="K",
        help=f"cross-validation folds when there is no --test (default: {DEFAULT_CV})",
    )
    curve_parser.set_defaults(handler=_curve)
    return parser


_RUN_EPILOG = """\
outputs (in --out):
  model.skops    the fitted pruned pipeline: preprocessing + PrunedClassifier
                 (model.pkl, a pickle, when skops is not installed)
  report.json    data, settings, both models' numbers and per-layer sparsity
  report.csv     one row per model: the numbers of the printed table
  layers.csv     sparsity_report of the pruned model, one row per layer
  training.png   training loss of both models and sparsity, per epoch
  layers.png     weights and non-zero weights of each pruned layer
  reliability.png  reliability curves of both models, per-class recall change
  (the plots need matplotlib and model.skops needs skops, pip install
  'sklprune[plot,persist]'; without them: no plots, and model.pkl)

loading the model (skops stores no code; trust the types it lists first):
  import skops.io as sio
  untrusted = sio.get_untrusted_types(file="results/model.skops")
  print(untrusted)   # numpy.dtype, sklprune.* and torch.nn.modules.* only
  model = sio.load("results/model.skops", trusted=untrusted)
  model.predict(rows)   # a DataFrame with the training file's feature columns

exit status: 0 success, 2 a mistake in the command line or the data (one line on
stderr that names it and the fix), 130 interrupted. Files are written to a
temporary name and then renamed: a failed run leaves no half-written file."""


def _common_options():
    common = _Parser(add_help=False)
    data = common.add_argument_group("data")
    data.add_argument(
        "--train",
        metavar="FILE",
        help="training data, a CSV file with a header row (default: a bundled "
        "data set, see --dataset)",
    )
    data.add_argument(
        "--test",
        metavar="FILE",
        help="test data with the same columns (default: hold out --test-size of "
        "--train, stratified)",
    )
    data.add_argument(
        "--target", metavar="COLUMN", help="the column of class labels in --train"
    )
    data.add_argument(
        "--text-column",
        metavar="COLUMN",
        help="one column of free text, TF-IDF encoded (other non-numeric columns "
        "are one-hot encoded)",
    )
    data.add_argument(
        "--drop",
        metavar="COLUMN",
        action="append",
        help="leave a column out (an identifier, say); repeat for several",
    )
    data.add_argument(
        "--sep", default=",", help="the CSV field separator (default: ',')"
    )
    data.add_argument(
        "--dataset",
        choices=list_datasets(),
        metavar="NAME",
        help="bundled data set to use without --train: "
        f"{', '.join(list_datasets())} (default: {DEFAULT_DATASET})",
    )
    data.add_argument(
        "--test-size",
        type=_open_fraction,
        default=0.25,
        metavar="FRACTION",
        help="share of rows held out for testing when there is no --test "
        "(default: 0.25)",
    )
    data.add_argument(
        "--max-features",
        type=_int_at_least(1),
        default=5000,
        metavar="N",
        help="TF-IDF vocabulary size of --text-column (default: 5000)",
    )
    defaults = _CLASSIFIER_DEFAULTS
    model = common.add_argument_group(
        "model", "defaults are those of sklprune.PrunedClassifier"
    )
    model.add_argument(
        "--strategy",
        choices=sorted(STRATEGIES),
        default=defaults["strategy"],
        help=f"importance criterion of the weights (default: {defaults['strategy']})",
    )
    model.add_argument(
        "--granularity",
        choices=["weight", "neuron"],
        default=defaults["granularity"],
        help="prune single weights, or whole hidden units (neuron: a smaller, "
        f"faster network after compaction) (default: {defaults['granularity']})",
    )
    model.add_argument(
        "--scope",
        choices=["lamp", "global", "layer"],
        default=defaults["scope"],
        help=f"how sparsity is shared between layers (default: {defaults['scope']})",
    )
    model.add_argument(
        "--schedule",
        choices=sorted(SCHEDULES),
        default=defaults["schedule"],
        help="how sparsity grows over the pruning epochs "
        f"(default: {defaults['schedule']})",
    )
    model.add_argument(
        "--loss",
        choices=sorted(LOSSES),
        default=defaults["loss"],
        help="training loss, also used by the gradient and fisher criteria "
        f"(default: {defaults['loss']})",
    )
    sizes = tuple(defaults["hidden_layer_sizes"])
    model.add_argument(
        "--hidden-layer-sizes",
        type=_layer_sizes,
        default=sizes,
        metavar="SIZES",
        help="widths of the hidden layers "
        f"(default: {','.join(str(n) for n in sizes)})",
    )
    model.add_argument(
        "--epochs",
        type=_epochs_or_auto,
        default=defaults["max_epochs"],
        metavar="N",
        help="training epochs, fine-tuning included, or auto: 40, 10 more per "
        "doubling of the compression beyond 8x, at most 60 "
        f"(default: {defaults['max_epochs']})",
    )
    model.add_argument(
        "--finetune-epochs",
        type=_int_at_least(0),
        default=None,
        metavar="N",
        help="epochs at the final sparsity after the schedule (default: "
        + (
            "a quarter of --epochs, rounded down"
            if defaults["finetune_epochs"] == "auto"
            else str(defaults["finetune_epochs"])
        )
        + ")",
    )
    model.add_argument(
        "--lr",
        type=_positive_float,
        default=defaults["lr"],
        help=f"learning rate (default: {defaults['lr']:g})",
    )
    model.add_argument(
        "--batch-size",
        type=_int_at_least(1),
        default=defaults["batch_size"],
        metavar="N",
        help=f"mini-batch size (default: {defaults['batch_size']})",
    )
    model.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seeds the split, weight initialisation and batch order (default: 0)",
    )
    model.add_argument(
        "--threads",
        type=_int_at_least(1),
        default=1,
        metavar="N",
        help="torch threads (default: 1)",
    )
    output = common.add_argument_group("output")
    output.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="directory for the model, reports and plots, created if needed "
        "(default: results)",
    )
    output.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar, epoch log or notes; only the results",
    )
    return common
