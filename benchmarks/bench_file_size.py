"""File size of a PrunedClassifier against sparsity: pickle, skops, save_pruned.

Trains ``PrunedClassifier`` on 300 features and 5 classes, hidden 256-128 and
1024-512, at each sparsity, and measures the bytes of every way to save it: pickle
(what ``joblib.dump`` writes too), ``skops.io.dump`` with its default settings and
with deflate-compressed zip entries (what the ``sklprune`` command writes),
``torch.save`` of the network's state dict and
:func:`~sklprune.persistence.save_pruned` of the network. Each file is loaded back
and must give identical predictions. Sizes are exact byte counts, not timings, so
one run suffices. This section owns the file sizes of the benchmarks; "Fast
inference" times the same networks.

A text pipeline is measured too, as the ``sklprune`` command builds it on the
bundled film reviews (a TF-IDF ``ColumnTransformer`` of 5,000 terms and the
command's default network at sparsity 0.9): its pickle and skops files as
scikit-learn fitted it, where skops writes each of the vocabulary's numpy integers
as a zip entry of its own, and the files the command writes, whose vocabulary
holds Python ints.

Run: ``python benchmarks/bench_file_size.py`` (about three minutes on one core);
``--quick`` trains small networks and writes no file.
"""

import io
import pickle
import zipfile

import numpy as np
import skops.io as sio
import torch
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from sklprune import PrunedClassifier, save_pruned
from sklprune.cli._report import model_file
from sklprune.datasets import load_rotten_tomatoes

HEADING = "## File size against sparsity"
SPARSITIES = (0.0, 0.9, 0.97, 0.99)
FILES = ("pickle", "skops", "skops, deflate", "torch.save", "save_pruned")
WIDTHS = ((256, 128), (1024, 512))
QUICK_WIDTHS = ((32,), (64, 32))
AIM_SPARSITY, AIM_RATIO = 0.97, 8


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
    sizes = [pickled, skops_plain, skops_deflate, state.getvalue(), sparse.getvalue()]
    return dict(zip(FILES, map(len, sizes)))


def _skops_load(data):
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def measure(quick):
    """``{(hidden, sparsity): {file: bytes}}`` and the number of features."""
    n_features = 60 if quick else 300
    X, y = make_classification(
        n_samples=100 if quick else 600,
        n_features=n_features,
        n_informative=6 if quick else 20,
        n_classes=5,
        random_state=0,
    )
    X = X.astype(np.float32)
    rows = {}
    for hidden in QUICK_WIDTHS if quick else WIDTHS:
        for sparsity in SPARSITIES:
            model = PrunedClassifier(
                hidden_layer_sizes=hidden,
                sparsity=sparsity,
                max_epochs=2 if quick else 4,
                finetune_epochs=1,
                random_state=0,
            ).fit(X, y)
            rows[hidden, sparsity] = file_sizes(model, X[:50])
    return rows, n_features


def width(hidden):
    """Hidden widths as the table shows them: ``256-128``."""
    return "-".join(map(str, hidden))


def table(rows):
    """One row per (hidden widths, sparsity); in brackets, times smaller than dense."""
    lines = []
    for (hidden, sparsity), sizes in rows.items():
        dense = rows[hidden, 0.0]
        cells = [
            f"{sizes[f]:,} ({dense[f] / sizes[f]:.1f}x)"
            if sparsity
            else f"{sizes[f]:,}"
            for f in FILES
        ]
        lines.append([width(hidden), f"{sparsity:g}", *cells])
    header = ["hidden", "sparsity", *(f"{f} (bytes)" for f in FILES)]
    return markdown_table(header, lines, "ll" + "r" * len(FILES))


def aims(rows):
    """Each file at least 8x smaller at sparsity 0.97 than dense, every width."""
    widths = list(dict.fromkeys(hidden for hidden, _ in rows))

    def ratios(file, baseline=None):
        """Per width: how many times ``file`` at 0.97 is smaller than dense."""
        return [
            check(
                rows[h, 0.0][baseline or file] / rows[h, AIM_SPARSITY][file],
                ">=",
                AIM_RATIO,
                label=f"{width(h)}:",
                unit="x",
                fmt="{:.1f}",
            )
            for h in widths
        ]

    json_bytes = (
        rows[widths[0], 0.99]["skops"] - rows[widths[0], 0.99]["skops, deflate"]
    )
    at = f"at sparsity {AIM_SPARSITY:g}"
    return [
        aim(f"pickle at least {AIM_RATIO}x smaller {at} than at 0", ratios("pickle")),
        aim(
            f"skops (default settings) at least {AIM_RATIO}x smaller {at}",
            ratios("skops"),
            f"its JSON description of the objects stays {json_bytes:,} bytes larger "
            f"than deflated at 0.99 for {width(widths[0])}",
        ),
        aim(
            f"skops with deflate-compressed entries at least {AIM_RATIO}x smaller {at}",
            ratios("skops, deflate"),
        ),
        aim(
            f"save_pruned {at} at least {AIM_RATIO}x smaller than torch.save",
            ratios("save_pruned", baseline="torch.save"),
        ),
    ]


TEXT_TERMS, QUICK_TEXT_TERMS = 5000, 300
TEXT_FILES = (
    "pickle, as fitted",
    "skops, deflate, as fitted",
    "model.pkl, as the command writes it",
    "model.skops, as the command writes it",
)


def text_pipeline(quick):
    """The command's pipeline for ``--text-column text``, fitted on the reviews."""
    data, y = load_rotten_tomatoes(as_frame=True, return_X_y=True)
    if quick:
        data, y = data.iloc[::8], y.iloc[::8]
    vectoriser = TfidfVectorizer(
        sublinear_tf=True, max_features=QUICK_TEXT_TERMS if quick else TEXT_TERMS
    )
    classifier = PrunedClassifier(
        hidden_layer_sizes=(16,) if quick else (256, 128),
        sparsity=0.9,
        max_epochs=2 if quick else 4,
        finetune_epochs=1,
        random_state=0,
    )
    model = Pipeline(
        [
            ("features", ColumnTransformer([("text", vectoriser, "text")])),
            ("classifier", classifier),
        ]
    )
    return model.fit(data, y), data


def text_sizes(quick):
    """The text pipeline's files: ``{file: (bytes, zip entries or None)}``."""
    model, data = text_pipeline(quick)
    files = {
        TEXT_FILES[0]: pickle.dumps(model),
        TEXT_FILES[1]: sio.dumps(
            model, compression=zipfile.ZIP_DEFLATED, compresslevel=9
        ),
        TEXT_FILES[2]: model_file(model, use_skops=False),
        TEXT_FILES[3]: model_file(model, use_skops=True),
    }
    expected = model.predict_proba(data)
    for name, data_bytes in files.items():
        load = _skops_load if "skops" in name else pickle.loads
        if not np.array_equal(load(data_bytes).predict_proba(data), expected):
            raise AssertionError(f"{name} loads to a model that predicts differently")
    sizes = {
        name: (len(b), _entries(b) if "skops" in name else None)
        for name, b in files.items()
    }
    return sizes, model


def _entries(data):
    return len(zipfile.ZipFile(io.BytesIO(data)).infolist())


def text_section(sizes, model):
    """The text pipeline's table and its aim."""
    rows = [
        [name, f"{size:,}", "" if entries is None else f"{entries:,}"]
        for name, (size, entries) in sizes.items()
    ]
    terms = len(model[0].named_transformers_["text"].vocabulary_)
    classifier = model[-1]
    written = sizes[TEXT_FILES[3]][0]
    bytes_check = {"fmt": "{:,}", "bound_fmt": "{:,}"}
    return [
        f"**TF-IDF pipeline** (as `sklprune run --text-column` builds it: "
        f"{terms:,} terms of the bundled reviews, hidden "
        f"{width(classifier.hidden_layer_sizes)} at sparsity "
        f"{classifier.sparsity:g}; each file loaded back gives identical "
        "predictions)",
        "",
        markdown_table(["file", "bytes", "zip entries"], rows, "lrr"),
        "",
        aim(
            "the command's model.skops of a text pipeline is no larger than the "
            "pickle of the same pipeline",
            [
                check(
                    written, "<=", sizes[TEXT_FILES[0]][0], "as fitted:", **bytes_check
                ),
                check(
                    written, "<=", sizes[TEXT_FILES[2]][0], "as written:", **bytes_check
                ),
            ],
        ),
    ]


def main(argv=None):
    """Measure every file of every model and publish the section."""
    parser = BenchmarkParser(__file__, __doc__)
    args = parser.parse_args(argv)
    rows, n_features = measure(args.quick)
    text = text_section(*text_sizes(args.quick))
    widths = " and ".join(width(h) for h in dict.fromkeys(h for h, _ in rows))
    body = "\n".join(
        [
            f"`PrunedClassifier`, hidden {widths}, on {n_features} features, 5 "
            "classes; each file loaded back gives identical predictions. "
            "`torch.save` is of the network's state dict, which stays dense; "
            "`save_pruned` is its sparse counterpart. In brackets: how many times "
            "smaller than at sparsity 0 with the same widths.",
            "",
            table(rows),
            "",
            *aims(rows),
            "",
            *text,
        ]
    )
    publish(args, HEADING, body)


if __name__ == "__main__":
    main()
