"""
=============================================
Structured pruning and compaction: real speed
=============================================

Zeros in a dense weight matrix cost as much to multiply as any other number, so an
unstructured sparse network predicts no faster than the dense one. Pruning whole
hidden units (``granularity="neuron"``) and then removing them
(:func:`~sklprune.compact`) gives a narrower network that computes the same
predictions in less time. This example measures all three.
"""

# %%
# Three networks
# --------------
# The same MLP (256 inputs, hidden layers of 512 and 512 units) is trained dense,
# and with 75 % of the hidden units of each layer pruned (``scope="layer"`` prunes
# every layer to the same fraction). The pruned one is then compacted.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from sklprune import PrunedClassifier, compact, measure_latency, sparsity_report

torch.set_num_threads(1)

X, y = make_classification(
    n_samples=3000,
    n_features=256,
    n_informative=40,
    n_classes=4,
    random_state=0,
)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

params = {
    "hidden_layer_sizes": (512, 512),
    "max_epochs": 8,
    "finetune_epochs": 2,
    "batch_size": 128,
    "random_state": 0,
}
dense = PrunedClassifier(sparsity=0.0, **params).fit(X_train, y_train)
structured = PrunedClassifier(
    sparsity=0.75, granularity="neuron", scope="layer", **params
).fit(X_train, y_train)
compacted = compact(structured.module_)
print(compacted)

# %%
# Compaction changes no prediction: the removed units contributed nothing but a
# constant, which :func:`~sklprune.compact` folds into the next layer's bias.
# (``PrunedClassifier(compact=True)`` does the same at the end of ``fit``.)
with torch.inference_mode():
    batch = torch.from_numpy(X_test)
    same = torch.allclose(structured.module_.eval()(batch), compacted(batch), atol=1e-5)
print("same logits after compaction:", same)

# %%
# Measured speed
# --------------
# :func:`~sklprune.measure_latency` times the forward pass over the test rows (in
# one batch) and returns the median seconds per 1,000 rows. The three networks are
# timed in turns, several rounds, and the median of the rounds is kept, so a busy
# machine slows all three alike.
networks = {
    "dense": dense.module_.eval(),
    "75 % of units masked": structured.module_.eval(),
    "75 % of units removed": compacted,
}
rounds = {name: [] for name in networks}
for _ in range(7):
    for name, module in networks.items():
        rounds[name].append(measure_latency(module, X_test, n_repeats=3))
latency = {name: float(np.median(times)) * 1e3 for name, times in rounds.items()}

rows = []
for name, module in networks.items():
    report = sparsity_report(module)
    rows.append(
        {
            "network": name,
            "hidden widths": "-".join(
                str(m.out_features)
                for m in list(module)[:-1]
                if hasattr(m, "out_features")
            ),
            "parameters": sum(p.numel() for p in module.parameters()),
            "MACs per row": int(report.attrs["dense_macs"]),
            "ms per 1000 rows": latency[name],
            "speed-up": latency["dense"] / latency[name],
        }
    )
accuracy = {
    "dense": dense.score(X_test, y_test),
    "75 % of units masked": structured.score(X_test, y_test),
}
accuracy["75 % of units removed"] = accuracy["75 % of units masked"]
table = pd.DataFrame(rows).set_index("network")
table["test accuracy"] = pd.Series(accuracy)
table.round(3)

# %%
# The masked network holds as many zeros as the compacted one leaves out, but its
# tensors keep their dense shapes: the same multiply-accumulates, the same time.
# Only removing the units makes prediction faster. How much faster depends on the
# machine, the batch size and the number of threads; ``benchmarks/`` in the
# repository measures it more carefully.
fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.barh(table.index, table["ms per 1000 rows"], color=["0.6", "C1", "C0"])
for i, speedup in enumerate(table["speed-up"]):
    ax.text(table["ms per 1000 rows"].iloc[i], i, f" {speedup:.1f}x", va="center")
ax.set_xlabel("milliseconds per 1,000 rows (median, 1 thread)")
ax.invert_yaxis()
ax.set_title("Prediction time: masking is not enough")
fig.tight_layout()
plt.show()
