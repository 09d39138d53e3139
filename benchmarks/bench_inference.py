"""Pruning that pays: prediction time of PrunedClassifier by sparsity.

For each width of a 300-feature, 5-class MLP, a dense ``PrunedClassifier`` is
trained briefly on synthetic data; pruned classifiers are copies of it whose masks
are set directly (``sklprune.masks.compute_masks`` on weight magnitudes, LAMP scope):
90 %, 97 % and 99 % weight sparsity, and 75 % neuron sparsity (``scope="layer"``)
compacted with ``sklprune.compact``. For each one, ``predict_proba`` at batch 1, 64
and 4,096 (which goes through the fast inference
  form, ``sklprune.to_inference``: built by one warm-up call), the
  bare module's forward on the same rows (``module_`` under
  ``torch.inference_mode``, a torch tensor in), and scikit-learn's
``MLPClassifier.predict_proba`` of the same hidden widths. The file sizes of such
classifiers are measured by ``bench_file_size.py``.

One torch thread (one BLAS thread for scikit-learn), medians of interleaved repeats
of CPU time (thread time: it leaves out waiting for a core on a shared machine). The
table and the aims of issue 12, computed from it, are printed and written to the
"## Fast inference" section of ``benchmarks/RESULTS.md``.

Usage: python benchmarks/bench_inference.py [--quick] [--repeats 7]
[--results PATH]
"""

import pickle
import platform
import statistics
import time
import warnings

import numpy as np
import torch
from _harness import BenchmarkParser, aim, check, publish
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklprune import PrunedClassifier, compact
from sklprune.inference import SparseLinear
from sklprune.masks import compute_masks

HEADING = "## Fast inference"
N_FEATURES, N_CLASSES = 300, 5
WIDTHS = ((256, 128), (1024, 512))
BATCHES = (1, 64, 4096)
WEIGHT_SPARSITIES = (0.9, 0.97, 0.99)
NEURON_SPARSITY = 0.75
QUICK_WIDTHS = ((64, 32),)
QUICK_BATCHES = (1, 64, 512)
BLOCK_S = 0.02  # a timed block lasts about this long, so the timer's resolution is moot


# ---------------------------------------------------------------- the models


def make_data(n_rows):
    X, y = make_classification(
        n_rows,
        N_FEATURES,
        n_informative=40,
        n_classes=N_CLASSES,
        random_state=0,
    )
    return X.astype(np.float32), y


def pruned_copy(dense, sparsity, granularity):
    """A copy of a fitted classifier with masks set from weight magnitudes."""
    clf = pickle.loads(pickle.dumps(dense))
    module = clf.module_
    names = [n for n, p in module.named_parameters() if n.endswith("weight")]
    if granularity == "neuron":
        names = names[:-1]  # output units are never removed
    scores = {n: module.get_parameter(n).detach().abs() for n in names}
    scope = "layer" if granularity == "neuron" else "lamp"
    masks = compute_masks(scores, sparsity, scope=scope, granularity=granularity)
    with torch.no_grad():
        for name, mask in masks.items():
            module.get_parameter(name).masked_fill_(~mask, 0.0)
    if granularity == "neuron":
        clf.module_ = clf.net_.module_ = compact(module)
    clf._set_size_attributes()
    clf.sparsity_ = sparsity
    return clf


def build(width, X, y, quick):
    # engine="torch": this benchmark measures torch's fast inference form
    # (bench_predict_engine.py compares it with ONNX Runtime).
    common = dict(
        hidden_layer_sizes=width, batch_size=256, engine="torch", random_state=0
    )
    epochs = dict(max_epochs=2, finetune_epochs=1)
    dense = PrunedClassifier(sparsity=0.0, **common, **epochs).fit(X, y)
    models = {"dense": dense}
    for sparsity in WEIGHT_SPARSITIES:
        models[f"weight {sparsity:.0%}"] = pruned_copy(dense, sparsity, "weight")
    name = f"neuron {NEURON_SPARSITY:.0%}, compacted"
    models[name] = pruned_copy(dense, NEURON_SPARSITY, "neuron")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(width, max_iter=1 if quick else 2, random_state=0)
        mlp.fit(X, y)
    return models, mlp


def sparse_layers(clf):
    """Which Linear layers of the fast form multiply sparsely: 'S' or 'D' each."""
    form = clf._inference.form
    if form is None:
        return "module"
    kinds = [m for m in form.modules() if isinstance(m, SparseLinear | torch.nn.Linear)]
    return "-".join("S" if isinstance(m, SparseLinear) else "D" for m in kinds)


# ---------------------------------------------------------------- timing


def interleaved_medians(calls, repeats):
    """Median CPU seconds per call of every callable, each timed once per repeat."""
    names = list(calls)
    counts = {}
    for name, call in calls.items():  # calls per block: about BLOCK_S of work
        start = time.thread_time()
        call()
        counts[name] = max(1, int(BLOCK_S / max(time.thread_time() - start, 1e-6)))
    times = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            call, count = calls[name], counts[name]
            start = time.thread_time()
            for _ in range(count):
                call()
            times[name].append((time.thread_time() - start) / count)
    return {name: statistics.median(values) for name, values in times.items()}


def forward(module, x):
    module.eval()

    def run():
        with torch.inference_mode():
            module(x)

    return run


def predicting(estimator, X):
    return lambda: estimator.predict_proba(X)


def time_width(models, mlp, batches, repeats, rng):
    """{batch: {label: seconds}}: predict_proba, module forward, MLPClassifier."""
    results = {}
    for batch in batches:
        X = rng.normal(size=(batch, N_FEATURES)).astype(np.float32)
        x = torch.from_numpy(X.copy())
        calls = {}
        for name, clf in models.items():
            calls[("predict_proba", name)] = predicting(clf, X)
            calls[("module", name)] = forward(clf.module_, x)
        calls[("predict_proba", "MLPClassifier")] = predicting(mlp, X)
        results[batch] = interleaved_medians(calls, repeats)
    return results


# ---------------------------------------------------------------- report


def report_width(width, models, times, batches, layers):
    """The table of one width: non-zeros, times at every batch, fast form."""
    big = batches[-1]
    dense_big = times[big][("predict_proba", "dense")]
    head = " | ".join(f"batch {b:,}" for b in batches)
    lines = [
        f"**hidden {width[0]}-{width[1]}** (CPU time per call: µs at batch "
        f"{batches[0]} and {batches[1]}, ms at batch {big:,}; in brackets the bare "
        "module's forward on the same rows)",
        "",
        f"| model | non-zero parameters | {head} | speed-up at {big:,} | "
        "fast form layers |",
        "| --- | ---: | " + "---: | " * len(batches) + "---: | --- |",
    ]
    for name, clf in models.items():
        cells = []
        for batch in batches:
            scale, fmt = (1e3, ".2f") if batch == big else (1e6, ".0f")
            proba = times[batch][("predict_proba", name)] * scale
            module = times[batch][("module", name)] * scale
            cells.append(f"{proba:{fmt}} ({module:{fmt}})")
        speedup = dense_big / times[big][("predict_proba", name)]
        lines.append(
            f"| {name} | {clf.n_nonzero_:,} | {' | '.join(cells)} | "
            f"{speedup:.2f}x | {layers[name]} |"
        )
    cells = []
    for batch in batches:
        scale, fmt = (1e3, ".2f") if batch == big else (1e6, ".0f")
        cells.append(
            f"{times[batch][('predict_proba', 'MLPClassifier')] * scale:{fmt}}"
        )
    speedup = dense_big / times[big][("predict_proba", "MLPClassifier")]
    lines.append(
        f"| MLPClassifier (dense) | | {' | '.join(cells)} | {speedup:.2f}x | |"
    )
    return lines


def speed_aims(tag, times, big):
    """Aims at the largest batch: sparse never slower, and faster by enough."""
    dense = times[("predict_proba", "dense")]
    speed = {
        s: dense / times[("predict_proba", f"weight {s:.0%}")]
        for s in WEIGHT_SPARSITIES
    }

    def faster(sparsity, bound):
        """The speed-up at ``sparsity`` at least ``bound``."""
        return check(speed[sparsity], ">=", bound, label=f"{sparsity:.0%}:", unit="x")

    at = f"batch {big:,}"
    return [
        aim(
            f"{tag}: predict_proba at {at} never slower than dense at "
            "90 / 97 / 99 % weight sparsity (5 % timing tolerance)",
            [faster(s, 0.95) for s in WEIGHT_SPARSITIES],
        ),
        aim(
            f"{tag}: >= 1.1x faster than dense at 90 % weight sparsity, {at}",
            faster(0.9, 1.1),
        ),
        aim(
            f"{tag}: >= 3x faster than dense at 97 % weight sparsity, {at}",
            faster(0.97, 3),
        ),
    ]


def row_aims(tag, names, times, batch):
    """Aims at batch 1: a small fixed cost over the forward, faster than sklearn."""
    mlp = times[("predict_proba", "MLPClassifier")]

    def us(seconds):
        """Seconds in microseconds."""
        return seconds * 1e6

    return [
        aim(
            f"{tag}: batch-{batch} predict_proba within 1.5x the module's "
            "forward + 40 µs, every model",
            [
                check(
                    us(times[("predict_proba", name)]),
                    "<=",
                    us(1.5 * times[("module", name)] + 40e-6),
                    label=name,
                    unit=" µs",
                    fmt="{:.0f}",
                    bound_fmt="{:.0f}",
                )
                for name in names
            ],
        ),
        aim(
            f"{tag}: batch-{batch} predict_proba faster than MLPClassifier, "
            "every model",
            [
                check(
                    us(times[("predict_proba", name)]),
                    "<",
                    us(mlp),
                    label=name,
                    unit=" µs",
                    fmt="{:.0f}",
                    bound_fmt="{:.0f}",
                )
                for name in names
            ],
        ),
    ]


def aims(runs, batches):
    """The aims of issue 12, one line each, from the measured numbers."""
    lines = []
    for width, (models, times) in runs.items():
        tag = f"{width[0]}-{width[1]}"
        lines += speed_aims(tag, times[batches[-1]], batches[-1])
        lines += row_aims(tag, list(models), times[batches[0]], batches[0])
    return lines


def run(args):
    """Build, time and report every width; the section's body."""
    widths = QUICK_WIDTHS if args.quick else WIDTHS
    batches = QUICK_BATCHES if args.quick else BATCHES
    X, y = make_data(600 if args.quick else 3000)
    rng = np.random.default_rng(1)
    runs, body = {}, []
    for width in widths:
        models, mlp = build(width, X, y, args.quick)
        warm = rng.normal(size=(batches[-1], N_FEATURES)).astype(np.float32)
        for clf in models.values():  # builds the fast form
            clf.predict_proba(warm)
        layers = {name: sparse_layers(clf) for name, clf in models.items()}
        times = time_width(models, mlp, batches, args.repeats, rng)
        runs[width] = (models, times)
        body += [*report_width(width, models, times, batches, layers), ""]
    lines = [
        f"torch {torch.__version__}, 1 thread, {platform.machine()}, "
        f"medians of {args.repeats} interleaved repeats of CPU time, on a machine "
        f"shared with other work. MLP {N_FEATURES}-...-{N_CLASSES}, trained dense "
        "for 2 epochs on synthetic data; pruned copies get their masks from "
        "weight magnitudes (LAMP scope), the neuron-pruned one is compacted. "
        "Prediction goes through the fast inference form (`to_inference`, "
        "built at the first prediction, layers of density <= 0.15 as CSR; layers: S "
        "sparse CSR, D dense, after dead units were removed). The file sizes of "
        'these classifiers are in the section "File size against sparsity".',
        "",
        *body,
        "### Aims",
        "",
        *aims(runs, batches),
    ]
    return "\n".join(lines)


def main(argv=None):
    """Time every width on one BLAS thread and publish the section."""
    args = BenchmarkParser(__file__, __doc__, repeats=(7, 3)).parse_args(argv)
    with threadpool_limits(1):
        body = run(args)
    publish(args, HEADING, body)


if __name__ == "__main__":
    main()
