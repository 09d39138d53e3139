"""Inference latency of dense, masked and compacted MLPs, and of PrunedClassifier.

Part 1: an MLP 256-512-512-10 (random weights) is pruned at 50 / 75 / 90 % neuron
sparsity in both hidden layers (magnitude scores, ``compute_masks(...,
granularity="neuron", scope="layer")``). The masked MLP (zeros written into the dense
weights) and the compacted one (``sklprune.compact``) are timed against the dense MLP
for a batch of 1 and a batch of 1024, under ``torch.inference_mode()``. The compacted
parameter count is checked against the count the masks predict.

Part 2: ``PrunedClassifier`` with the same shape is fitted dense (``sparsity=0``) and
at 75 % neuron sparsity with ``compact=True``. ``predict_proba`` on a 1024-row array is
timed against the bare module's forward pass on the same rows, and the compacted
classifier against the dense one, end to end.

All timings run on one thread, interleaved (every repeat times every model once, in
rotating order), and report medians. Ratios are against the dense baseline measured in
the same run. The table is printed and written to ``benchmarks/RESULTS.md`` under
"## Compaction latency" (other sections of that file are left alone).

Usage: python benchmarks/bench_compaction.py [--repeats 101] [--quick] [--no-write]
(``--quick``: 5 repeats, no file written.)
"""

import copy
import itertools
import platform
import statistics
import time
from collections import namedtuple

import numpy as np
import torch
from _harness import BenchmarkParser, aim, check, publish

from sklprune import PrunedClassifier, compact
from sklprune.masks import compute_masks
from sklprune.modules import MLP

N_FEATURES, HIDDEN, N_CLASSES = 256, (512, 512), 10
SPARSITIES = (0.5, 0.75, 0.9)
BATCH_1_CALLS = (
    50  # calls per timed block at batch 1, so the timer's resolution is moot
)
HEADING = "## Compaction latency"
Timing = namedtuple("Timing", "cpu wall")


def predicted_parameters(masks):
    """Parameters of the MLP once the masks' dead hidden units are removed."""
    widths = [N_FEATURES] + [int(m.any(dim=1).sum()) for m in masks.values()]
    widths.append(N_CLASSES)
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))


def n_parameters(module):
    return sum(p.numel() for p in module.parameters())


def build_models():
    torch.manual_seed(0)
    dense = MLP(N_FEATURES, N_CLASSES, HIDDEN).eval()
    hidden = {"0.weight": dense[0].weight, "2.weight": dense[2].weight}
    models = {"dense": dense}
    for sparsity in SPARSITIES:
        scores = {name: w.detach().abs() for name, w in hidden.items()}
        masks = compute_masks(scores, sparsity, scope="layer", granularity="neuron")
        masked = copy.deepcopy(dense)
        with torch.no_grad():
            for name, mask in masks.items():
                masked.get_parameter(name).masked_fill_(~mask, 0.0)
        compacted = compact(dense, masks)
        expected = predicted_parameters(masks)
        assert n_parameters(compacted) == expected, (n_parameters(compacted), expected)
        models[f"masked {sparsity:.0%}"] = masked
        models[f"compacted {sparsity:.0%}"] = compacted
    return models


def interleaved_medians(calls, repeats):
    """Median CPU and wall seconds of every callable, each timed once per repeat.

    CPU time (``time.thread_time``) leaves out the time the process waits for a core,
    which on a shared machine inflates wall-clock medians at random.
    """
    names = list(calls)
    cpu = {name: [] for name in names}
    wall = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            start_cpu, start_wall = time.thread_time(), time.perf_counter()
            calls[name]()
            wall[name].append(time.perf_counter() - start_wall)
            cpu[name].append(time.thread_time() - start_cpu)
    return {
        name: Timing(statistics.median(cpu[name]), statistics.median(wall[name]))
        for name in names
    }


def time_modules(models, repeats):
    generator = torch.Generator().manual_seed(1)
    x1 = torch.randn(1, N_FEATURES, generator=generator)
    x1024 = torch.randn(1024, N_FEATURES, generator=generator)

    def at_batch_1(module):
        def run():
            for _ in range(BATCH_1_CALLS):
                module(x1)

        return run

    with torch.inference_mode():
        for module in models.values():  # warm up
            module(x1024)
        batch_1 = interleaved_medians(
            {name: at_batch_1(m) for name, m in models.items()}, repeats
        )
        batch_1024 = interleaved_medians(
            {name: (lambda m=m: m(x1024)) for name, m in models.items()}, repeats
        )
    per_call = {
        name: Timing(*(v / BATCH_1_CALLS for v in t)) for name, t in batch_1.items()
    }
    return per_call, batch_1024


def fit_classifiers():
    rng = np.random.RandomState(0)
    X = rng.randn(2000, N_FEATURES).astype(np.float32)
    y = (X[:, :N_CLASSES] @ rng.randn(N_CLASSES, N_CLASSES)).argmax(axis=1)
    common = dict(
        hidden_layer_sizes=HIDDEN,
        max_epochs=4,
        finetune_epochs=1,
        batch_size=128,
        random_state=0,
    )
    dense = PrunedClassifier(sparsity=0.0, **common).fit(X, y)
    compacted = PrunedClassifier(
        sparsity=0.75, granularity="neuron", scope="layer", compact=True, **common
    ).fit(X, y)
    return dense, compacted


def time_classifiers(dense, compacted, repeats):
    X = np.random.RandomState(2).randn(1024, N_FEATURES).astype(np.float32)
    x = torch.from_numpy(X)
    dense_module, small_module = dense.module_.eval(), compacted.module_.eval()

    def forward(module):
        def run():
            with torch.inference_mode():
                module(x)

        return run

    for clf in (dense, compacted):  # warm up
        clf.predict_proba(X)
    return interleaved_medians(
        {
            "dense module forward": forward(dense_module),
            "dense PrunedClassifier.predict_proba": lambda: dense.predict_proba(X),
            "compacted module forward": forward(small_module),
            "compacted PrunedClassifier.predict_proba": (
                lambda: compacted.predict_proba(X)
            ),
        },
        repeats,
    )


def speedups(base, timing):
    return f"{base.cpu / timing.cpu:.2f}x / {base.wall / timing.wall:.2f}x"


def module_table(models, batch_1, batch_1024):
    """One row per module: widths, parameters, times and speed-ups at both batches."""
    lines = [
        "| model | hidden widths | parameters | batch 1 CPU / wall (µs) "
        "| speed-up CPU / wall | batch 1024 CPU / wall (ms) | speed-up CPU / wall |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    base_1, base_1024 = batch_1["dense"], batch_1024["dense"]
    for name, module in models.items():
        linear = [m.out_features for m in module if isinstance(m, torch.nn.Linear)]
        t1, t1024 = batch_1[name], batch_1024[name]
        lines.append(
            f"| {name} | {'-'.join(map(str, linear[:-1]))} | "
            f"{n_parameters(module):,} | {t1.cpu * 1e6:.1f} / {t1.wall * 1e6:.1f} | "
            f"{speedups(base_1, t1)} | {t1024.cpu * 1e3:.2f} / {t1024.wall * 1e3:.2f} "
            f"| {speedups(base_1024, t1024)} |"
        )
    return lines


def classifier_table(clf_times):
    """predict_proba against the bare module's forward, dense and compacted."""
    lines = [
        "| path | batch 1024 CPU / wall (ms) | ratio to forward CPU / wall |",
        "| --- | ---: | ---: |",
    ]
    for kind in ("dense", "compacted"):
        bare = clf_times[f"{kind} module forward"]
        proba = clf_times[f"{kind} PrunedClassifier.predict_proba"]
        for path, t in (
            (f"{kind} module forward", bare),
            (f"{kind} predict_proba", proba),
        ):
            lines.append(
                f"| {path} | {t.cpu * 1e3:.2f} / {t.wall * 1e3:.2f} | "
                f"{t.cpu / bare.cpu:.2f}x / {t.wall / bare.wall:.2f}x |"
            )
    return lines


def report(models, times, dense_clf, compact_clf, repeats):
    """The section's body; ``times`` holds batch 1, batch 1024 and classifier times."""
    batch_1, batch_1024, clf_times = times
    dense = clf_times["dense PrunedClassifier.predict_proba"]
    small = clf_times["compacted PrunedClassifier.predict_proba"]
    widths = [
        m.out_features for m in compact_clf.module_ if isinstance(m, torch.nn.Linear)
    ]
    lines = [
        f"torch {torch.__version__}, 1 thread, {platform.machine()}, medians of "
        f"{repeats} interleaved repeats of CPU time (thread time) and wall-clock "
        f"time (batch 1: per call, over blocks of {BATCH_1_CALLS} calls). The "
        "machine is shared with other work: CPU time leaves out the time spent "
        "waiting for a core, wall-clock time does not. MLP "
        f"{N_FEATURES}-{HIDDEN[0]}-{HIDDEN[1]}-{N_CLASSES} with random weights, "
        "neuron sparsity in both hidden layers.",
        "",
        *module_table(models, batch_1, batch_1024),
        "",
        "Masked models are pruned but not compacted (zeros in dense tensors). "
        "Compacted parameter counts equal the counts the masks predict (asserted).",
        "",
        f"PrunedClassifier, hidden {HIDDEN}, fitted for 4 epochs on 2,000 random "
        "rows: `predict_proba` on a 1024 x 256 float32 array against the bare "
        "module's forward pass on the same rows.",
        "",
        *classifier_table(clf_times),
        "",
        'Compacted classifier (`sparsity=0.75, granularity="neuron", '
        f'scope="layer", compact=True`: widths {widths}, '
        f"{compact_clf.n_parameters_:,} parameters against "
        f"{dense_clf.n_parameters_:,}) against the dense one (`sparsity=0`), "
        "`predict_proba` end to end at batch 1024: "
        f"**{speedups(dense, small)} faster** (CPU / wall).",
        "",
        "### Aims (CPU time)",
        "",
        *aims(batch_1024, clf_times),
    ]
    return "\n".join(lines)


def aims(batch_1024, clf_times):
    """Verdicts computed from the timings above."""
    module_speedup = batch_1024["dense"].cpu / batch_1024["compacted 75%"].cpu
    dense = clf_times["dense PrunedClassifier.predict_proba"].cpu
    small = clf_times["compacted PrunedClassifier.predict_proba"].cpu
    bare = clf_times["compacted module forward"].cpu
    return [
        aim(
            "compacted MLP at 75 % neuron sparsity >= 2.5x faster than dense at "
            "batch 1024",
            check(module_speedup, ">=", 2.5, unit="x"),
        ),
        aim(
            "compacted PrunedClassifier >= 2.5x faster than the dense one end to end",
            check(dense / small, ">=", 2.5, unit="x"),
        ),
        aim(
            "compacted predict_proba within 1.3x of its bare module's forward",
            check(small / bare, "<=", 1.3, unit="x"),
        ),
    ]


def main(argv=None):
    """Time the modules and the classifiers, and publish the section."""
    args = BenchmarkParser(__file__, __doc__, repeats=(101, 5)).parse_args(argv)
    models = build_models()
    batch_1, batch_1024 = time_modules(models, args.repeats)
    dense_clf, compact_clf = fit_classifiers()
    clf_times = time_classifiers(dense_clf, compact_clf, args.repeats)
    times = (batch_1, batch_1024, clf_times)
    publish(args, HEADING, report(models, times, dense_clf, compact_clf, args.repeats))


if __name__ == "__main__":
    main()
