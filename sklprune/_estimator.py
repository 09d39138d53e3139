"""The core the pruned estimators share: parameters, the network and its skorch
net, training with pruning, the cached fast prediction path, and pickling.

:class:`BasePrunedEstimator` is to :class:`~sklprune.PrunedClassifier` and
:class:`~sklprune.PrunedRegressor` what scikit-learn's ``BaseMultilayerPerceptron``
is to ``MLPClassifier`` and ``MLPRegressor``: it holds what does not depend on the
targets (how it builds the module, the skorch net and the
training data is in :class:`~sklprune._training.network.NetworkBuildingMixin`). A
subclass adds the targets through these hooks:

``_y_validation``
    The keyword arguments of ``validate_data`` for ``y`` (``multi_output``).
``_encode_targets(y)``, ``_encode_stream_targets(y, first_call, **stream)``
    Check ``y``, set the fitted attributes of the targets (``classes_``,
    ``n_outputs_``) and return them encoded (class indices), in ``fit`` and in
    ``partial_fit``.
``_transform_targets(y_encoded, weights, reset)``
    The targets the network trains on (the regressor's are standardised);
    ``reset`` learns the transformation, in ``fit`` and the first ``partial_fit``.
``_trained_outputs_transform(out_activation)``
    How the outputs of a fitted model given as ``module`` (before its output
    activation) map to the units the network trains in: ``(shift, scale)``, or
    None when they are those units already.
``_n_outputs()``, ``_outputs_keyword``, ``_describe_outputs(n_outputs)``
    How many outputs the network has, the keyword that tells a module class so,
    and what the outputs must be, for the error of a module that gets it wrong.
``_criterion()``
    The training loss that ``loss`` names.
``_net_class``, ``_net_kwargs(n_outputs)``
    The skorch net class and its arguments that depend on the task.
``_training_weights(X, y, sample_weight)``, ``_stratify(y)``
    The weight of every sample in the loss; the labels whose proportions the
    early-stopping validation split keeps.
``_check_partial_fit_params()``
    Parameters ``partial_fit`` refuses.
"""

import numbers
from abc import ABCMeta, abstractmethod

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import validate_data
from skorch.helper import predefined_split
from skorch.history import History
from torch import nn

from ._training.auto import resolve_strategy
from ._training.network import NetworkBuildingMixin, device_available
from ._training.optimizers import (
    OPTIMIZERS,
)
from ._training.pretrained import TRAINED_MODELS, share_trained_module
from ._training.seeding import TORCH_RNG_LOCK, seeded_torch
from ._training.sparse_grad import contiguous_parameters_
from ._training.stopping import raise_if_interrupted
from ._training.weighting import make_dataset, training_weights
from .compaction._compact import compact
from .inference._engine import CHECK_ROWS, ENGINES, choose_engine
from .inference._predict import InferenceCache, validated_input
from .losses import supports_sample_weight
from .masks import BUDGETS, GROUP_REDUCTIONS
from .persistence._encoding import module_from_state, module_to_state
from .schedules import SCHEDULES
from .strategies import STRATEGIES, PruningStrategy


class BasePrunedEstimator(NetworkBuildingMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the estimators that train a pruned network.

    Do not use it directly: the parameters are documented in the subclasses
    (:class:`~sklprune.PrunedClassifier`), which add the targets through the hooks
    that the module docstring lists.
    """

    # Set by a subclass: the skorch net class, the keyword argument of a module
    # class that takes the number of outputs, and how validate_data checks y.
    _net_class = None
    _outputs_keyword = None
    _y_validation = {}

    _parameter_constraints = {
        "module": [None, type, nn.Module, *TRAINED_MODELS],
        "module_kwargs": [None, dict],
        "hidden_layer_sizes": ["array-like"],
        "sparsity": [Interval(numbers.Real, 0, 1, closed="left")],
        "strategy": [StrOptions({"auto", *STRATEGIES}), PruningStrategy, callable],
        "granularity": [StrOptions({"weight", "neuron"})],
        "scope": [StrOptions({"global", "lamp", "layer"})],
        "budget": [StrOptions(set(BUDGETS))],
        "group_reduction": [StrOptions(set(GROUP_REDUCTIONS))],
        "schedule": [StrOptions(set(SCHEDULES)), callable],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_epochs": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "finetune_epochs": [
            Interval(numbers.Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(RealNotInt, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "compact": ["boolean"],
        "engine": [StrOptions(set(ENGINES))],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    @abstractmethod
    def __init__(
        self,
        *,
        module,
        module_kwargs,
        hidden_layer_sizes,
        sparsity,
        strategy,
        granularity,
        scope,
        budget,
        group_reduction,
        schedule,
        loss,
        optimizer,
        lr,
        weight_decay,
        batch_size,
        max_epochs,
        finetune_epochs,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        compact,
        engine,
        device,
        random_state,
        verbose,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.sparsity = sparsity
        self.strategy = strategy
        self.granularity = granularity
        self.scope = scope
        self.budget = budget
        self.group_reduction = group_reduction
        self.schedule = schedule
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.finetune_epochs = finetune_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.compact = compact
        self.engine = engine
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ----------------------------------------------------------------- targets

    @abstractmethod
    def _encode_targets(self, y):
        """Check the targets of ``fit``, set their fitted attributes, encode them."""

    @abstractmethod
    def _encode_stream_targets(self, y, first_call, **stream):
        """As :meth:`_encode_targets`, for one chunk of ``partial_fit``."""

    @abstractmethod
    def _n_outputs(self):
        """The number of outputs of the network, once the targets are known."""

    @abstractmethod
    def _describe_outputs(self, n_outputs):
        """What the ``n_outputs`` outputs of the module must be, for an error."""

    @abstractmethod
    def _criterion(self):
        """The training loss (a torch module) that ``loss`` names."""

    @abstractmethod
    def _net_kwargs(self, n_outputs):
        """The arguments of ``_net_class`` that depend on the task."""

    def _transform_targets(self, y_encoded, weights, reset):
        """The targets the network trains on; ``reset`` learns the transformation."""
        return y_encoded

    def _trained_outputs_transform(self, out_activation):
        """``(shift, scale)`` of the outputs of a fitted model, or None: as is."""
        return None

    def _training_weights(self, X, y, sample_weight):
        """The weight of every sample in the loss, or None when all are equal."""
        return training_weights(X, y, sample_weight)

    def _stratify(self, y):
        """The labels whose proportions the validation split keeps, or None."""
        return None

    def _check_partial_fit_params(self):
        """Raise a ValueError for a parameter that ``partial_fit`` cannot honour."""
        if self.compact:
            raise ValueError(
                "compact=True cannot be used with partial_fit: a compacted network "
                "cannot be trained further. Set compact=False and call "
                "sklprune.compact(clf.module_) when training is over."
            )

    # ----------------------------------------------------------------- fitting

    def _fit(self, X, y, sample_weight):
        """Train and prune a new network on all of ``X``: the work of ``fit``."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=np.float32,
            **self._y_validation,
        )
        y_encoded = self._encode_targets(y)
        weights = self._training_weights(X, y, sample_weight)
        y_train = self._transform_targets(y_encoded, weights, reset=True)
        self._finetune_epochs()  # checks it against max_epochs, early
        if sp.issparse(X):
            X = sp.csr_matrix(X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        with seeded_torch(seed, self.device):
            module = self._build_module(X)
            if self.compact:
                compact(module)  # refuse a module compaction cannot follow, early
            net = self._build_net(module)
            if weights is not None and not supports_sample_weight(net.criterion):
                raise TypeError(
                    f"The loss {self.loss!r} cannot weight samples, as sample_weight "
                    "and class_weight need: give it a sample_weight keyword (a "
                    "module's forward or a function), or use a named loss."
                )
            train, valid = self._split(
                X, y_train, weights, rng, self._dataset_kwargs(module)
            )
            if valid is not None:
                net.set_params(train_split=predefined_split(valid))
            net.fit(train, None)
            self._torch_rng_state_ = torch.get_rng_state().numpy()
        raise_if_interrupted(net, self.__sklearn_tags__().estimator_type)
        self._set_fitted_attributes(net)
        if self.compact:
            self.module_ = net.module_ = compact(net.module_)
        self._set_size_attributes()
        self._choose_engine(X)
        return self

    def _partial_fit(self, X, y, sample_weight, **stream):
        """Train for one epoch on one chunk: the work of ``partial_fit``.

        ``stream`` holds what the subclass needs to know of the targets of the
        whole stream (the classifier's ``classes``).
        """
        first_call = not hasattr(self, "net_")
        self._check_partial_fit_params()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=np.float32,
            reset=first_call,
            **self._y_validation,
        )
        y_train, weights = self._training_targets(
            X, y, sample_weight, first_call, **stream
        )
        if sp.issparse(X):
            X = sp.csr_matrix(X)
        if first_call:
            net, module = self._start_stream(X)
        else:
            net = self.net_
            module = net.module_
        epochs = 0 if first_call else len(net.history)
        with TORCH_RNG_LOCK, torch.random.fork_rng(devices=[]):
            torch.set_rng_state(torch.from_numpy(self._torch_rng_state_))
            if weights is not None and not supports_sample_weight(net.criterion):
                raise TypeError(
                    f"The loss {self.loss!r} cannot weight samples, as sample_weight "
                    "and class_weight need: give it a sample_weight keyword."
                )
            dataset_kwargs = self._dataset_kwargs(module)
            train = make_dataset(X, y_train, weights, **dataset_kwargs)
            net.partial_fit(train, None, epochs=1)
            self._torch_rng_state_ = torch.get_rng_state().numpy()
        if len(net.history) != epochs + 1 or "sparsity" not in net.history[-1]:
            raise KeyboardInterrupt("Training was interrupted during partial_fit.")
        self._set_fitted_attributes(net)
        self._set_size_attributes()
        if first_call or "engine_" not in self.__dict__:
            self._choose_engine(X)
        else:  # same network, new weights: its graph is rebuilt on first use
            self._inference = InferenceCache()
        return self

    def _training_targets(self, X, y, sample_weight, first_call=False, **stream):
        """The targets the network trains on and the sample weights, for more
        training: a ``partial_fit`` call, or a step of a pruning path (validated
        ``X`` and ``y``).

        Returns
        -------
        y_train : ndarray
        weights : ndarray of shape (n_samples,) or None
        """
        y_encoded = self._encode_stream_targets(y, first_call, **stream)
        weights = self._training_weights(X, y, sample_weight)
        return self._transform_targets(y_encoded, weights, first_call), weights

    def _start_stream(self, X):
        """The net and module of the first ``partial_fit`` call."""
        self._finetune_epochs()  # checks it against max_epochs
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        with seeded_torch(seed, self.device):
            module = self._build_module(X)
            net = self._build_net(module, early_stopping=False)
            self._torch_rng_state_ = torch.get_rng_state().numpy()
        return net, module

    def _set_fitted_attributes(self, net):
        contiguous_parameters_(net.module_)  # LazyAdam stores some column-major
        self.net_ = net
        self.module_ = net.module_
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        self.finetune_epochs_ = self._finetune_epochs()
        self.strategy_ = resolve_strategy(self.strategy, self.n_features_in_)
        self.sparsity_ = float(net.history[-1, "sparsity"])
        self.macs_sparsity_ = float(net.history[-1].get("macs_sparsity", np.nan))

    def _set_size_attributes(self):
        params = list(self.module_.parameters())
        self.n_parameters_ = int(sum(p.numel() for p in params))
        self.n_nonzero_ = int(sum(int(torch.count_nonzero(p)) for p in params))

    def _choose_engine(self, X):
        """Resolve ``engine`` for the fitted network into ``engine_`` and
        ``engine_reason_``; ONNX Runtime's outputs are checked on the first rows
        of ``X``, at most a batch of them (made dense when ``X`` is sparse)."""
        rows = X[: min(CHECK_ROWS, self.batch_size)]
        choice = choose_engine(self.engine, self.module_, rows, self.n_features_in_)
        self.engine_, self.engine_reason_ = choice.engine, choice.reason
        self._inference = InferenceCache()
        if choice.runtime is not None:
            self._inference.adopt(self.module_, choice.runtime)

    # -------------------------------------------------------------- predicting

    def _network_outputs(self, X):
        """The network's outputs for ``X`` (float32), through the fast form of
        the engine that ``engine_`` names."""
        X = validated_input(self, X)
        if "_inference" not in self.__dict__:  # dropped from pickles
            self._inference = InferenceCache()
        engine = self.engine_
        sparse = not isinstance(X, np.ndarray)  # validated: ndarray or sparse
        if engine == "onnxruntime" and sparse and self.engine == "auto":
            engine = "torch"  # its sparse first layer skips the zeros of X
        return self._inference.logits(self.module_, X, engine)

    # ----------------------------------------------------------------- cloning

    def __sklearn_clone__(self):
        return share_trained_module(self, super().__sklearn_clone__())

    # ---------------------------------------------------------------- pickling

    def __getstate__(self):
        # The module is stored as numpy arrays and the skorch net is rebuilt on
        # load, so pickle and skops files hold no torch objects or optimizer state.
        state = dict(super().__getstate__())
        state.pop("_inference", None)  # the fast inference form is rebuilt on use
        if "module_" in state:
            state["module_"] = module_to_state(state["module_"])
            # Epoch rows only: the per-batch losses would dwarf a pruned model.
            state["history_"] = [
                {k: v for k, v in row.items() if k != "batches"}
                for row in state["history_"]
            ]
            del state["net_"]
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        # Files saved before the engine parameter existed predict with torch.
        self.__dict__.setdefault("engine", "auto")
        # Files saved before budgets counted multiply-adds counted parameters.
        self.__dict__.setdefault("budget", "parameters")
        self.__dict__.setdefault("group_reduction", "sum")
        if "module_" in state:
            self.__dict__.setdefault("macs_sparsity_", np.nan)
        if "module_" in state and "engine_" not in state:
            self.engine_ = "torch"
            self.engine_reason_ = (
                "saved by a version of sklprune that predicted with torch only; "
                "fit again to choose an engine."
            )
        if "module_" in state:
            device = self.device if device_available(self.device) else "cpu"
            self.module_ = module_from_state(state["module_"], device)
            self.history_ = History(state["history_"])
            self.net_ = self._build_net(self.module_)
            self.net_.set_params(device=device).initialize()
            self.net_.history = self.history_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
