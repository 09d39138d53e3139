"""The settings of one ``sklprune`` run, resolved from its command line.

:func:`resolve_settings` turns the parsed arguments into a frozen :class:`Settings`
before any job starts: the epochs as the estimator will train them, what to print,
which optional packages the outputs can use. What depends on the data, the task and
the loss that follows it, is resolved by :func:`for_task` once the data is read. The
jobs and every module below them read that object, or the plain values they need
from it, and never the arguments.
"""

import importlib.util
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from .._defaults import (
    ESTIMATOR_DEFAULTS,
    LOSS_NAMES,
    REGRESSION_LOSS_NAMES,
    REGRESSOR_DEFAULTS,
)
from .._training.auto import resolve_max_epochs
from ._errors import UsageError

# The optional packages the command's outputs use; skl2onnx, onnx and onnxruntime
# together make the onnx extra.
EXTRAS = ("matplotlib", "skops", "skl2onnx", "onnx", "onnxruntime")
ONNX_PACKAGES = frozenset({"skl2onnx", "onnx", "onnxruntime"})


@dataclass(frozen=True)
class DataSource:
    """Where the table comes from: the data options, as given.

    Attributes
    ----------
    train, test : str or None
        ``--train`` and ``--test``: CSV files; ``train=None`` uses a bundled data set.
    target : str or None
        ``--target``, the column to predict in ``train``.
    task : {"auto", "classification", "regression"}
        ``--task``: what to learn of the target.
    text_column : str or None
        ``--text-column``, one column of free text.
    drop : tuple of str
        ``--drop``, the columns left out.
    keep : tuple of str
        ``--keep``, the columns trained on though they look like row identifiers.
    sep : str
        ``--sep``, the CSV field separator.
    dataset : str or None
        ``--dataset``, the bundled data set; ``None`` when not given.
    """

    train: str | None
    test: str | None
    target: str | None
    task: str
    text_column: str | None
    drop: tuple
    keep: tuple
    sep: str
    dataset: str | None


@dataclass(frozen=True)
class Settings:
    """Everything a job needs to know about its run, resolved once.

    Attributes
    ----------
    command : {"run", "curve"}
        The job to run.
    data : DataSource
        Where the table comes from.
    test_size : float or None
        ``run``: share of the rows held out for testing when there is no test
        file; ``None`` for ``curve``, which cross-validates then.
    max_features : int
        TF-IDF vocabulary size of the text column.
    sparsity : float or None
        ``run``: the sparsity of the pruned model; ``None`` for ``curve``.
    sparsities : tuple of float or None
        ``curve``: the sorted sparsities to score; ``None`` for ``run``.
    cv : int or None
        ``curve``: ``--cv`` as given; ``None`` when left out.
    quantize : {"int8"} or None
        ``run``: also write the ONNX model with an int8 network; ``None`` for
        fp32 only, and for ``curve``.
    task : {"auto", "classification", "regression"}
        ``--task`` until the data is read, then the task of the target
        (:func:`for_task`).
    strategy, granularity, scope, schedule : str
        The estimator's pruning parameters.
    loss : str or None
        ``--loss``; ``None`` (left out) until the data is read, then the
        default loss of the task.
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers.
    lr : float
        Learning rate.
    batch_size : int
        Mini-batch size.
    max_epochs : int or "auto"
        ``--epochs``, as the classifier's ``max_epochs`` parameter.
    finetune_epochs : int or "auto"
        ``--finetune-epochs``, as the classifier's ``finetune_epochs`` parameter:
        its default when the option is left out.
    n_epochs : int
        The epochs the classifier trains, ``max_epochs`` resolved for the
        highest sparsity.
    n_finetune_epochs : int
        The fine-tuning epochs among them, ``finetune_epochs`` resolved.
    random_state : int
        Seeds the split, the cross-validation folds, the networks and the noise.
    threads : int
        Torch threads.
    out : pathlib.Path
        Directory of the files written.
    quiet : bool
        No notes on standard error.
    show_progress : bool
        Whether the progress bar and epoch log show: on a terminal, not quiet.
    extras : frozenset of str
        The optional packages among :data:`EXTRAS` that are installed.
    """

    command: str
    data: DataSource
    test_size: float | None
    max_features: int
    sparsity: float | None
    sparsities: tuple | None
    cv: int | None
    quantize: str | None
    task: str
    strategy: str
    granularity: str
    scope: str
    schedule: str
    loss: str | None
    hidden_layer_sizes: tuple
    lr: float
    batch_size: int
    max_epochs: int | str
    finetune_epochs: int | str
    n_epochs: int
    n_finetune_epochs: int
    random_state: int
    threads: int
    out: Path
    quiet: bool
    show_progress: bool
    extras: frozenset

    @property
    def onnx(self):
        """Whether the ``onnx`` extra is installed: skl2onnx, onnx, onnxruntime."""
        return ONNX_PACKAGES.issubset(self.extras)


def resolve_settings(args):
    """The :class:`Settings` of the parsed command line ``args``.

    Raises
    ------
    UsageError
        If ``--finetune-epochs`` leaves no epoch to prune in, or if
        ``--quantize`` is given without the ``onnx`` extra.
    """
    sparsity = getattr(args, "sparsity", None)
    sparsities = getattr(args, "sparsities", None)
    top_sparsity = sparsity if sparsities is None else max(sparsities)
    finetune_epochs = (
        ESTIMATOR_DEFAULTS["finetune_epochs"]
        if args.finetune_epochs is None
        else args.finetune_epochs
    )
    n_epochs = resolve_max_epochs(args.epochs, top_sparsity)
    extras = frozenset(name for name in EXTRAS if _installed(name))
    quantize = getattr(args, "quantize", None)
    if quantize and not ONNX_PACKAGES.issubset(extras):
        missing = " and ".join(sorted(ONNX_PACKAGES - extras))
        raise UsageError(
            f"--quantize {quantize} writes model.{quantize}.onnx, which needs "
            f"{missing}: pip install 'sklprune[onnx]', or leave out --quantize"
        )
    return Settings(
        command=args.command,
        data=DataSource(
            train=args.train,
            test=args.test,
            target=args.target,
            task=args.task,
            text_column=args.text_column,
            drop=tuple(args.drop or ()),
            keep=tuple(args.keep or ()),
            sep=args.sep,
            dataset=args.dataset,
        ),
        test_size=getattr(args, "test_size", None),
        max_features=args.max_features,
        sparsity=sparsity,
        sparsities=sparsities,
        cv=getattr(args, "cv", None),
        quantize=quantize,
        task=args.task,
        strategy=args.strategy,
        granularity=args.granularity,
        scope=args.scope,
        schedule=args.schedule,
        loss=args.loss,
        hidden_layer_sizes=args.hidden_layer_sizes,
        lr=args.lr,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        finetune_epochs=finetune_epochs,
        n_epochs=n_epochs,
        n_finetune_epochs=_finetune_epochs(finetune_epochs, n_epochs, top_sparsity),
        random_state=args.random_state,
        threads=args.threads,
        out=args.out,
        quiet=args.quiet,
        show_progress=not args.quiet and sys.stderr.isatty(),
        extras=extras,
    )


def for_task(settings, task):
    """``settings`` for a target of ``task``: the task, and the loss resolved.

    Parameters
    ----------
    settings : Settings
        The settings of the command line.
    task : {"classification", "regression"}
        The task of the target, as the data decided it.

    Returns
    -------
    settings : Settings

    Raises
    ------
    UsageError
        If ``--loss`` names a loss of the other task.
    """
    defaults, names = (
        (REGRESSOR_DEFAULTS, REGRESSION_LOSS_NAMES)
        if task == "regression"
        else (ESTIMATOR_DEFAULTS, LOSS_NAMES)
    )
    loss = defaults["loss"] if settings.loss is None else settings.loss
    if loss not in names:
        other = "classification" if task == "regression" else "regression"
        raise UsageError(
            f"--loss {loss} is a loss for {other}, and the target is learned by "
            f"{task}; pass --loss one of {', '.join(names)}, or --task {other}"
        )
    return replace(settings, task=task, loss=loss)


def _finetune_epochs(finetune_epochs, n_epochs, sparsity):
    """The fine-tuning epochs, resolved as :class:`~sklprune.PrunedClassifier` does."""
    # Its module also holds checks that load torch: imported when a job runs, so
    # that the help and the errors of the command line stay without torch.
    from .._training.validation import resolve_finetune_epochs

    try:
        return resolve_finetune_epochs(finetune_epochs, n_epochs, sparsity)
    except ValueError:
        raise UsageError(
            f"--finetune-epochs {finetune_epochs} must be smaller than --epochs "
            f"{n_epochs}, to leave epochs to prune in"
        ) from None


def _installed(package):
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False
