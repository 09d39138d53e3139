"""
======================================
Grid search over sparsity and strategy
======================================

``sparsity`` and ``strategy`` are ordinary hyper-parameters of
:class:`~sklprune.PrunedClassifier`, so :class:`~sklearn.model_selection.GridSearchCV`
tunes them inside a :class:`~sklearn.pipeline.Pipeline` like any other. A custom
``refit`` then keeps the *sparsest* model whose score is close to the best one,
rather than the best score alone.
"""

# %%
# The search
# ----------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``. The
# network is kept small (one hidden layer of 64 units, 15 epochs) so the 30 fits
# of this grid run in seconds.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier

torch.set_num_threads(1)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipeline = make_pipeline(
    StandardScaler(),
    PrunedClassifier(
        hidden_layer_sizes=(64,),
        lr=3e-3,
        max_epochs=15,
        finetune_epochs=3,
        random_state=0,
    ),
)
param_grid = {
    "prunedclassifier__sparsity": [0.5, 0.8, 0.9, 0.95, 0.98],
    "prunedclassifier__strategy": ["magnitude", "fisher"],
}


# %%
# Choosing the sparsest good model
# --------------------------------
# ``refit`` may be a function of ``cv_results_`` that returns the index of the
# candidate to refit. This one keeps every candidate within one point of accuracy
# of the best mean score, and among those takes the highest sparsity (the better
# strategy when two reach it).
def sparsest_within_one_point(cv_results):
    scores = cv_results["mean_test_score"]
    sparsity = np.asarray(cv_results["param_prunedclassifier__sparsity"], float)
    good = np.flatnonzero(scores >= scores.max() - 0.01)
    return int(max(good, key=lambda i: (sparsity[i], scores[i])))


search = GridSearchCV(
    pipeline,
    param_grid,
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    refit=sparsest_within_one_point,
)
search.fit(X_train, y_train)

results = pd.DataFrame(search.cv_results_)
table = results.pivot_table(
    index="param_prunedclassifier__sparsity",
    columns="param_prunedclassifier__strategy",
    values="mean_test_score",
)
table.index.name, table.columns.name = "sparsity", "strategy"
table.round(3)

# %%
# The refitted model is an ordinary pipeline:
best = search.best_estimator_
print("chosen:", search.best_params_)
print(f"test accuracy: {best.score(X_test, y_test):.3f}")
print(f"non-zero parameters: {best[-1].n_nonzero_} of {best[-1].n_parameters_}")

# %%
# Score against sparsity
# ----------------------
# The compression ratio ``1 / (1 - sparsity)`` on a log axis spreads out the high
# sparsities, where the strategies differ.
fig, ax = plt.subplots(figsize=(6.4, 3.8))
for strategy, group in results.groupby("param_prunedclassifier__strategy"):
    sparsity = group["param_prunedclassifier__sparsity"].astype(float)
    ax.errorbar(
        1 / (1 - sparsity),
        group["mean_test_score"],
        group["std_test_score"],
        marker="o",
        capsize=3,
        label=strategy,
    )
ax.set_xscale("log")
ax.set_xlabel("compression ratio (prunable weights / non-zero)")
ax.set_ylabel("mean CV accuracy")
ax.set_title("GridSearchCV over sparsity and strategy")
ax.legend()
fig.tight_layout()
plt.show()
