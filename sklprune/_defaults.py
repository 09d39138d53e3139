"""The default settings of the estimators, and the names they accept, without torch.

:class:`~sklprune.PrunedClassifier` takes its constructor defaults from
:data:`ESTIMATOR_DEFAULTS` and :class:`~sklprune.PrunedRegressor` from
:data:`REGRESSOR_DEFAULTS`, the same table with the regression loss and without
``class_weight``; :class:`~sklprune.PruningCallback` takes the defaults of its
pruning parameters from :data:`PRUNING_DEFAULTS` (a part of both tables); and the
``sklprune`` command reads them from here to build its options, so ``sklprune
--help`` does not load torch and a default is written in one place only. The names
of the built-in strategies, schedules and losses are the keys of the registries in
:mod:`sklprune.strategies`, :mod:`sklprune.schedules` and :mod:`sklprune.losses`,
which load torch; the command offers them from here, and
``tests/test_defaults.py`` keeps both the same.
"""

# What is pruned, by which criterion, on which schedule: the same for a skorch net
# with the callback as for the estimators.
PRUNING_DEFAULTS = {
    "sparsity": 0.9,
    "strategy": "auto",
    "granularity": "weight",
    "scope": "lamp",
    "budget": "parameters",
    "group_reduction": "sum",
    "schedule": "polynomial",
}

ESTIMATOR_DEFAULTS = {
    "module": None,
    "module_kwargs": None,
    "hidden_layer_sizes": (256, 128),
    **PRUNING_DEFAULTS,
    "loss": "cross_entropy",
    "class_weight": None,
    "optimizer": "adam",
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "batch_size": 64,
    "max_epochs": "auto",
    "finetune_epochs": "auto",
    "early_stopping": False,
    "validation_fraction": 0.1,
    "n_iter_no_change": 5,
    "tol": 1e-4,
    "compact": False,
    "engine": "auto",
    "device": "cpu",
    "random_state": None,
    "verbose": 0,
}

# The regressor's: the classifier's, but for the loss; classes have no weights.
REGRESSOR_DEFAULTS = {
    **{k: v for k, v in ESTIMATOR_DEFAULTS.items() if k != "class_weight"},
    "loss": "squared_error",
}

# The keys of sklprune.strategies.STRATEGIES, in its order.
STRATEGY_NAMES = ("magnitude", "gradient", "fisher", "random")

# The keys of sklprune.schedules.SCHEDULES, in its order.
SCHEDULE_NAMES = ("one_shot", "iterative", "polynomial")

# The keys of sklprune.losses.LOSSES, in its order.
LOSS_NAMES = ("cross_entropy", "mse", "focal", "label_smoothing")

# The keys of sklprune.losses.REGRESSION_LOSSES, in its order.
REGRESSION_LOSS_NAMES = ("squared_error", "absolute_error", "huber", "poisson")

# What a strategy prunes: single weights, or whole output units.
GRANULARITIES = ("weight", "neuron")

# How the target sparsity is shared between the pruned layers.
SCOPES = ("lamp", "global", "layer")

# What the sparsity counts: weights, or the multiply-adds of a forward pass.
BUDGETS = ("parameters", "macs")

# How the scores of a group of coupled units are reduced to one.
GROUP_REDUCTIONS = ("sum", "mean", "max")

# Where the task of a target is not said, a numeric target of whole numbers with
# more distinct values than this is regressed, not classified: the ``sklprune``
# command's ``--task auto`` (any numeric column), and the default network of
# FeatureImportancePruner (a float target).
MAX_AUTO_CLASSES = 30
