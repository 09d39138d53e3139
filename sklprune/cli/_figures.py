"""The plots of the ``sklprune`` command: training curves, pruned layers, the
pruning curve. matplotlib is imported when a plot is drawn."""

import numpy as np


def training_figure(histories, title):
    """Training loss of every model and sparsity, per epoch; fine-tuning shaded."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4), layout="constrained")
    loss_ax, sparsity_ax = figure.subplots(1, 2)
    for name, history in histories.items():
        epochs = history[:, "epoch"]
        loss_ax.plot(epochs, history[:, "train_loss"], marker=".", label=name)
        sparsity_ax.plot(epochs, history[:, "sparsity"], marker=".", label=name)
    last_prune = max(
        (row["epoch"] for h in histories.values() for row in h if row["event_prune"]),
        default=None,
    )
    n_epochs = max(len(h) for h in histories.values())
    if last_prune is not None and last_prune < n_epochs:
        for ax in (loss_ax, sparsity_ax):
            ax.axvspan(
                last_prune + 0.5, n_epochs + 0.5, color="0.9", label="fine-tuning"
            )
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("Training loss (log scale)")
    loss_ax.set_title("Training loss")
    sparsity_ax.set_ylim(-0.02, 1.02)
    sparsity_ax.set_ylabel("Fraction of prunable weights at zero")
    sparsity_ax.set_title("Sparsity")
    for ax in (loss_ax, sparsity_ax):
        ax.set_xlabel("Epoch")
        ax.legend(loc="best")
    figure.suptitle(title)
    return figure


def layers_figure(report, title):
    """The share of non-zero weights in every prunable layer."""
    from matplotlib.figure import Figure

    layers = report.drop(index="total")
    figure = Figure(figsize=(8, 1.4 + 0.5 * len(layers)), layout="constrained")
    ax = figure.subplots()
    positions = np.arange(len(layers))[::-1]
    kept = (1.0 - layers["sparsity"]).to_numpy()
    ax.barh(positions, np.ones(len(layers)), color="#c6dbef", label="zero")
    ax.barh(positions, kept, color="#2171b5", label="non-zero")
    for y, (_, row) in zip(positions, layers.iterrows()):
        ax.text(
            1.02,
            y,
            f"{row['nonzero']:,} of {row['parameters']:,} non-zero",
            va="center",
            fontsize=9,
        )
    labels = [f"{name} {tuple(shape)}" for name, shape in layers["shape"].items()]
    ax.set_yticks(positions, labels)
    ax.set_xlim(0, 1.5)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xlabel("Share of the layer's weights")
    ax.set_title(title)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, -0.25), ncols=2, frameon=False)
    return figure


def curve_figure(results, title):
    """The score against sparsity and against compression, side by side."""
    from matplotlib.figure import Figure

    from ..curve_display import PruningCurveDisplay

    figure = Figure(figsize=(11, 4.2), layout="constrained")
    sparsity_ax, compression_ax = figure.subplots(1, 2)
    PruningCurveDisplay.from_results(results, ax=sparsity_ax, x="sparsity")
    PruningCurveDisplay.from_results(results, ax=compression_ax, x="compression")
    compression = 1.0 / (1.0 - np.asarray(results.achieved_sparsity).mean(axis=1))
    top = 1.15 * compression.max()
    ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if t <= top]
    compression_ax.set_xticks(ticks, [f"{t}x" for t in ticks])
    compression_ax.minorticks_off()
    figure.suptitle(title)
    return figure
