"""The four scores of :class:`~sklprune.FeatureImportancePruner`, one per back-end.

* :func:`attribute_importances` — ``coef_`` or ``feature_importances_`` of a fitted
  estimator;
* :func:`permutation_scores` — the fall of a held-out score when a feature's values
  are shuffled (:func:`~sklearn.inspection.permutation_importance`; sparse input
  is shuffled column by column without densifying it);
* :func:`gradient_importances` — input saliency ``mean |dL/dx_j * x_j|`` of a
  network, from its own loss (a classification or a regression loss);
* :func:`weight_importances` — the norm of each input column of a network's first
  ``nn.Linear``.

Each takes a fitted estimator and data and returns one score per feature; choosing
a method and selecting features is the pruner's job.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import is_classifier, is_regressor
from sklearn.inspection import permutation_importance
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed
from skorch import NeuralNet
from torch import nn

from .._estimator import BasePrunedEstimator
from .._training.batching import dense_rows

# Rows per batch of the input-gradient pass: dense and sparse input alike are
# densified one batch at a time.
GRADIENT_BATCH_SIZE = 512


def is_network(estimator):
    """Whether ``estimator`` is a skorch net or a pruned classifier or regressor."""
    return isinstance(estimator, (NeuralNet, BasePrunedEstimator))


def model_attribute(estimator):
    for name in ("coef_", "feature_importances_"):
        if hasattr(estimator, name):
            return name
    return None


def attribute_importances(estimator, name):
    values = getattr(estimator, name)
    values = values.toarray() if sp.issparse(values) else np.asarray(values)
    values = np.abs(values.astype(np.float64))
    return values if values.ndim == 1 else values.sum(axis=0)


def permutation_scores(estimator, X, y, *, scoring, n_repeats, random_state, n_jobs):
    """Fall of the score per feature and shuffle, shape (n_features, n_repeats)."""
    if not sp.issparse(X):
        result = permutation_importance(
            estimator,
            X,
            y,
            scoring=_scorer(estimator, scoring),
            n_repeats=n_repeats,
            random_state=random_state,
            n_jobs=n_jobs,
        )
        return result.importances
    scorer = _scorer(estimator, scoring)
    baseline = scorer(estimator, X, y)
    X = sp.csc_matrix(X)
    # One seed for every column, drawn as permutation_importance draws it.
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max + 1)
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_sparse_column_scores)(estimator, X, y, column, seed, n_repeats, scorer)
        for column in range(X.shape[1])
    )
    return baseline - np.asarray(scores, dtype=np.float64)


def baseline_score(estimator, X, y, scoring=None):
    """The score that :func:`permutation_scores` watches fall, unshuffled."""
    return _scorer(estimator, scoring)(estimator, X, y)


def _scorer(estimator, scoring):
    """``scoring``; by default the log-loss of a probabilistic classifier."""
    probabilistic = hasattr(estimator, "predict_proba") and hasattr(
        estimator, "classes_"
    )
    if scoring is None and is_classifier(estimator) and probabilistic:
        return neg_log_loss
    return check_scoring(estimator, scoring=scoring)


def neg_log_loss(estimator, X, y):
    """Mean log-probability of the true classes: ``-log_loss``, without its checks.

    Permutation scores thousands of shuffled copies, and per call this scorer
    takes a fraction of the time of ``get_scorer("neg_log_loss")``, which gives
    the same value (``benchmarks/bench_log_loss_scorer.py``).
    """
    proba = estimator.predict_proba(X)
    classes = np.asarray(estimator.classes_)
    order = np.argsort(classes, kind="stable")
    position = np.searchsorted(classes, y, sorter=order).clip(max=len(classes) - 1)
    index = order[position]
    if not np.array_equal(classes[index], y):
        raise ValueError(
            f"y holds labels the estimator was not trained on; its classes are "
            f"{classes.tolist()}."
        )
    true_proba = proba[np.arange(len(index)), index]
    eps = np.finfo(proba.dtype).eps
    return float(np.log(np.clip(true_proba, eps, 1.0)).mean())


def _sparse_column_scores(estimator, X, y, column, random_state, n_repeats, scorer):
    """Scores with one column of a CSC matrix shuffled, one per repeat.

    Shuffles as :func:`~sklearn.inspection.permutation_importance` does on dense
    input (the same random draws, each repeat shuffling the previous one), but
    moves only the column's stored values.
    """
    rng = check_random_state(random_state)
    start, end = X.indptr[column], X.indptr[column + 1]
    rows, values = X.indices[start:end], X.data[start:end]
    order = np.arange(X.shape[0])
    scores = []
    for _ in range(n_repeats):
        rng.shuffle(order)  # row i of the column takes the value of row order[i]
        rows = np.argsort(order)[rows]
        sort = np.argsort(rows)
        rows, values = rows[sort], values[sort]
        indices, data = X.indices.copy(), X.data.copy()
        indices[start:end], data[start:end] = rows, values
        shuffled = sp.csc_matrix((data, indices, X.indptr), shape=X.shape)
        scores.append(scorer(estimator, shuffled.tocsr(), y))
    return scores


def _find_net(estimator):
    """The skorch net of a skorch net or of a pruned estimator, else None."""
    if isinstance(estimator, NeuralNet):
        return estimator
    net = getattr(estimator, "net_", None)
    return net if isinstance(net, NeuralNet) else None


def _find_module(estimator):
    module = getattr(estimator, "module_", None)
    return module if isinstance(module, nn.Module) else None


def _first_linear(module):
    return next((m for m in module.modules() if isinstance(m, nn.Linear)), None)


def gradient_importances(estimator, X, y):
    """Mean |dL/dx_j * x_j| over the rows of X, one batch densified at a time."""
    net = _find_net(estimator)
    module = None if net is None else _find_module(net)
    if module is None:
        _unsupported(
            "gradient",
            estimator,
            "it is neither a fitted skorch net nor a PrunedClassifier or "
            "PrunedRegressor",
            X.shape[1],
        )
    target = _loss_target(estimator, net, X, y)
    reduction = getattr(getattr(net, "criterion_", None), "reduction", "mean")
    param = next(module.parameters(), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else None
    totals = torch.zeros(X.shape[1], dtype=torch.float64)
    was_training = module.training
    module.eval()
    try:
        for start in range(0, X.shape[0], GRADIENT_BATCH_SIZE):
            rows = slice(start, start + GRADIENT_BATCH_SIZE)
            xb = dense_rows(X, rows).to(device=net.device, dtype=dtype)
            xb.requires_grad_(True)
            with torch.enable_grad():
                y_pred = net.infer(xb)
                yb = target[rows]
                if yb.dtype.kind == "f" and yb.ndim == 1 and _is_column(y_pred):
                    yb = yb[:, None]  # a regressor's (n, 1) output
                loss = net.get_loss(y_pred, yb, X=xb, training=False)
                loss = loss.sum() * (xb.shape[0] if reduction == "mean" else 1)
                (grad,) = torch.autograd.grad(loss, xb)
            totals += (grad * xb).abs().sum(dim=0).detach().cpu().double()
    finally:
        module.train(was_training)
    return (totals / max(X.shape[0], 1)).numpy()


def _is_column(tensor):
    return (
        isinstance(tensor, torch.Tensor) and tensor.ndim == 2 and tensor.shape[1] == 1
    )


def _loss_target(estimator, net, X, y):
    """y as the network's loss expects it."""
    if is_regressor(estimator) and estimator is not net:
        # PrunedRegressor: the standardised targets, as in its fit
        return estimator._training_targets(X, y, None)[0]
    if estimator is not net:  # PrunedClassifier: class indices, as in its fit
        classes = list(estimator.classes_)
        index = {label: i for i, label in enumerate(classes)}
        unknown = sorted({label for label in y if label not in index}, key=str)
        if unknown:
            raise ValueError(
                f"y holds labels the estimator was not trained on: {unknown[:5]}; "
                f"its classes are {classes}."
            )
        return np.asarray([index[label] for label in y], dtype=np.int64)
    y = np.asarray(y)
    if y.dtype.kind in "iub":
        return y.astype(np.int64)
    return y.astype(np.float32)


def weight_importances(estimator, n_features):
    module = _find_module(estimator)
    if module is None:
        _unsupported(
            "weight", estimator, "it has no torch network in module_", n_features
        )
    layer = _first_linear(module)
    if layer is None or layer.in_features != n_features:
        _unsupported(
            "weight",
            estimator,
            f"its network has no first nn.Linear layer over the {n_features} "
            "input features",
            n_features,
        )
    weight = layer.weight.detach().cpu().double()
    return torch.linalg.vector_norm(weight, dim=0).numpy()


def _applicable_methods(estimator, n_features):
    """The methods that can score the features of a fitted estimator."""
    methods = ["auto", "permutation"]
    net = _find_net(estimator)
    if net is not None and _find_module(net) is not None:
        methods.append("gradient")
    module = _find_module(estimator)
    layer = None if module is None else _first_linear(module)
    if layer is not None and layer.in_features == n_features:
        methods.append("weight")
    return methods


def _unsupported(method, estimator, reason, n_features):
    name = type(estimator).__name__
    methods = _applicable_methods(estimator, n_features)
    raise ValueError(
        f"method={method!r} cannot score the features of {name}: {reason}. "
        f"Methods that fit {name}: {', '.join(repr(m) for m in methods)}."
    )
