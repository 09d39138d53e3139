"""Neuron pruning of coupled units: compacted size, accuracy and speed on digits.

Part 1: three module classes on load_digits (8x8): a residual MLP (64 -> 128, two
blocks Linear 128-128 -> ReLU -> Linear 128-128 added to their input, a head), a
two-branch MLP whose branches (64 -> 96, ReLU and tanh) are concatenated into a
Linear 192 -> 64 and a head, and a small residual CNN (a 16-channel stem, a block of
two 3x3 Conv -> BatchNorm added to it, a 2x2 max-pool, a Linear 256 -> 64 and a
head). Each is trained dense and with neuron pruning (``PruningCallback(
granularity="neuron")``: groups of coupled units, the default) at sparsity 0.5, 0.75
and 0.9, then compacted; the number of weights of the compacted network is compared
with what the asked sparsity promises, ``(1 - sparsity)`` of the dense weights. The
baseline is the neuron pruning of single layers that came before
(``coupled=False``), at the sparsity whose compacted network has as many weights as
the coupled one (bisected on trained fits, from a one-shot estimate). Test
accuracy is the mean over ``--seeds`` stratified 75/25 splits (``_datasets``); one
skorch net per run, Adam lr 1e-3, weight decay 1e-4, batch 64, 40 epochs, the
polynomial schedule over the first 30, scope ``"lamp"``, magnitude scores.
The scores of a group are reduced by sum (the default), mean and max at 0.9.

Part 2: the CNN of the issue (two Conv -> BatchNorm -> ReLU -> max-pool stages of 32
and 64 channels, a 128-unit Linear) on the digits upsampled to 28x28 (bilinear), as
``PrunedClassifier`` dense and with ``granularity="neuron", budget="macs",
sparsity=0.75, compact=True`` (and, for comparison, ``budget="parameters"``):
multiply-adds removed (``sparsity_report``), accuracy, and ``predict_proba`` on
1,000 images.

Predict times are CPU times (``time.thread_time``) of one forward pass (batch 4,096
for the MLPs, 1,000 for the CNNs) under ``torch.inference_mode()``, one thread,
medians of ``--repeats`` interleaved repeats, against the dense network in the same
run. Writes the section "## Coupled neuron pruning" of benchmarks/RESULTS.md.

Usage: python benchmarks/bench_coupled.py [--repeats 21] [--seeds 3] [--quick]
(``--quick``: 400 training rows, 3 epochs, one seed, 3 repeats, no file written.)
"""

import platform
import statistics
import time

import numpy as np
import torch
from _datasets import load_split
from _harness import BenchmarkParser, aim, check, markdown_table, publish
from skorch import NeuralNetClassifier
from torch import nn
from torch.nn import functional as F

from sklprune import PrunedClassifier, PruningCallback, compact, sparsity_report
from sklprune.compaction._graph import output_targets
from sklprune.masks import compute_masks, find_targets, neuron_dim

HEADING = "## Coupled neuron pruning"
SPARSITIES = (0.5, 0.75, 0.9)
REDUCTIONS = ("sum", "mean", "max")
# The single-layer baseline is refitted until its compacted network is this close
# to the coupled one's number of weights, or this many fits were made.
MATCH_TOLERANCE = 0.03
MATCH_FITS = 4

# ------------------------------------------------------------------ the modules


class ResidualMLP(nn.Module):
    """64 -> 128, two residual blocks 128 -> 128 -> 128, a head."""

    def __init__(self, n_features=64, n_classes=10, width=128):
        super().__init__()
        self.inp = nn.Linear(n_features, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))
            for _ in range(2)
        )
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        h = F.relu(self.inp(x))
        for block in self.blocks:
            h = F.relu(h + block(h))
        return self.head(h)


class TwoBranchMLP(nn.Module):
    """Two branches of 96 units concatenated into a Linear 192 -> 64, a head."""

    def __init__(self, n_features=64, n_classes=10, width=96):
        super().__init__()
        self.left = nn.Linear(n_features, width)
        self.right = nn.Linear(n_features, width)
        self.hidden = nn.Linear(2 * width, 64)
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        h = torch.cat([F.relu(self.left(x)), torch.tanh(self.right(x))], dim=1)
        return self.head(F.relu(self.hidden(h)))


class ResidualCNN(nn.Module):
    """A 16-channel stem, one residual block of two convolutions, pool, Linear."""

    def __init__(self, n_features=64, n_classes=10, channels=16):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU()
        )
        self.block = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
        )
        self.fc = nn.Linear(channels * 16, 64)
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        h = self.stem(x.reshape(-1, 1, 8, 8))
        h = F.max_pool2d(F.relu(h + self.block(h)), 2)
        return self.head(F.relu(self.fc(h.flatten(1))))


class DigitCNN(nn.Module):
    """The CNN of the issue: Conv-BN-ReLU-pool of 32 then 64 channels, FC 128."""

    def __init__(self, n_features=784, n_classes=10, side=28):
        super().__init__()
        self.side = side
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.fc = nn.Linear(64 * (side // 4) ** 2, 128)
        self.out = nn.Linear(128, n_classes)

    def forward(self, x):
        h = self.features(x.reshape(-1, 1, self.side, self.side))
        return self.out(F.relu(self.fc(h)))


MODULES = {
    "residual MLP": ResidualMLP,
    "two-branch MLP": TwoBranchMLP,
    "residual CNN": ResidualCNN,
}
BATCH = {"residual MLP": 4096, "two-branch MLP": 4096, "residual CNN": 1000}

# ------------------------------------------------------------------ training


def fit_net(module_class, data, sparsity, epochs, seed, **prune):
    """A skorch net trained with neuron pruning (dense at sparsity 0)."""
    X, y = data
    callbacks = []
    if sparsity > 0:
        end = max(1, int(0.75 * epochs))
        prune = PruningCallback(
            sparsity=sparsity, granularity="neuron", end_epoch=end, **prune
        )
        callbacks = [("prune", prune)]
    net = NeuralNetClassifier(
        module_class,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=1e-4,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=64,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net.fit(X, y)
    return net


def n_weights(module):
    """The weights of the prunable layers: what the sparsity counts."""
    return sum(p.numel() for p in find_targets(module).values())


def accuracy(module, X, y):
    with torch.inference_mode():
        return float((module.eval()(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


def per_layer_sparsity(dense_module, goal):
    """The sparsity at which single-layer neuron pruning compacts to ``goal`` weights.

    One-shot masks of the dense weights' magnitudes (scope "lamp", the output
    layer left out, as ``coupled=False`` prunes), bisected on the sparsity.
    """
    params = find_targets(dense_module)
    for name in output_targets(dense_module, params):
        del params[name]
    scores = {n: p.detach().abs() for n, p in params.items()}
    dims = {n: neuron_dim(dense_module, n) for n in params}
    low, high = 0.0, 0.995
    for _ in range(20):
        middle = (low + high) / 2
        masks = compute_masks(
            scores, middle, scope="lamp", granularity="neuron", neuron_dims=dims
        )
        if n_weights(compact(dense_module, masks)) > goal:
            low = middle
        else:
            high = middle
    return round((low + high) / 2, 4)


def matched_per_layer(module_class, data, dense, goal, epochs, seed):
    """Single-layer neuron pruning trained to compact to about ``goal`` weights.

    The sparsity starts at the one-shot estimate (:func:`per_layer_sparsity`) and
    is bisected on trained fits, at most ``MATCH_FITS`` of them, until the
    compacted network is within ``MATCH_TOLERANCE`` of ``goal``; the closest fit
    is kept. Returns (sparsity, compacted module).
    """
    low, high = 0.0, 0.995
    sparsity = per_layer_sparsity(dense, goal)
    best = None
    for _ in range(MATCH_FITS):
        net = fit_net(module_class, data, sparsity, epochs, seed, coupled=False)
        module = compact(net.module_)
        weights = n_weights(module)
        if best is None or abs(weights - goal) < abs(n_weights(best[1]) - goal):
            best = (sparsity, module)
        if abs(weights - goal) <= MATCH_TOLERANCE * goal:
            break
        if weights > goal:
            low = sparsity
        else:
            high = sparsity
        sparsity = round((low + high) / 2, 4)
    return best


def train_module(name, seed, args):
    """Every run of one module and one split: weights, accuracies, networks."""
    module_class = MODULES[name]
    X_train, X_test, y_train, y_test = load_split("digits", seed, quick=args.quick)
    data = (X_train.astype(np.float32), y_train.astype(np.int64))
    X_test = X_test.astype(np.float32)
    epochs = 3 if args.quick else 40
    dense = compact(fit_net(module_class, data, 0.0, epochs, seed).module_)
    runs = {"dense": {"acc": accuracy(dense, X_test, y_test), "module": dense}}
    for sparsity in SPARSITIES:
        coupled = compact(fit_net(module_class, data, sparsity, epochs, seed).module_)
        goal = n_weights(coupled)
        matched, per_layer = matched_per_layer(
            module_class, data, dense, goal, epochs, seed
        )
        runs[sparsity] = {
            "acc": accuracy(coupled, X_test, y_test),
            "weights": goal,
            "module": coupled,
            "per_layer_sparsity": matched,
            "per_layer_weights": n_weights(per_layer),
            "per_layer_acc": accuracy(per_layer, X_test, y_test),
        }
    for reduction in REDUCTIONS[1:]:
        net = fit_net(module_class, data, 0.9, epochs, seed, group_reduction=reduction)
        runs[reduction] = accuracy(net.module_, X_test, y_test)
    runs["sum"] = runs[0.9]["acc"]
    return runs


# ------------------------------------------------------------------ timing


def interleaved_cpu_medians(calls, repeats):
    """Median CPU seconds (``time.thread_time``) of every call, interleaved."""
    names = list(calls)
    times = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.thread_time()
            calls[name]()
            times[name].append(time.thread_time() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def forward_times(modules, n_rows, n_features, repeats):
    """Median CPU seconds of one forward pass of ``n_rows`` rows of every module."""
    x = torch.randn(n_rows, n_features, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        for module in modules.values():
            module.eval()(x)  # warm up
        calls = {name: (lambda m=m: m(x)) for name, m in modules.items()}
        return interleaved_cpu_medians(calls, repeats)


def time_modules(all_runs, repeats):
    """Speed-up against dense of every compacted network of the first split."""
    speedups = {}
    for name, runs in all_runs.items():
        runs = runs[0]
        modules = {"dense": runs["dense"]["module"]}
        modules.update({s: runs[s]["module"] for s in SPARSITIES})
        times = forward_times(modules, BATCH[name], 64, repeats)
        for key, seconds in times.items():
            speedups[name, key] = (seconds, times["dense"] / seconds)
    return speedups


# ------------------------------------------------------- the CNN, in multiply-adds


def upsampled(X, side=28):
    """8x8 digit images as ``side`` x ``side`` ones (bilinear), flattened."""
    x = torch.from_numpy(np.asarray(X, dtype=np.float32)).reshape(-1, 1, 8, 8)
    big = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return big.reshape(len(X), -1).numpy()


def run_cnn(args):
    """The issue's CNN dense, and pruned to 0.75 under either budget."""
    X_train, X_test, y_train, y_test = load_split("digits", 0, quick=args.quick)
    X_train, X_test = upsampled(X_train), upsampled(X_test)
    common = dict(module=DigitCNN, random_state=0)
    if args.quick:
        common.update(max_epochs=3, finetune_epochs=1)
    fitted = {"dense": PrunedClassifier(sparsity=0.0, **common).fit(X_train, y_train)}
    for budget in ("macs", "parameters"):
        fitted[budget] = PrunedClassifier(
            sparsity=0.75, granularity="neuron", budget=budget, compact=True, **common
        ).fit(X_train, y_train)
    rows = np.resize(X_test, (1000, X_test.shape[1]))
    times = interleaved_cpu_medians(
        {key: (lambda c=clf: c.predict_proba(rows)) for key, clf in fitted.items()},
        args.repeats,
    )
    result = {}
    for key, clf in fitted.items():
        result[key] = {
            "parameters": clf.n_parameters_,
            "macs": sparsity_report(clf).attrs["dense_macs"],
            "accuracy": clf.score(X_test, y_test),
            "seconds": times[key],
            "widths": (
                clf.module_.features[0].out_channels,
                clf.module_.features[4].out_channels,
                clf.module_.fc.out_features,
            ),
        }
    return result


# ------------------------------------------------------------------ the section


def mean(values):
    return float(np.mean(list(values)))


def size_table(all_runs):
    """Rows of compacted weights against the promise; the deviations by key."""
    rows, deviations = [], {}
    for name, runs in all_runs.items():
        dense = n_weights(runs[0]["dense"]["module"])
        for sparsity in SPARSITIES:
            promised = (1 - sparsity) * dense
            kept = [r[sparsity]["weights"] for r in runs]
            worst = max((abs(k - promised) / promised for k in kept), key=abs)
            deviations[name, sparsity] = worst
            rows.append(
                [
                    name,
                    f"{sparsity:.2f}",
                    f"{dense:,}",
                    f"{promised:,.0f}",
                    f"{mean(kept):,.0f}",
                    f"{100 * worst:.1f} %",
                ]
            )
    return rows, deviations


def accuracy_table(all_runs):
    """Rows of test accuracy: dense, coupled, single-layer at as many weights."""
    rows, gaps = [], {}
    for name, runs in all_runs.items():
        dense = mean(r["dense"]["acc"] for r in runs)
        for sparsity in SPARSITIES:
            coupled = mean(r[sparsity]["acc"] for r in runs)
            single = mean(r[sparsity]["per_layer_acc"] for r in runs)
            gaps[name, sparsity] = 100 * (coupled - single)
            rows.append(
                [
                    name,
                    f"{sparsity:.2f}",
                    f"{dense:.4f}",
                    f"{coupled:.4f}",
                    f"{mean(r[sparsity]['weights'] for r in runs):,.0f}",
                    f"{single:.4f}",
                    f"{mean(r[sparsity]['per_layer_sparsity'] for r in runs):.3f}",
                    f"{mean(r[sparsity]['per_layer_weights'] for r in runs):,.0f}",
                    f"{gaps[name, sparsity]:+.2f}",
                ]
            )
    return rows, gaps


def speed_rows(speedups):
    return [
        [
            name,
            "dense" if key == "dense" else f"{key:.2f}",
            f"{BATCH[name]:,}",
            f"{1000 * seconds:.2f}",
            f"{ratio:.2f}x",
        ]
        for (name, key), (seconds, ratio) in speedups.items()
    ]


def reduction_rows(all_runs):
    return [
        [name, *(f"{mean(r[how] for r in runs):.4f}" for how in REDUCTIONS)]
        for name, runs in all_runs.items()
    ]


def cnn_rows(cnn):
    dense = cnn["dense"]
    rows = []
    for key in ("dense", "macs", "parameters"):
        r = cnn[key]
        rows.append(
            [
                "dense" if key == "dense" else f'0.75, budget="{key}"',
                f"{r['parameters']:,}",
                f"{r['macs']:,.0f}",
                f"{1 - r['macs'] / dense['macs']:.3f}",
                " / ".join(str(w) for w in r["widths"]),
                f"{r['accuracy']:.4f}",
                f"{1000 * r['seconds']:.0f}",
                f"{dense['seconds'] / r['seconds']:.2f}x",
            ]
        )
    return rows


def aims(deviations, gaps, speedups, cnn):
    """The issue's targets, computed."""
    size_checks = [
        check(100 * abs(d), "<=", 5, label=f"{n} {s}", unit=" %", fmt="{:.1f}")
        for (n, s), d in deviations.items()
        if s >= 0.75
    ]
    accuracy_checks = [
        check(g, ">=", -1, label=f"{n} {s}", unit=" pt", fmt="{:+.2f}")
        for (n, s), g in gaps.items()
    ]
    _, residual_speedup = speedups["residual MLP", 0.9]
    dense, pruned = cnn["dense"], cnn["macs"]
    cnn_gap = 100 * (pruned["accuracy"] - dense["accuracy"])
    return [
        aim(
            "compacted weights within 5 % of what the asked sparsity promises, "
            "all three modules at 0.75 and 0.9",
            size_checks,
        ),
        aim(
            "accuracy within 1 point of single-layer neuron pruning at the same "
            "number of weights, every module and sparsity",
            accuracy_checks,
            failures_only=True,
        ),
        aim(
            "the compacted residual MLP at 0.9 at least 3x faster than dense at "
            "batch 4,096",
            check(residual_speedup, ">=", 3, unit="x"),
        ),
        aim(
            'the CNN under budget="macs" at 0.75 removes at least 70 % of its '
            "multiply-adds",
            check(
                100 * (1 - pruned["macs"] / dense["macs"]),
                ">=",
                70,
                unit=" %",
                fmt="{:.1f}",
            ),
        ),
        aim(
            "the CNN at 0.75 of its multiply-adds predicts at least 2.5x faster "
            "than dense (predict_proba, 1,000 images)",
            check(dense["seconds"] / pruned["seconds"], ">=", 2.5, unit="x"),
        ),
        aim(
            "the CNN at 0.75 of its multiply-adds within 1 point of dense accuracy",
            check(cnn_gap, ">=", -1, unit=" pt", fmt="{:+.2f}"),
        ),
    ]


ACCURACY_HEADER = [
    "module",
    "sparsity",
    "dense",
    "coupled",
    "weights",
    "single-layer",
    "its sparsity",
    "its weights",
    "points",
]
CNN_HEADER = [
    "network",
    "parameters",
    "MACs",
    "MACs removed",
    "widths",
    "accuracy",
    "CPU ms",
    "speed-up",
]


def section_body(args, all_runs, speedups, cnn):
    size, deviations = size_table(all_runs)
    acc, gaps = accuracy_table(all_runs)
    seeds = len(next(iter(all_runs.values())))
    size_header = ["module", "sparsity", "dense", "promised", "compacted", "deviation"]
    speed_header = ["module", "sparsity", "batch", "CPU ms", "speed-up"]
    return "\n\n".join(
        [
            f"torch {torch.__version__}, {platform.machine()}, 1 thread, shared "
            f"machine; {seeds} split(s) of load_digits, {args.repeats} repeats. "
            "See the docstring of the script for the modules and the training.",
            "**Compacted weights against the asked sparsity** (weights of the "
            "Linear and Conv layers; mean over splits, deviation the worst split)",
            markdown_table(size_header, size, "llrrrr"),
            "**Test accuracy** (mean over splits; single-layer pruning at the "
            "sparsity whose compacted network has as many weights)",
            markdown_table(ACCURACY_HEADER, acc, "llrrrrrrr"),
            "**Predict time of the compacted network** (first split; CPU ms of "
            "one forward pass)",
            markdown_table(speed_header, speed_rows(speedups), "llrrr"),
            "**Group scores reduced by sum, mean and max** (test accuracy at 0.9, "
            'scope "lamp", mean over splits)',
            markdown_table(["module", *REDUCTIONS], reduction_rows(all_runs), "lrrr"),
            "**The CNN of the issue under the multiply-add budget** (digits "
            "upsampled to 28x28; multiply-adds of one image through the Linear and "
            "Conv layers; widths conv1 / conv2 / fc; predict_proba of 1,000 images, "
            "CPU ms)",
            markdown_table(CNN_HEADER, cnn_rows(cnn), "lrrrlrrr"),
            "Aims:",
            "\n".join(aims(deviations, gaps, speedups, cnn)),
        ]
    )


def main():
    parser = BenchmarkParser(__file__, __doc__, repeats=(21, 3))
    parser.add_argument(
        "--seeds", type=int, default=3, help="splits of the data (default 3; 1 quick)"
    )
    args = parser.parse_args()
    seeds = range(1 if args.quick else args.seeds)
    all_runs = {name: [train_module(name, s, args) for s in seeds] for name in MODULES}
    speedups = time_modules(all_runs, args.repeats)
    cnn = run_cnn(args)
    publish(args, HEADING, section_body(args, all_runs, speedups, cnn))


if __name__ == "__main__":
    main()
