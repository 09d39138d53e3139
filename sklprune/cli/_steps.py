"""The steps ``sklprune run`` and ``sklprune curve`` share, before and after training.

Before: check the options, the output directory and the data, and print a header
that says what will be trained on what. After: the data and settings parts of the
JSON report, writing the files, and one line on what missing extras would add.
"""

import importlib.util
import sys

import torch

from .. import __version__
from ._data import UsageError, describe, load_table
from ._pipeline import finetune_epochs, max_epochs
from ._report import check_writable

_EXTRA_OF = {"matplotlib": "plot", "skops": "persist"}


def prepare(args):
    """Check what can fail before training: options, output directory, data."""
    try:
        finetune_epochs(args)
    except ValueError:
        raise UsageError(
            f"--finetune-epochs {args.finetune_epochs} must be smaller than --epochs "
            f"{max_epochs(args)}, to leave epochs to prune in"
        ) from None
    out = check_writable(args.out)
    torch.set_num_threads(args.threads)
    table = load_table(args)
    if not args.quiet:
        for note in table.notes:
            print(f"sklprune: note: {note}", file=sys.stderr)
    return out, table


def print_header(command, args, table, scheme=None):
    """What the command trains on what: data, scoring, network, pruning."""
    lines = [f"sklprune {command}", *describe(table)]
    if table.held_out:
        lines[-1] += (
            f" (test rows held out: a stratified {args.test_size:.0%} of the data, "
            f"--random-state {args.random_state}; pass --test FILE to use your own)"
        )
    if scheme:
        lines.append(f"scoring   {scheme}")
    finetune = finetune_epochs(args)
    lines.append(
        f"network   MLP with hidden layers "
        f"{', '.join(str(n) for n in args.hidden_layer_sizes)}, "
        f"{max_epochs(args)} epochs "
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


def report_head(command, args, table):
    """The parts of the JSON report every command writes first."""
    return {
        "command": command,
        "sklprune_version": __version__,
        "data": _data_report(args, table),
        "settings": _settings(args),
    }


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
    settings["finetune_epochs"] = finetune_epochs(args)
    return settings


def _data_report(args, table):
    if table.held_out:
        test = f"held out: a stratified {args.test_size:g} of the data"
    else:
        test = args.test
    return {
        "source": str(table.source),
        "target": str(table.target),
        "classes": list(table.classes),
        "n_train": len(table.X_train),
        "n_test": None if table.X_test is None else len(table.X_test),
        "test": test,
        "numeric_columns": [str(c) for c in table.numeric],
        "categorical_columns": [str(c) for c in table.categorical],
        "text_column": table.text,
        "notes": table.notes,
    }


def installed_extras():
    """Which optional packages the outputs can use: {name: installed}."""
    return {name: _installed(name) for name in ("matplotlib", "skops")}


def _installed(package):
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def write_all(out, files):
    """Write ``{name: writer(path)}`` into ``out``; list the files written."""
    written = [writer(out / name) for name, writer in files.items()]
    print()
    for i, path in enumerate(written):
        print(f"{'wrote' if i == 0 else '':5} {path}")


def print_missing_extras(extras, gains):
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
