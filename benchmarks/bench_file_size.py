"""File size of a PrunedClassifier against sparsity: pickle, skops, save_pruned.

Trains ``PrunedClassifier(hidden_layer_sizes=(256, 128))`` on 300 features and 5
classes at each sparsity and measures the bytes of every way to save it: pickle
(what ``joblib.dump`` writes too), ``skops.io.dump`` with its default settings and
with deflate-compressed zip entries (what the ``sklprune`` command writes),
``torch.save`` of the network's state dict and
:func:`~sklprune.persistence.save_pruned` of the network. Each file is loaded back
and must give identical predictions. Sizes are exact byte counts, not timings, so
one run suffices.

Run: ``python benchmarks/bench_file_size.py`` (about a minute on one core);
``--quick`` trains a smaller network for the test suite.
"""

import argparse
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import skops.io as sio
import torch
from _results import RESULTS, aim, write_section
from sklearn.datasets import make_classification

from sklprune import PrunedClassifier, save_pruned

SPARSITIES = (0.0, 0.9, 0.97, 0.99)
FILES = ("pickle", "skops", "skops, deflate", "torch.save", "save_pruned")


def file_sizes(model, X):
    """Bytes of each file, after checking that each loads to the same model."""
    expected = model.predict_proba(X)
    pickled = pickle.dumps(model)
    skops_plain = sio.dumps(model)
    skops_deflate = sio.dumps(model, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    for data, load in [
        (pickled, pickle.loads),
        (skops_plain, _skops_load),
        (skops_deflate, _skops_load),
    ]:
        if not np.array_equal(load(data).predict_proba(X), expected):
            raise AssertionError("a loaded model predicts differently")
    state, sparse = io.BytesIO(), io.BytesIO()
    torch.save(model.module_.state_dict(), state)
    save_pruned(model.module_, sparse)
    return dict(
        zip(
            FILES,
            [
                len(pickled),
                len(skops_plain),
                len(skops_deflate),
                len(state.getvalue()),
                len(sparse.getvalue()),
            ],
        )
    )


def _skops_load(data):
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def measure(quick):
    n_features, hidden = (300, (256, 128)) if not quick else (60, (64,))
    X, y = make_classification(
        n_samples=600 if not quick else 100,
        n_features=n_features,
        n_informative=20 if not quick else 6,
        n_classes=5,
        random_state=0,
    )
    X = X.astype(np.float32)
    rows = {}
    for sparsity in SPARSITIES:
        model = PrunedClassifier(
            hidden_layer_sizes=hidden,
            sparsity=sparsity,
            max_epochs=4 if not quick else 2,
            finetune_epochs=1,
            random_state=0,
        ).fit(X, y)
        rows[sparsity] = file_sizes(model, X[:50])
    return rows, n_features, hidden


def section(rows, n_features, hidden, quick=False):
    dense = rows[0.0]
    header = "| sparsity | " + " | ".join(f"{f} (bytes)" for f in FILES) + " |"
    lines = [
        "## File size against sparsity",
        "",
        f"`python benchmarks/bench_file_size.py{' --quick' if quick else ''}`: "
        "`PrunedClassifier("
        f"hidden_layer_sizes={hidden})` on {n_features} features, 5 classes; "
        "each file loaded back gives identical predictions. `torch.save` is of "
        "the network's state dict, which stays dense; `save_pruned` is its sparse "
        "counterpart. In brackets: how many times smaller than at sparsity 0.",
        "",
        header,
        "|" + " --- |" * (len(FILES) + 1),
    ]
    for sparsity, sizes in rows.items():
        cells = [
            f"{sizes[f]:,} ({dense[f] / sizes[f]:.1f}x)"
            if sparsity
            else f"{sizes[f]:,}"
            for f in FILES
        ]
        lines.append(f"| {sparsity:g} | " + " | ".join(cells) + " |")
    at_97 = rows[0.97]
    ratio = {f: dense[f] / at_97[f] for f in FILES}
    lines += [
        "",
        aim(
            "pickle at least 8x smaller at sparsity 0.97 than at 0",
            ratio["pickle"] >= 8,
            f"{ratio['pickle']:.1f}x",
        ),
        aim(
            "skops (default settings) at least 8x smaller at sparsity 0.97",
            ratio["skops"] >= 8,
            f"{ratio['skops']:.1f}x; its JSON description of the objects "
            f"stays {rows[0.99]['skops'] - rows[0.99]['skops, deflate']:,} bytes "
            "larger than deflated",
        ),
        aim(
            "skops with deflate-compressed entries at least 8x smaller at 0.97",
            ratio["skops, deflate"] >= 8,
            f"{ratio['skops, deflate']:.1f}x",
        ),
        aim(
            "save_pruned at 0.97 at least 8x smaller than torch.save",
            at_97["torch.save"] >= 8 * at_97["save_pruned"],
            f"{at_97['torch.save'] / at_97['save_pruned']:.1f}x",
        ),
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small network, for the tests"
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    rows, n_features, hidden = measure(args.quick)
    text = section(rows, n_features, hidden, args.quick)
    print(text)
    write_section(text, args.results)


if __name__ == "__main__":
    main()
