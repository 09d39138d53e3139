"""The steps ``sklprune run`` and ``sklprune curve`` share, before and after training.

Before: check the output directory and the data, and print a header that says what
will be trained on what. After: the data and settings parts of the JSON report,
writing the files, and one line on what missing extras would add.
"""

import sys

import torch

from .. import __version__
from ._columns import imputation_notes
from ._data import hold_out, load_table, table_summary
from ._report import check_writable
from ._settings import for_task

# The packages of each extra the command's outputs use.
EXTRA_PACKAGES = {
    "plot": ("matplotlib",),
    "persist": ("skops",),
    "onnx": ("skl2onnx", "onnx", "onnxruntime"),
}


def prepare(settings):
    """Check what can fail before training: output directory, data, loss.

    Without a test file, ``run`` holds out its test rows here; the notes on the
    data (rows and columns dropped, values imputed) are then complete.

    Returns
    -------
    out : pathlib.Path
        The output directory.
    table : Table
        The data.
    settings : Settings
        ``settings`` for the task of the data's target (:func:`for_task`).
    """
    out = check_writable(settings.out)
    torch.set_num_threads(settings.threads)
    table = load_table(settings.data)
    settings = for_task(settings, table.task)
    if table.X_test is None and settings.test_size is not None:
        hold_out(table, settings.test_size, settings.random_state)
    table.notes += imputation_notes(table)
    return out, table, settings


def print_header(settings, table, scheme=None):
    """What the command trains on what: data, scoring, network, pruning.

    The notes on the data go to standard error first, unless ``--quiet``: once
    every check before training has passed.
    """
    if not settings.quiet:
        for note in table.notes:
            print(f"sklprune: note: {note}", file=sys.stderr, flush=True)
    lines = [f"sklprune {settings.command}", *table_summary(table)]
    if table.held_out:
        lines[-1] += (
            f" (test rows held out: a {table.split} {settings.test_size:.0%} of the "
            f"data, --random-state {settings.random_state}; pass --test FILE to use "
            "your own)"
        )
    if scheme:
        lines.append(f"scoring   {scheme}")
    threads = settings.threads
    lines.append(
        f"network   MLP with hidden layers "
        f"{', '.join(str(n) for n in settings.hidden_layer_sizes)}, "
        f"{settings.n_epochs} epochs "
        f"({settings.n_finetune_epochs} of them fine-tuning), loss {settings.loss}, "
        f"{threads} thread{'s' if threads > 1 else ''}"
    )
    sparsity = (
        f"sparsity {settings.sparsity:g}"
        if settings.sparsities is None
        else f"sparsities {', '.join(f'{s:g}' for s in settings.sparsities)}"
    )
    lines.append(
        f"pruning   {sparsity}, strategy {settings.strategy}, granularity "
        f"{settings.granularity}, scope {settings.scope}, schedule "
        f"{settings.schedule}"
    )
    print("\n".join(lines), flush=True)


def report_head(settings, table):
    """The parts of the JSON report every command writes first."""
    return {
        "command": settings.command,
        "sklprune_version": __version__,
        "data": _data_report(settings, table),
        "settings": _settings_report(settings),
    }


def _settings_report(settings):
    """The model options as given, and the fine-tuning epochs as resolved."""
    if settings.sparsities is None:
        sparsity = {"sparsity": settings.sparsity}
    else:
        sparsity = {"sparsities": settings.sparsities}
    return sparsity | {
        "task": settings.task,
        "strategy": settings.strategy,
        "granularity": settings.granularity,
        "scope": settings.scope,
        "schedule": settings.schedule,
        "loss": settings.loss,
        "hidden_layer_sizes": settings.hidden_layer_sizes,
        "epochs": settings.max_epochs,
        "lr": settings.lr,
        "batch_size": settings.batch_size,
        "max_features": settings.max_features,
        "random_state": settings.random_state,
        "threads": settings.threads,
        "finetune_epochs": settings.n_finetune_epochs,
    }


def _data_report(settings, table):
    if table.held_out:
        test = f"held out: a {table.split} {settings.test_size:g} of the data"
    else:
        test = settings.data.test
    if table.task == "regression":
        y = table.y_train
        target = {"target_range": [float(y.min()), float(y.max())]}
    else:
        target = {"classes": list(table.classes)}
    return {
        "source": str(table.source),
        "target": str(table.target),
        "task": table.task,
        **target,
        "n_train": len(table.X_train),
        "n_test": None if table.X_test is None else len(table.X_test),
        "test": test,
        "numeric_columns": [str(c) for c in table.numeric],
        "categorical_columns": [str(c) for c in table.categorical],
        "text_column": table.text,
        "notes": table.notes,
    }


def write_all(out, files):
    """Write ``{name: writer(path)}`` into ``out``; list the files written."""
    written = [writer(out / name) for name, writer in files.items()]
    print()
    for i, path in enumerate(written):
        print(f"{'wrote' if i == 0 else '':5} {path}")


def print_missing_extras(extras, gains):
    """One line: what the extras whose packages are missing from ``extras`` would add.

    ``extras`` holds the names of the installed packages; ``gains`` maps the name
    of an extra (:data:`EXTRA_PACKAGES`) to what it adds to this command's output.
    """
    missing = {
        extra: [name for name in EXTRA_PACKAGES[extra] if name not in extras]
        for extra in gains
    }
    missing = {extra: names for extra, names in missing.items() if names}
    if missing:
        packages = [name for names in missing.values() for name in names]
        print(
            f"not installed: {_join(packages)}; pip install "
            f"'sklprune[{','.join(missing)}]' adds "
            f"{_join([gains[extra] for extra in missing])}"
        )


def _join(words):
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]]))
