"""
============================
Pruning a regression network
============================

:class:`~sklprune.PrunedRegressor` is the regressor twin of
:class:`~sklprune.PrunedClassifier`. This example runs the regression workflow
on the diabetes table that ships with scikit-learn (442 patients, ten
measurements, a measure of disease progression one year later): a dense and two
pruned networks, the R² of a pruning path, the measurements the network needs,
and whether pruning cost some patients more than others.
"""

# %%
# Dense and pruned
# ----------------
# The inputs are standardised in front of the network; the regressor
# standardises the target inside and predicts in its units. All three networks
# have the default architecture (256-128) and epoch budget.
import pickle

import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.datasets import load_diabetes
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import (
    FeatureImportanceDisplay,
    FeatureImportancePruner,
    PrunedRegressor,
    PruningCurveDisplay,
    RegressionRobustnessDisplay,
    pruning_curve,
    robustness_report,
)

torch.set_num_threads(1)

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)


def network(sparsity, seed=0):
    """Standardised inputs, then a pruned regression network."""
    return make_pipeline(
        StandardScaler(), PrunedRegressor(sparsity=sparsity, random_state=seed)
    )


models = {s: network(s).fit(X_train, y_train) for s in (0.0, 0.9, 0.97)}
pd.DataFrame(
    {
        "test R²": [m.score(X_test, y_test) for m in models.values()],
        "test MAE": [
            mean_absolute_error(y_test, m.predict(X_test)) for m in models.values()
        ],
        "non-zero parameters": [m[-1].n_nonzero_ for m in models.values()],
        "pickle KB": [len(pickle.dumps(m)) / 1024 for m in models.values()],
    },
    index=pd.Index(list(models), name="sparsity"),
).round(3)

# %%
# 331 training rows are few for a dense network of 35,000 weights: it
# over-fits them, and the networks that keep a tenth or a thirtieth of its
# weights predict the test rows better. The pickled model shrinks with the
# weights, as the pruned regressor stores its weights by their non-zeros.
#
# The pruning path
# ----------------
# :func:`~sklprune.pruning_curve` trains once per fold and prunes further, one
# sparsity after the other, scoring every point by R²; ``return_errors=True``
# adds the mean absolute error. Five folds of all 442 rows:
curve = pruning_curve(
    network(0.0),
    X,
    y,
    sparsities=[0.0, 0.5, 0.75, 0.9, 0.95, 0.98],
    cv=KFold(5, shuffle=True, random_state=0),
    return_errors=True,
)
fig, (r2_ax, mae_ax) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
PruningCurveDisplay.from_results(curve, ax=r2_ax, x="compression")
PruningCurveDisplay(
    sparsities=curve.sparsities,
    test_scores=curve.test_mean_absolute_error,
    achieved_sparsity=curve.achieved_sparsity,
    score_name="Mean absolute error",
).plot(ax=mae_ax, x="compression")
r2_ax.set_title("R² along the pruning path")
mae_ax.set_title("Mean absolute error on the test folds")
plt.show()

# %%
# The measurements the network needs
# ----------------------------------
# :class:`~sklprune.FeatureImportancePruner` trains a small regressor and
# scores every input by the saliency of its regression loss; kept in front of
# the pruned network, it removes whole input columns of its first layer.
scaler = StandardScaler().set_output(transform="pandas")
pruner = FeatureImportancePruner(keep=5, random_state=0)
pruner.fit(scaler.fit_transform(X_train), y_train)
FeatureImportanceDisplay.from_estimator(pruner)
plt.show()

# %%
few_inputs = make_pipeline(
    StandardScaler(),
    FeatureImportancePruner(keep=5, random_state=0),
    PrunedRegressor(sparsity=0.9, random_state=0),
).fit(X_train, y_train)
print(f"kept: {', '.join(few_inputs[:-1].get_feature_names_out())}")
print(f"test R² on five measurements: {few_inputs.score(X_test, y_test):.3f}")

# %%
# Did pruning hurt?
# -----------------
# Three dense networks and three networks pruned to 97 %, one per seed, compared
# by :func:`~sklprune.robustness_report`: the mean absolute error in each
# quintile of the target shows whether the patients with the lowest or highest
# progression pay for the lost weights, and Welch's t-test says whether a change
# stands out from the spread between seeds.
seeds = range(3)
dense = [network(0.0, seed).fit(X_train, y_train) for seed in seeds]
pruned = [network(0.97, seed).fit(X_train, y_train) for seed in seeds]
report = robustness_report(dense, pruned, X_test, y_test, random_state=0)
report.scores.round(3)

# %%
report.by_target[
    ["lower", "upper", "support", "mae_reference", "mae_pruned", "mae_p_value"]
].round(3)

# %%
# The predictions of both sides (means over seeds) against the truth, and their
# error by quintile of the target and of the dense networks' prediction:
RegressionRobustnessDisplay.from_report(report)
plt.show()
