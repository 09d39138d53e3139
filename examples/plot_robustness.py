"""
=================
Did pruning hurt?
=================

Average accuracy hides who pays for the lost weights. Hooker et al. (2019) found
that pruning costs rare and atypical examples far more than the mean, and the
literature on robustness found that a pruned network can lose more than its
clean accuracy suggests once the input is perturbed.
:func:`~sklprune.robustness_report` compares a pruned network with its dense
reference per class, on calibration, under noise and row by row, and
:class:`~sklprune.RobustnessDisplay` draws it. Two tasks: an imbalanced table,
and film reviews with a rare class of plot summaries.
"""

# %%
# An imbalanced table
# -------------------
# Three classes, the last one 7 % of the rows. Three dense networks and three
# networks pruned to 98 % (2 % of the weights left), one per seed, all trained on
# the same rows: one seed is one draw of the pruned weights, so the report
# compares the two groups with Welch's t-test.
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split

from sklprune import PrunedClassifier, RobustnessDisplay, robustness_report
from sklprune.datasets import load_rotten_tomatoes

torch.set_num_threads(1)

X, y = make_classification(
    n_samples=1500,
    n_features=20,
    n_informative=10,
    n_redundant=0,
    n_classes=3,
    weights=[0.6, 0.33, 0.07],
    class_sep=1.5,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)


def network(sparsity, seed):
    return PrunedClassifier(
        hidden_layer_sizes=(32,),
        sparsity=sparsity,
        lr=3e-3,
        max_epochs=15,
        finetune_epochs=3,
        random_state=seed,
    )


seeds = range(3)
dense = [network(0.0, seed).fit(X_train, y_train) for seed in seeds]
pruned = [network(0.98, seed).fit(X_train, y_train) for seed in seeds]
report = robustness_report(dense, pruned, X_test, y_test, random_state=0)
report.scores.round(3)

# %%
# Accuracy falls by a few points on average. Per class, the worst change first:
report.per_class[
    ["support", "recall_reference", "recall_pruned", "recall_change", "p_value"]
].round(3)

# %%
# The rare class pays most: its recall falls many times further than accuracy,
# and Welch's test puts that fall far beyond the spread between seeds (a small
# ``p_value``). The rows whose prediction changed (the "pruning-identified
# exemplars") come mostly from the rare class:
report.changed_by_class.round(3)

# %%
# The reliability curves of one dense and one pruned network (the report pools
# the rows of all seeds), and the change of recall per class:
RobustnessDisplay.from_report(report)
plt.show()

# %%
# Under noise
# -----------
# Gaussian noise of 0.1, 0.25 and 0.5 times each feature's standard deviation,
# three copies per level; level 0 is the plain accuracy.
report.noise.round(3)

# %%
# Text: film reviews and plot summaries
# -------------------------------------
# The bundled Rotten Tomatoes snippets are ``"fresh"`` or ``"rotten"`` reviews,
# plus 156 plot summaries (``"plot"``, 3 % of the rows). The TF-IDF matrix is
# sparse, so the noise now drops a share of each row's words. One vectoriser is
# fitted, and both networks learn on its matrix (3,000 words, 10 epochs).
texts, labels = load_rotten_tomatoes(categories=None, return_X_y=True)
texts_train, texts_test, labels_train, labels_test = train_test_split(
    texts, labels, test_size=0.3, stratify=labels, random_state=0
)
vectorizer = TfidfVectorizer(min_df=2, sublinear_tf=True, max_features=3000)
T_train = vectorizer.fit_transform(texts_train)
T_test = vectorizer.transform(texts_test)
text_networks = {
    sparsity: PrunedClassifier(
        hidden_layer_sizes=(32,),
        sparsity=sparsity,
        max_epochs=10,
        finetune_epochs=3,
        random_state=0,
    ).fit(T_train, labels_train)
    for sparsity in (0.0, 0.98)
}
text_report = robustness_report(
    text_networks[0.0], text_networks[0.98], T_test, labels_test, random_state=0
)
text_report.per_class[
    ["support", "recall_reference", "recall_pruned", "recall_change"]
].round(3)

# %%
# Again the rare class loses most: the pruned network no longer recognises a plot
# summary, while the two kinds of review lose a few points. The expected
# calibration error hardly moves; the Brier score and the log-loss, which also
# count the lost answers, rise.
text_report.scores.round(3)

# %%
RobustnessDisplay.from_report(text_report)
plt.show()

# %%
# Dropping words, from one in ten to half of them, costs both networks:
text_report.noise.round(3)
