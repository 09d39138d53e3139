"""Figures of the user guide, drawn with sklprune itself.

The user guide calls these functions through matplotlib's ``plot`` directive, so
every picture is redrawn from the library at each build. Run this file to redraw
the accuracy-against-sparsity picture of the README (``docs/_static``)::

    python docs/figures.py
"""

import os
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from sklprune.masks import compute_masks
from sklprune.schedules import IterativeSchedule, OneShotSchedule, PolynomialSchedule

KEEP_COLOR, PRUNED_COLOR = "#1f77b4", "#d9d9d9"


def _weights(shape=(12, 20), seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator)


def _draw_mask(ax, mask, title):
    image = np.where(mask.numpy()[..., None], _rgb(KEEP_COLOR), _rgb(PRUNED_COLOR))
    ax.imshow(image, interpolation="nearest")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("inputs")
    ax.set_ylabel("units")
    ax.set_xticks([])
    ax.set_yticks([])


def _rgb(color):
    from matplotlib.colors import to_rgb

    return np.array(to_rgb(color))


def plot_sparsity_and_mask():
    """A weight matrix, its mask at 75 % sparsity, and the pruned weights."""
    weights = _weights()
    mask = compute_masks({"w": weights.abs()}, 0.75)["w"]
    fig, axes = plt.subplots(1, 3, figsize=(8, 2.4))
    limit = float(weights.abs().max())
    axes[0].imshow(weights.numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[0].set_title("weights $w$", fontsize=10)
    _draw_mask(axes[1], mask, "mask: keep the largest $|w|$")
    axes[2].imshow((weights * mask).numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[2].set_title("pruned: 75 % exact zeros", fontsize=10)
    for ax in axes:
        ax.set_xlabel("inputs")
        ax.set_ylabel("units")
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_granularity():
    """Weight and neuron granularity at the same sparsity."""
    scores = _weights().abs()
    fig, axes = plt.subplots(1, 2, figsize=(6.4, 2.6))
    for ax, granularity in zip(axes, ("weight", "neuron")):
        mask = compute_masks({"w": scores}, 0.5, granularity=granularity)["w"]
        _draw_mask(ax, mask, f'granularity="{granularity}"')
    return fig


def plot_scope():
    """Sparsity per layer of a trained MLP at 90 %, under the three scopes."""
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    from sklprune import PrunedClassifier

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = PrunedClassifier(sparsity=0.0, max_epochs=10, finetune_epochs=0)
    clf.set_params(random_state=0).fit(X, y)
    weights = {
        name: p.detach()
        for name, p in clf.module_.named_parameters()
        if "weight" in name
    }
    labels = [f"{tuple(w.shape[::-1])}" for w in weights.values()]
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    width = 0.27
    positions = np.arange(len(weights))
    for i, scope in enumerate(("global", "lamp", "layer")):
        masks = compute_masks(
            {n: w.abs() for n, w in weights.items()}, 0.9, scope=scope
        )
        per_layer = [1 - float(m.float().mean()) for m in masks.values()]
        ax.bar(positions + (i - 1) * width, per_layer, width, label=f'"{scope}"')
    ax.set_xticks(positions, [f"layer {i + 1}\n{s}" for i, s in enumerate(labels)])
    ax.set_ylabel("sparsity of the layer")
    ax.set_ylim(0, 1)
    ax.axhline(0.9, color="k", lw=0.8, ls="--")
    ax.legend(title="scope", loc="lower left", ncols=3, fontsize=8)
    ax.set_title("90 % of an MLP's weights pruned by magnitude", fontsize=10)
    return fig


def plot_schedules():
    """Sparsity after each epoch under the three built-in schedules."""
    epochs = np.arange(0, 41)
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    for schedule in (
        OneShotSchedule(0.9, start_epoch=1, end_epoch=1),
        IterativeSchedule(0.9, start_epoch=1, end_epoch=30, frequency=5),
        PolynomialSchedule(0.9, start_epoch=1, end_epoch=30),
    ):
        values = [schedule(int(e)) if e else 0.0 for e in epochs]
        label = type(schedule).__name__.replace("Schedule", "").lower()
        label = {"oneshot": '"one_shot"'}.get(label, f'"{label}"')
        ax.step(epochs, values, where="post", label=label)
    ax.axvspan(30, 40, color="0.92")
    ax.text(35, 0.3, "fine-tuning", ha="center", fontsize=9)
    ax.set_xlabel("epoch")
    ax.set_ylabel("sparsity")
    ax.set_xlim(0, 40)
    ax.legend(loc="lower right", fontsize=9)
    return fig


def plot_compaction():
    """A network with dead hidden units, before and after compaction."""
    fig, axes = plt.subplots(1, 2, figsize=(7, 2.8))
    before = [[True] * 4, [True, False, True, False, False, True], [True] * 3]
    after = [[True] * 4, [True] * 3, [True] * 3]
    for ax, layers, title in (
        (axes[0], before, "pruned: dead units still computed"),
        (axes[1], after, "compacted: dead units removed"),
    ):
        _draw_network(ax, layers)
        ax.set_title(title, fontsize=10)
    return fig


def _draw_network(ax, layers):
    height = max(len(layer) for layer in layers)
    coords = []
    for x, layer in enumerate(layers):
        offset = (height - len(layer)) / 2
        coords.append([(x, offset + i) for i in range(len(layer))])
    for left, right, alive_left, alive_right in zip(
        coords, coords[1:], layers, layers[1:]
    ):
        for (x0, y0), a in zip(left, alive_left):
            for (x1, y1), b in zip(right, alive_right):
                alive = a and b
                ax.plot(
                    [x0, x1],
                    [y0, y1],
                    color="0.35" if alive else "0.85",
                    lw=0.8,
                    ls="-" if alive else ":",
                    zorder=1,
                )
    for layer_coords, alive in zip(coords, layers):
        for (x, y), a in zip(layer_coords, alive):
            ax.scatter(
                x,
                y,
                s=160,
                color=KEEP_COLOR if a else "white",
                edgecolor=KEEP_COLOR if a else "0.6",
                zorder=2,
            )
    ax.set_xlim(-0.4, len(layers) - 0.6)
    ax.set_ylim(-0.6, height - 0.4)
    ax.set_axis_off()


def plot_coupled_units():
    """A residual block pruned layer by layer, and by groups of coupled units."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    # Rows pruned in the layer before the sum (inp) and in the block's last layer.
    layer_by_layer = {"inp": {1, 4}, "out": {2, 4, 6}, "hidden": {0, 3}}
    coupled = {"inp": {1, 4, 6}, "out": {1, 4, 6}, "hidden": {0, 3}}
    for ax, dead, title in (
        (axes[0], layer_by_layer, "layer by layer: 3 of 5 zero rows still computed"),
        (axes[1], coupled, "coupled groups: every zero row removed"),
    ):
        _draw_residual(ax, dead)
        ax.set_title(title, fontsize=10)
    handles = [
        plt.Line2D([], [], ls="", marker="o", ms=9, color=KEEP_COLOR),
        plt.Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec="#d62728"),
        plt.Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec="0.75"),
    ]
    labels = ["kept", "zero, still computed", "removed by compaction"]
    fig.legend(handles, labels, loc="lower center", ncols=3, fontsize=9)
    fig.subplots_adjust(bottom=0.16)
    return fig


def _draw_residual(ax, dead):
    """``h = inp(x)``; ``s = h + block(h)``; ``head(s)``, with 8 units in the sum."""
    width, hidden = 8, 4
    sum_dead = dead["inp"] & dead["out"]  # a sum's unit goes when all its sides do
    columns = {
        "x": (0.0, range(3), set(), set()),
        "inp": (1.0, range(width), dead["inp"], sum_dead),
        "hidden": (2.0, range(hidden), dead["hidden"], dead["hidden"]),
        "out": (3.0, range(width), dead["out"], sum_dead),
        "sum": (4.0, range(width), sum_dead, sum_dead),
        "head": (5.0, range(3), set(), set()),
    }

    def y(name, i):
        n = len(columns[name][1])
        return (width - n) / 2 + i

    def edge(a, i, b, j, **style):
        removed = i in columns[a][3] or j in columns[b][3]
        ax.plot(
            [columns[a][0], columns[b][0]],
            [y(a, i), y(b, j)],
            color="0.88" if removed else "0.55",
            lw=0.5,
            ls=":" if removed else "-",
            zorder=1,
            **style,
        )

    for a, b in (("x", "inp"), ("inp", "hidden"), ("hidden", "out"), ("sum", "head")):
        for i in columns[a][1]:
            for j in columns[b][1]:
                edge(a, i, b, j)
    for i in range(width):  # the two sides of the sum, unit by unit
        edge("out", i, "sum", i)
        skip = i in sum_dead
        ax.annotate(
            "",
            xy=(4.0, y("sum", i)),
            xytext=(1.0, y("inp", i)),
            arrowprops=dict(
                arrowstyle="-",
                connectionstyle="arc3,rad=-0.25",
                color="0.88" if skip else "#2ca02c",
                lw=0.6,
                ls=":" if skip else "-",
            ),
            zorder=1,
        )
    for name, (x, units, zero, removed) in columns.items():
        for i in units:
            if i in removed:
                face, edge_color = "white", "0.75"
            elif i in zero:
                face, edge_color = "white", "#d62728"
            else:
                face, edge_color = KEEP_COLOR, KEEP_COLOR
            ax.scatter(x, y(name, i), s=70, color=face, edgecolor=edge_color, zorder=2)
    ax.set_xticks(range(6), ["x", "inp", "block[0]", "block[2]", "sum", "head"])
    ax.tick_params(length=0, labelsize=8)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_yticks([])
    ax.set_ylim(-0.8, width - 0.2)


def save_readme_figure(path):
    """Accuracy against sparsity on the digits data, cross-validated."""
    from sklearn.datasets import load_digits
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklprune import PrunedClassifier, PruningCurveDisplay, pruning_curve

    torch.set_num_threads(1)
    X, y = load_digits(return_X_y=True)
    sparsities = [0.0, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99]
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=90)
    for strategy in ("magnitude", "random"):
        model = make_pipeline(
            StandardScaler(), PrunedClassifier(strategy=strategy, random_state=0)
        )
        curve = pruning_curve(
            model, X, y, sparsities=sparsities, cv=3, return_train_score=False
        )
        PruningCurveDisplay.from_results(
            curve,
            ax=ax,
            x="compression",
            errorbar_kw={"label": f'strategy="{strategy}"'},
        )
    ticks = 1 / (1 - np.array(sparsities))
    ax.set_xticks(ticks, [f"{s:.0%}" for s in sparsities])
    ax.minorticks_off()
    ax.set_xlabel("sparsity (axis spaced by the compression ratio 1 / (1 - sparsity))")
    ax.set_ylabel("test accuracy (3-fold CV)")
    ax.set_title("PrunedClassifier on the digits data", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    with tempfile.NamedTemporaryFile(
        dir=path.parent, suffix=".png", delete=False
    ) as tmp:
        fig.savefig(tmp, format="png")
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)
    plt.close(fig)


if __name__ == "__main__":
    default = Path(__file__).resolve().parent / "_static" / "pruning_curve.png"
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    save_readme_figure(target)
    print(f"wrote {target}")
