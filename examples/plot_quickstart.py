"""
===========
Quick start
===========

Train a neural network that is pruned while it learns, the way you train any
scikit-learn classifier, then look at what pruning did: the accuracy, the sparsity of
every layer, the size on disk and the pruning schedule over the epochs.
"""

# %%
# A dense and a pruned network
# ----------------------------
# :class:`~sklprune.PrunedClassifier` builds a multi-layer perceptron (64 inputs,
# hidden layers of 256 and 128 units, 10 outputs here), trains it with skorch and
# prunes it on a schedule. ``sparsity=0.95`` asks for 95 % of the prunable weights to
# be exactly zero at the end: 20 times fewer non-zero weights. ``sparsity=0`` trains
# the same network without pruning, the reference to compare with.
import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier, model_size, sparsity_report

torch.set_num_threads(1)  # small networks train fastest on one thread

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

models = {}
for sparsity in (0.0, 0.95):
    clf = PrunedClassifier(sparsity=sparsity, random_state=0)
    models[sparsity] = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)

pd.DataFrame(
    {
        "target sparsity": sparsity,
        "achieved sparsity": model[-1].sparsity_,
        "non-zero parameters": model[-1].n_nonzero_,
        "test accuracy": model.score(X_test, y_test),
        "bytes, sparse encoding": model_size(model).sparse_bytes,
    }
    for sparsity, model in models.items()
).round(3)

# %%
# The pruned network keeps the accuracy of the dense one with a twentieth of its
# weights. The "sparse encoding" stores each tensor as a bit mask plus its non-zero
# values, the honest size of a pruned model on disk
# (:func:`~sklprune.model_size`).
#
# Where did the zeros go?
# -----------------------
# :func:`~sklprune.sparsity_report` counts, per layer, the parameters, the
# non-zeros and the multiply-accumulates (MACs) of one prediction. The default
# ``scope="lamp"`` ranks weights of all layers together after normalising each
# layer's scores, so the big middle layer is pruned hardest and the small output
# layer is spared.
sparsity_report(models[0.95])

# %%
# The schedule, epoch by epoch
# ----------------------------
# Every fitted classifier keeps skorch's training history in ``history_``. The
# default ``"polynomial"`` schedule prunes fast at first and slowly near the end;
# the last ``finetune_epochs`` epochs (``"auto"``: a quarter of ``max_epochs``,
# 10 of the default 40) train at the final sparsity.
history = models[0.95][-1].history_
epochs = history[:, "epoch"]

fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.plot(epochs, history[:, "sparsity"], marker=".", label="sparsity")
ax.set_xlabel("epoch")
ax.set_ylabel("sparsity")
loss_ax = ax.twinx()
loss_ax.plot(epochs, history[:, "train_loss"], color="C1", label="training loss")
loss_ax.set_ylabel("training loss")
fig.legend(loc="center right", bbox_to_anchor=(0.85, 0.5))
ax.set_title("Pruning while training (polynomial schedule)")
fig.tight_layout()
plt.show()
