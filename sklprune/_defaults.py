"""The default settings of the estimators, readable without importing torch.

:class:`~sklprune.PrunedClassifier` takes its constructor defaults from
:data:`ESTIMATOR_DEFAULTS`, and the ``sklprune`` command reads them from here to
build its options, so ``sklprune --help`` does not load torch and a default is
written in one place only.
"""

ESTIMATOR_DEFAULTS = {
    "module": None,
    "module_kwargs": None,
    "hidden_layer_sizes": (256, 128),
    "sparsity": 0.9,
    "strategy": "auto",
    "granularity": "weight",
    "scope": "lamp",
    "schedule": "polynomial",
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
    "device": "cpu",
    "random_state": None,
    "verbose": 0,
}
