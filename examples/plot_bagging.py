"""
==============================
An ensemble of pruned networks
==============================

A :class:`~sklprune.PrunedClassifier` is an ordinary scikit-learn estimator, so
meta-estimators take it as they are. :class:`~sklearn.ensemble.BaggingClassifier`
trains several networks on bootstrap samples and averages their probabilities. Five
networks pruned to 95 % together hold a third of the non-zero weights of one dense
network: does the ensemble buy back the accuracy pruning cost?
"""

# %%
# One dense network, one pruned network, five pruned networks
# -----------------------------------------------------------
# Bagging sets a different ``random_state`` on every copy, so the networks differ
# in their initial weights and batch order as well as in their data.
import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.ensemble import BaggingClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier

torch.set_num_threads(1)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)


def network(sparsity):
    return PrunedClassifier(
        hidden_layer_sizes=(128,),
        sparsity=sparsity,
        max_epochs=20,
        finetune_epochs=5,
        random_state=0,
    )


models = {
    "dense network": make_pipeline(StandardScaler(), network(0.0)),
    "pruned network (95 %)": make_pipeline(StandardScaler(), network(0.95)),
    "5 pruned networks, bagged": make_pipeline(
        StandardScaler(),
        BaggingClassifier(network(0.95), n_estimators=5, random_state=0),
    ),
}


def nonzero_parameters(model):
    last = model[-1]
    members = getattr(last, "estimators_", [last])
    return sum(member.n_nonzero_ for member in members)


rows = []
for name, model in models.items():
    model.fit(X_train, y_train)
    rows.append(
        {
            "model": name,
            "non-zero parameters": nonzero_parameters(model),
            "test accuracy": model.score(X_test, y_test),
        }
    )
results = pd.DataFrame(rows).set_index("model")
results.round(3)

# %%
# Accuracy against the weights that remain
# ----------------------------------------
# In this run the bag wins back part of what pruning cost, not all of it. Averaging
# helps as much as the members err differently; networks trained on bootstrap
# samples of 1,300 digits still share most of their mistakes. The members are
# independent, so ``BaggingClassifier(..., n_jobs=...)`` trains them in parallel.
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for (name, row), color in zip(results.iterrows(), ("0.5", "C1", "C0")):
    ax.scatter(row["non-zero parameters"], row["test accuracy"], s=60, color=color)
    ax.annotate(
        name,
        (row["non-zero parameters"], row["test accuracy"]),
        textcoords="offset points",
        xytext=(8, -4),
    )
ax.set_xscale("log")
ax.set_xlabel("non-zero parameters (all members)")
ax.set_ylabel("test accuracy")
ax.set_xlim(right=results["non-zero parameters"].max() * 8)
ax.set_title("Bagging pruned networks")
fig.tight_layout()
plt.show()
