"""
========================================
Pruning strategies along a pruning curve
========================================

Which weights should go? :func:`~sklprune.pruning_curve` answers for a whole range
of sparsities at once: it trains one network per cross-validation fold, then prunes
it further step by step, fine-tuning after each step, and scores every step. Here it
compares the four built-in strategies:

* ``"magnitude"`` scores a weight by :math:`|w|`;
* ``"gradient"`` by the first-order Taylor estimate :math:`|w \\, \\partial L /
  \\partial w|` of the loss change when it is removed;
* ``"fisher"`` by the Optimal-Brain-Damage saliency :math:`\\tfrac12 F w^2` with
  the empirical Fisher :math:`F` in place of the Hessian;
* ``"random"`` by chance, the baseline any criterion must beat.
"""

# %%
# Four curves
# -----------
# A fold costs one training of ``max_epochs`` plus ``finetune_epochs + 1`` epochs
# per further point, far less than one fresh fit per sparsity
# (:func:`~sklearn.model_selection.validation_curve`).
import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier, PruningCurveDisplay, pruning_curve

torch.set_num_threads(1)

X, y = load_digits(return_X_y=True)
sparsities = [0.0, 0.8, 0.9, 0.95, 0.98, 0.99]

curves = {}
for strategy in ("magnitude", "gradient", "fisher", "random"):
    model = make_pipeline(
        StandardScaler(),
        PrunedClassifier(
            hidden_layer_sizes=(128, 64),
            strategy=strategy,
            max_epochs=15,
            finetune_epochs=3,
            random_state=0,
        ),
    )
    curves[strategy] = pruning_curve(
        model, X, y, sparsities=sparsities, cv=3, return_train_score=False
    )

pd.DataFrame(
    {name: curve.test_scores.mean(axis=1) for name, curve in curves.items()},
    index=pd.Index(sparsities, name="sparsity"),
).round(3)

# %%
# :class:`~sklprune.PruningCurveDisplay` draws each curve with its spread over the
# folds; ``x="compression"`` puts the compression ratio on a log axis, which
# spreads out the sparsities near 1 where the strategies part ways.
fig, ax = plt.subplots(figsize=(6.4, 4))
for name, curve in curves.items():
    PruningCurveDisplay.from_results(
        curve, ax=ax, x="compression", errorbar_kw={"label": name}
    )
ax.set_title("Digits, MLP 64-128-64-10, 3-fold CV")
fig.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# Up to about 10x compression every criterion but ``"random"`` keeps the dense
# accuracy. Beyond it the gradient-based criteria, which know how much each weight
# matters to the loss, hold up better than the weights' magnitude alone. Random
# pruning collapses early: which weights go matters. The user guide's
# :ref:`strategies` page explains when to pick which.
