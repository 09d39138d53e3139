"""
==============================================
A small CNN on digit images, pruned by channel
==============================================

:class:`~sklprune.PrunedClassifier` trains any torch module, not only its default
MLP. Here a small convolutional network reads the 8x8 images of
:func:`~sklearn.datasets.load_digits`, and ``granularity="neuron"`` prunes whole
output channels of its convolutions. Removed channels make the network narrower, so
:func:`~sklprune.compact` turns the pruning into a smaller, faster network.
"""

# %%
# The network
# -----------
# ``PrunedClassifier`` builds a module class as ``module(n_features=...,
# n_classes=..., **module_kwargs)`` and feeds it rows of float32 features, so the
# network reshapes each row of 64 pixels into a 1x8x8 image itself. Keeping the
# layers in an :class:`~torch.nn.Sequential` lets :func:`~sklprune.compact` follow
# them later.
import copy

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from sklprune import PrunedClassifier, compact, measure_latency

torch.set_num_threads(1)


class DigitsCNN(nn.Module):
    """Two 3x3 convolutions, max-pooling and a linear read-out, for 8x8 images."""

    def __init__(self, n_features, n_classes, channels=(16, 32)):
        super().__init__()
        if n_features != 64:
            raise ValueError(
                f"DigitsCNN reads 8x8 images (64 features); got {n_features}."
            )
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3),  # 8x8 -> 6x6
            nn.ReLU(),
            nn.Conv2d(c1, c2, kernel_size=3),  # 6x6 -> 4x4
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4 -> 2x2
            nn.Flatten(),
            nn.Linear(c2 * 4, n_classes),
        )

    def forward(self, x):
        return self.features(x.reshape(-1, 1, 8, 8))


X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# Pruning channels
# ----------------
# Under ``granularity="neuron"`` a convolution's output channel is scored by the
# mean score of its weights, and the lowest channels go whole. The last layer is
# left alone: its outputs are the classes. ``scope="layer"`` prunes both
# convolutions to the same fraction of their channels.
models = {}
for sparsity in (0.0, 0.5, 0.75):
    models[sparsity] = PrunedClassifier(
        module=DigitsCNN,
        sparsity=sparsity,
        granularity="neuron",
        scope="layer",
        lr=3e-3,
        max_epochs=15,
        finetune_epochs=3,
        random_state=0,
    ).fit(X_train, y_train)

# %%
# Compaction removes the dead channels (and the input channels of the next layer
# that read them); the compacted networks predict the same classes. They are timed
# in turns over several rounds, and the median is kept.
compacted = {}
for sparsity, clf in models.items():
    small = copy.deepcopy(clf.module_)
    small.features = compact(clf.module_.features)
    with torch.inference_mode():
        logits = small(torch.from_numpy(X_test))
    assert np.array_equal(clf.classes_[logits.argmax(1).numpy()], clf.predict(X_test))
    compacted[sparsity] = small

times = {sparsity: [] for sparsity in compacted}
for _ in range(7):
    for sparsity, small in compacted.items():
        times[sparsity].append(measure_latency(small, X_test, n_repeats=3))

pd.DataFrame(
    {
        "channels pruned": f"{sparsity:.0%}",
        "conv channels": f"{small.features[0].out_channels}, "
        f"{small.features[2].out_channels}",
        "parameters": sum(p.numel() for p in small.parameters()),
        "ms per 1000 images": 1e3 * float(np.median(times[sparsity])),
        "test accuracy": models[sparsity].score(X_test, y_test),
    }
    for sparsity, small in compacted.items()
).set_index("channels pruned").round(3)

# %%
# The first layer's filters
# -------------------------
# The 16 filters of the first convolution, as the half-pruned network learnt them:
# the pruned ones are all zero (blank), the eight kept ones hold the 3x3 patterns
# the rest of the network reads the digits with.
weights = models[0.5].module_.features[0].weight.detach()[:, 0]
fig, axes = plt.subplots(2, 8, figsize=(6.4, 2.8))
limit = float(weights.abs().max())
for ax, kernel in zip(axes.flat, weights):
    kept = bool(kernel.any())
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("k" if kept else "0.8")
    ax.set_title("kept" if kept else "pruned", fontsize=8)
fig.suptitle("First-layer filters with 50 % of channels pruned")
fig.tight_layout()
plt.show()
