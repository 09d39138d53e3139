"""The command line of the ``sklprune`` command: its options, as tables, and the parser.

Every option is an entry ``{flag: argparse settings}`` of a table: the options every
command takes, in the groups the help shows (data, model, output), and the options
of each command. The model options default to :class:`~sklprune.PrunedClassifier`'s
own defaults (and :class:`~sklprune.PrunedRegressor`'s for a regression target) and
offer the names they accept, both read from :mod:`sklprune._defaults`, so the two
cannot drift and ``sklprune --help`` loads no torch.
"""

import argparse
from pathlib import Path

from .. import __version__
from .._defaults import (
    ESTIMATOR_DEFAULTS,
    GRANULARITIES,
    LOSS_NAMES,
    MAX_AUTO_CLASSES,
    REGRESSION_LOSS_NAMES,
    REGRESSOR_DEFAULTS,
    SCHEDULE_NAMES,
    SCOPES,
    STRATEGY_NAMES,
)
from ..datasets import list_datasets
from ._errors import UsageError
from ._option_types import (
    epochs_or_auto,
    fraction,
    int_at_least,
    layer_sizes,
    open_fraction,
    positive_float,
    sparsity_list,
)

DEFAULT_DATASET = "breast_cancer"
DEFAULT_SPARSITIES = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98)
DEFAULT_CV = 3
# --quantize: the ONNX model's network in these number types, besides fp32.
QUANTIZATIONS = ("int8",)
TASKS = ("auto", "classification", "regression")
TASK_RULE = (
    "auto: regression when the target is numeric and holds a fractional value "
    f"or more than {MAX_AUTO_CLASSES} distinct whole numbers, classification "
    "otherwise"
)
_FORMATTER = argparse.RawDescriptionHelpFormatter


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, as every user error is."""

    def error(self, message):
        raise UsageError(f"{message}; see {self.prog} --help")


def build_parser():
    """The argument parser of the ``sklprune`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        Parses ``run`` and ``curve`` and their options; ``args.command`` names
        the chosen command.

    Examples
    --------
    >>> from sklprune._defaults import ESTIMATOR_DEFAULTS
    >>> from sklprune.cli._parser import build_parser
    >>> args = build_parser().parse_args(["run", "--sparsity", "0.8"])
    >>> args.sparsity, args.dataset
    (0.8, None)
    >>> args.strategy == ESTIMATOR_DEFAULTS["strategy"]
    True
    """
    parser = _Parser(
        prog="sklprune",
        description="Train, prune and report on a CSV file (or bundled data) in "
        "one line.\nErrors exit with status 2 and one line on stderr.",
        epilog="examples:\n"
        "  sklprune run                                 # bundled breast_cancer\n"
        "  sklprune run --dataset rotten_tomatoes --epochs 10\n"
        "  sklprune run --train train.csv --test test.csv --target label \\\n"
        "               --sparsity 0.95 --strategy fisher --out results/\n"
        "  sklprune run --train houses.csv --target price      # regression\n"
        "  sklprune curve --train train.csv --target label --sparsities 0,0.9,0.99\n"
        "\nSee 'sklprune run --help' for the outputs and how to load the model.",
        formatter_class=_FORMATTER,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    for name, (texts, options) in _commands().items():
        command = commands.add_parser(
            name, parents=[_common_options(name)], formatter_class=_FORMATTER, **texts
        )
        _add_options(command, options)
    return parser


def _commands():
    """Every command: ``{name: (its help texts, {flag: spec} of its own options)}``."""
    return {"run": _run_command(), "curve": _curve_command()}


def _run_command():
    """``sklprune run``: its help texts, and ``--sparsity``, the classifier's."""
    sparsity = ESTIMATOR_DEFAULTS["sparsity"]
    texts = dict(
        help="train a dense and a pruned model, compare them, save the pruned one",
        description="Train a dense reference (sparsity 0) and a pruned network,\n"
        "print a table comparing them, and write model.skops, model.onnx,\n"
        "report.json, report.csv, layers.csv, training.png, layers.png and\n"
        "reliability.png (errors.png for a regression target) into --out. The\n"
        "model options default to sklprune.PrunedClassifier's defaults, or\n"
        "PrunedRegressor's.",
        epilog=_RUN_EPILOG + "\n\n" + _DATA_RULES,
    )
    options = {
        "--sparsity": dict(
            type=fraction,
            default=sparsity,
            metavar="FRACTION",
            help="fraction of prunable weights set to zero, in [0, 1) "
            f"(default: {sparsity:g})",
        ),
        "--quantize": dict(
            choices=list(QUANTIZATIONS),
            default=None,
            help="also write model.int8.onnx, the ONNX model with its network's "
            "matrix products in int8 (ONNX Runtime's dynamic quantization: about "
            "4x smaller), and report its accuracy, size and speed; needs the onnx "
            "extra (default: fp32 model.onnx only)",
        ),
    }
    return texts, options


def _curve_command():
    """``sklprune curve``: its help texts, and the sparsities and folds it scores."""
    texts = dict(
        help="accuracy (or R²) against sparsity along a pruning path",
        description="Train once per fold, then prune further, one sparsity after\n"
        "the other, scoring every point (accuracy, or R² with the mean absolute\n"
        "and root mean squared errors for a regression target); print the\n"
        "curve and write curve.csv, curve.json and curve.png into --out. With\n"
        "--test the points are scored on the test file, without it by\n"
        "--cv-fold cross-validation.",
        epilog=_DATA_RULES,
    )
    options = {
        "--sparsities": dict(
            type=sparsity_list,
            default=DEFAULT_SPARSITIES,
            metavar="LIST",
            help="comma-separated sparsities to score "
            f"(default: {','.join(f'{s:g}' for s in DEFAULT_SPARSITIES)})",
        ),
        "--cv": dict(
            type=int_at_least(2),
            default=None,
            metavar="K",
            help=f"cross-validation folds when there is no --test (default: "
            f"{DEFAULT_CV})",
        ),
    }
    return texts, options


_RUN_EPILOG = """\
outputs (in --out):
  model.skops    the fitted pruned pipeline: preprocessing + PrunedClassifier
                 or PrunedRegressor (model.pkl, a pickle, when skops is not
                 installed)
  report.json    data, settings, both models' numbers and per-layer sparsity
  report.csv     one row per model: the numbers of the printed table
  layers.csv     sparsity_report of the pruned model, one row per layer
  training.png   training loss of both models and sparsity, per epoch
  layers.png     weights and non-zero weights of each pruned layer
  reliability.png  classification: reliability curves of both models,
                 per-class recall change
  errors.png     regression: predictions of both models against the truth,
                 mean absolute error by quantile of the target
  model.onnx     the same pipeline for ONNX Runtime, one input per feature column
  model.int8.onnx  with --quantize int8: model.onnx with an int8 network
  (the plots need matplotlib, model.skops skops and model.onnx skl2onnx and
  onnxruntime, pip install 'sklprune[plot,persist,onnx]'; without them: no
  plots, model.pkl, no model.onnx)

loading the model (skops stores no code; trust the types it lists first):
  import skops.io as sio
  untrusted = sio.get_untrusted_types(file="results/model.skops")
  print(untrusted)   # numpy.dtype, sklprune.* and torch.nn.modules.* only
  model = sio.load("results/model.skops", trusted=untrusted)
  model.predict(rows)   # a DataFrame with the training file's feature columns

running model.onnx in ONNX Runtime (no sklprune needed; one input per feature
column, which its metadata names):
  import json
  import numpy as np, onnxruntime as ort
  session = ort.InferenceSession("results/model.onnx")
  meta = session.get_modelmeta().custom_metadata_map
  columns = json.loads(meta["sklprune.columns"])  # input name -> column
  feed = {}
  for item in session.get_inputs():
      values = rows[[columns[item.name]]]
      if item.type == "tensor(float)":
          feed[item.name] = values.to_numpy(np.float32)
      else:  # categories and text; a missing category is ""
          feed[item.name] = values.fillna("").astype(str).to_numpy()
  label, probabilities = session.run(None, feed)

exit status: 0 success, 2 a mistake in the command line or the data (one line on
stderr that names it and the fix), 130 interrupted. Files are written to a
temporary name and then renamed: a failed run leaves no half-written file."""

_DATA_RULES = f"""\
data (every column but --target is a feature, unless dropped):
  numbers        standardised; missing values: the median of the training rows
  other columns  one-hot encoded; missing values: a category of their own,
                 '(missing)'; the rarest categories beyond 100 share one input
  --text-column  TF-IDF encoded (--max-features terms); missing text: empty
  identifiers    a column unique per row that holds consecutive integers or
                 codes without spaces, or is named like an index ('Unnamed: 0',
                 'id', 'index', 'row', '..._id'), is dropped; --keep COLUMN
                 trains on it
  Every column dropped and every value imputed is said in a note on stderr
  (unless --quiet) and in the "notes" of the JSON report.

task (--task auto): a --target of numbers with a fractional value, or with more
than {MAX_AUTO_CLASSES} distinct whole numbers, is regressed (PrunedRegressor; R², mean
absolute and root mean squared error); any other target holds class labels
(PrunedClassifier; accuracy, log-loss, calibration). --task classification or
--task regression decides instead."""


def _common_options(command):
    """A parent parser with the options every command takes, in their groups."""
    common = _Parser(add_help=False)
    for (title, description), options in _option_groups(command).items():
        _add_options(common.add_argument_group(title, description), options)
    return common


def _add_options(parser, options):
    """Add every ``{flag: spec}`` of ``options`` to ``parser`` (or to a group)."""
    for flag, spec in options.items():
        parser.add_argument(flag, **spec)


def _option_groups(command):
    """The options every command takes: ``{(group, description): {flag: spec}}``.

    Their help is the same for every command, but for the test data: ``run``
    holds out ``--test-size`` of the rows without it, ``curve`` cross-validates.
    """
    return {
        ("data", None): _data_options(command),
        (
            "model",
            "defaults are those of sklprune.PrunedClassifier (PrunedRegressor "
            "for a regression target)",
        ): (_pruning_options() | _training_options()),
        ("output", None): _output_options(),
    }


_TEST_HELP = {
    "run": "test data with the same columns (default: hold out --test-size of "
    "--train, stratified by class for classification)",
    "curve": "test data with the same columns; the points are scored on it "
    "(default: --cv-fold cross-validation on --train, stratified by class for "
    "classification)",
}


def _data_options(command):
    """Which data to read, how to split it, how to encode its text."""
    options = {
        "--train": dict(
            metavar="FILE",
            help="training data, a CSV file with a header row (default: a bundled "
            "data set, see --dataset)",
        ),
        "--test": dict(metavar="FILE", help=_TEST_HELP[command]),
        "--target": dict(
            metavar="COLUMN",
            help="the column to predict in --train: class labels, or numbers to "
            "regress (see --task)",
        ),
        "--task": dict(
            choices=TASKS,
            default="auto",
            help=f"what to learn of --target; {TASK_RULE} (default: auto)",
        ),
        "--text-column": dict(
            metavar="COLUMN",
            help="one column of free text, TF-IDF encoded (other non-numeric columns "
            "are one-hot encoded)",
        ),
        "--drop": dict(
            metavar="COLUMN",
            action="append",
            help="leave a column out; repeat for several",
        ),
        "--keep": dict(
            metavar="COLUMN",
            action="append",
            help="train on a column that looks like a row identifier, which is "
            "dropped otherwise (see below); repeat for several",
        ),
        "--sep": dict(default=",", help="the CSV field separator (default: ',')"),
        "--dataset": dict(
            choices=list_datasets(),
            metavar="NAME",
            help="bundled data set to use without --train: "
            f"{', '.join(list_datasets())} (default: {DEFAULT_DATASET})",
        ),
        "--max-features": dict(
            type=int_at_least(1),
            default=5000,
            metavar="N",
            help="TF-IDF vocabulary size of --text-column (default: 5000)",
        ),
    }
    if command == "run":
        options["--test-size"] = dict(
            type=open_fraction,
            default=0.25,
            metavar="FRACTION",
            help="share of rows held out for testing when there is no --test "
            "(default: 0.25)",
        )
    return options


def _pruning_options():
    """What is pruned, by which criterion, on which schedule."""
    defaults = ESTIMATOR_DEFAULTS
    return {
        "--strategy": dict(
            choices=["auto", *sorted(STRATEGY_NAMES)],
            default=defaults["strategy"],
            help="importance criterion of the weights; auto: fisher for fewer "
            "than 50 input columns, magnitude for wider ones "
            f"(default: {defaults['strategy']})",
        ),
        "--granularity": dict(
            choices=list(GRANULARITIES),
            default=defaults["granularity"],
            help="prune single weights, or whole hidden units (neuron: a smaller, "
            f"faster network after compaction) (default: {defaults['granularity']})",
        ),
        "--scope": dict(
            choices=list(SCOPES),
            default=defaults["scope"],
            help="how sparsity is shared between layers "
            f"(default: {defaults['scope']})",
        ),
        "--schedule": dict(
            choices=sorted(SCHEDULE_NAMES),
            default=defaults["schedule"],
            help="how sparsity grows over the pruning epochs "
            f"(default: {defaults['schedule']})",
        ),
    }


def _loss_option():
    """``--loss``: the losses of both tasks; the default follows the task."""
    return dict(
        choices=sorted({*LOSS_NAMES, *REGRESSION_LOSS_NAMES}),
        default=None,
        help="training loss, also used by the gradient and fisher criteria: "
        f"{', '.join(LOSS_NAMES)} for classification, "
        f"{', '.join(REGRESSION_LOSS_NAMES)} for regression (default: "
        f"{ESTIMATOR_DEFAULTS['loss']}, or {REGRESSOR_DEFAULTS['loss']} for "
        "regression)",
    )


def _training_options():
    """The network, its loss and how it trains."""
    defaults = ESTIMATOR_DEFAULTS
    sizes = tuple(defaults["hidden_layer_sizes"])
    finetune = (
        "a quarter of --epochs, rounded down"
        if defaults["finetune_epochs"] == "auto"
        else str(defaults["finetune_epochs"])
    )
    return {
        "--loss": _loss_option(),
        "--hidden-layer-sizes": dict(
            type=layer_sizes,
            default=sizes,
            metavar="SIZES",
            help="widths of the hidden layers "
            f"(default: {','.join(str(n) for n in sizes)})",
        ),
        "--epochs": dict(
            type=epochs_or_auto,
            default=defaults["max_epochs"],
            metavar="N",
            help="training epochs, fine-tuning included, or auto: 40, 10 more per "
            "doubling of the compression beyond 8x, at most 60 "
            f"(default: {defaults['max_epochs']})",
        ),
        "--finetune-epochs": dict(
            type=int_at_least(0),
            default=None,
            metavar="N",
            help=f"epochs at the final sparsity after the schedule (default: "
            f"{finetune})",
        ),
        "--lr": dict(
            type=positive_float,
            default=defaults["lr"],
            help=f"learning rate (default: {defaults['lr']:g})",
        ),
        "--batch-size": dict(
            type=int_at_least(1),
            default=defaults["batch_size"],
            metavar="N",
            help=f"mini-batch size (default: {defaults['batch_size']})",
        ),
        "--random-state": dict(
            type=int,
            default=0,
            metavar="SEED",
            help="seeds the split, weight initialisation and batch order (default: 0)",
        ),
        "--threads": dict(
            type=int_at_least(1),
            default=1,
            metavar="N",
            help="torch threads (default: 1)",
        ),
    }


def _output_options():
    """Where the files go, and how much the command prints."""
    return {
        "--out": dict(
            type=Path,
            default=Path("results"),
            metavar="DIR",
            help="directory for the model, reports and plots, created if needed "
            "(default: results)",
        ),
        "--quiet": dict(
            action="store_true",
            help="no progress bar, epoch log or notes; only the results",
        ),
    }
