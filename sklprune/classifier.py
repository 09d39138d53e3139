"""PrunedClassifier: a scikit-learn classifier that trains a pruned network."""

import copy
import functools
import numbers

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from skorch.callbacks import EarlyStopping, ProgressBar
from skorch.helper import predefined_split
from skorch.history import History
from torch import nn

from ._defaults import ESTIMATOR_DEFAULTS as _DEFAULTS
from ._training.auto import resolve_max_epochs, resolve_strategy
from ._training.batching import (
    ArrayDataset,
    BatchIterator,
    accepts_sparse_input,
    dense_rows,
)
from ._training.seeding import TORCH_RNG_LOCK, seeded_torch
from ._training.sparse_grad import contiguous_parameters_
from ._training.validation import resolve_finetune_epochs
from ._training.weighting import (
    WeightedNeuralNetClassifier,
    make_dataset,
    training_weights,
)
from .callbacks import PruningCallback
from .compaction._compact import compact
from .inference._predict import InferenceCache, validated_input
from .losses import LOSSES, get_loss, supports_sample_weight
from .masks import find_targets
from .modules import MLP
from .optim import LazyAdam, LazyAdamW
from .persistence._encoding import module_from_state, module_to_state
from .schedules import SCHEDULES
from .strategies import STRATEGIES, PruningStrategy

OPTIMIZERS = {
    "adam": LazyAdam,
    "adamw": LazyAdamW,
    "sgd": torch.optim.SGD,
}


class PrunedClassifier(ClassifierMixin, BaseEstimator):
    """A neural-network classifier pruned while it trains.

    Builds a network (a default MLP, or a module class of your own), trains it with
    skorch and a :class:`~sklprune.PruningCallback`, and predicts through the
    network's fast inference form (:func:`~sklprune.to_inference`: dead units
    removed, sparse products in the layers where they are faster on this machine,
    timed at the first prediction), which computes what ``module_`` computes.
    ``sparsity``, ``strategy``, ``loss`` and ``schedule`` are ordinary
    hyper-parameters, so :class:`~sklearn.model_selection.GridSearchCV`,
    :class:`~sklearn.pipeline.Pipeline`, cross-validation, ``clone`` and pickling
    work as for any scikit-learn estimator.

    Inputs are scaled by nothing: put a :class:`~sklearn.preprocessing.StandardScaler`
    in front of tabular data, as for :class:`~sklearn.neural_network.MLPClassifier`.

    Parameters
    ----------
    module : None, torch.nn.Module subclass or torch.nn.Module, default=None
        The network. ``None`` builds :class:`~sklprune.modules.MLP` from
        ``hidden_layer_sizes``. A class is built inside ``fit`` as
        ``module(n_features=n_features_in_, n_classes=len(classes_),
        **module_kwargs)`` and must return one logit per class. An instance is
        deep-copied at every ``fit`` (it is never trained or pruned in place, so
        cross-validation folds do not leak into one another); its weights are the
        starting point of every fit.
    module_kwargs : dict or None, default=None
        Extra constructor arguments for ``module`` (or for the default MLP, e.g.
        ``{"dropout": 0.1}``).
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Hidden widths of the default MLP.
    sparsity : float, default=0.9
        Final fraction of prunable weights that are zero, in [0, 1). 0 trains a
        dense network.
    strategy : {"auto", "magnitude", "gradient", "fisher", "random"} or \
PruningStrategy, default="auto"
        Importance criterion; see :mod:`sklprune.strategies`. ``"auto"`` is
        ``"fisher"`` for inputs of fewer than 50 features and ``"magnitude"`` for
        wider ones (text, pixels), as measured over the data sets of
        ``benchmarks/bench_tradeoff.py``; the choice is in ``strategy_``. See
        :ref:`strategies` for when to choose another.
    granularity : {"weight", "neuron"}, default="weight"
        Prune single weights, or whole hidden units.
    scope : {"lamp", "global", "layer"}, default="lamp"
        One threshold over layer-normalised scores (LAMP), over raw scores, or
        every layer to ``sparsity``; see :class:`~sklprune.PruningCallback`.
    schedule : {"polynomial", "iterative", "one_shot"} or callable, \
default="polynomial"
        How sparsity grows over the pruning epochs.
    loss : {"cross_entropy", "mse", "focal", "label_smoothing"}, torch loss or \
callable, default="cross_entropy"
        Training loss; also the loss whose gradients the ``"gradient"`` and
        ``"fisher"`` strategies use. With ``sample_weight`` or ``class_weight`` it
        is the weighted mean of the per-sample losses of every mini-batch: the
        named losses do this; a torch loss needs a ``reduction`` setting, a module
        or function of your own a ``sample_weight`` keyword.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, ``{class_label: weight}``, multiplying
        ``sample_weight``. ``"balanced"`` weighs each class by ``n_samples /
        (n_classes * n_samples_of_class)``, as
        :func:`~sklearn.utils.class_weight.compute_class_weight` does.
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
        ``"adam"`` and ``"adamw"`` are :class:`~sklprune.optim.LazyAdam` and
        :class:`~sklprune.optim.LazyAdamW`: torch's Adam and AdamW on dense data;
        on scipy.sparse data the first layer of a module with
        ``accepts_sparse_input = True`` (the default MLP) gets a sparse gradient
        over the input columns a batch touches and a lazy update of those
        columns only, so an epoch costs time in proportion to the non-zeros of
        ``X``. ``"sgd"`` uses Nesterov momentum 0.9. A class is used as given
        (with dense gradients).
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=1e-4
        L2 penalty (decoupled for ``"adamw"``). Under the lazy update of sparse
        input it applies to the touched input columns of each batch only.
    batch_size : int, default=64
        Mini-batch size (clipped to the number of samples).
    max_epochs : int or "auto", default="auto"
        Total training epochs, pruning and fine-tuning included. ``"auto"``
        follows the target: 40 epochs up to 8x compression (``sparsity`` 0.875),
        10 more per doubling of the compression ratio, at most 60 (43 at 0.9, 50
        at 16x, 60 from 32x on): at most 1.5 times the epochs of a 40-epoch fit;
        see :ref:`strategies` for the measured price.
    finetune_epochs : int or "auto", default="auto"
        Epochs at the final sparsity after the schedule ends; the schedule runs over
        epochs ``1 .. max_epochs - finetune_epochs``. ``"auto"`` is a quarter of
        ``max_epochs``, rounded down (10 of 40; 0 below 4 epochs). An int must be
        smaller than ``max_epochs``, unless ``sparsity`` is 0 (nothing to prune).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop fine-tuning
        when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, keeping the best weights. The pruning schedule
        itself always runs to the end.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping`` is on.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Minimum improvement of the validation loss for early stopping.
    compact : bool, default=False
        After training, remove the pruned hidden units with :func:`~sklprune.compact`,
        so ``module_`` is smaller and faster with the same predictions (use it with
        ``granularity="neuron"``: single pruned weights free no unit). A module
        that compaction cannot follow is refused before training starts. A
        compacted classifier cannot be trained further: fit it again instead. It
        pickles like any other; with :mod:`skops.io`, list the types a file needs
        with ``skops.io.get_untrusted_types(file=path)``, check that they are
        sklprune's and torch's layer classes, and pass that list as ``trusted=`` to
        ``skops.io.load``.
    device : str, default="cpu"
        Torch device to train on, e.g. ``"cuda"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, random pruning and the validation
        split. The global torch generator is left untouched.
    verbose : int, default=0
        1 prints skorch's epoch table, 2 also shows a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net (its callbacks include the pruning callback).
    module_ : torch.nn.Module
        The trained network; pruned weights are exact zeros, or, with
        ``compact=True``, the compacted network without its pruned hidden units.
    history_ : skorch.History
        Per-epoch log: losses, ``sparsity``, ``sparsity_target``, ``event_prune``.
    sparsity_ : float
        Achieved fraction of zeros over the pruned weights, as the pruning callback
        logs it (under ``granularity="neuron"`` the output layer is not pruned and
        not counted). With ``compact=True``, measured before compaction.
    n_parameters_ : int
        Number of parameters of ``module_`` (all of them, biases included).
    n_nonzero_ : int
        Number of non-zero parameters of ``module_``.
    n_iter_ : int
        Number of epochs run.
    finetune_epochs_ : int
        Fine-tuning epochs after the schedule: ``finetune_epochs`` resolved.
    strategy_ : str or PruningStrategy
        The strategy the weights were pruned by: ``strategy``, ``"auto"``
        resolved for ``n_features_in_``.

    See Also
    --------
    PruningCallback : The pruning engine, for a skorch net of your own.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pruned = PrunedClassifier(sparsity=0.9, max_epochs=20, random_state=0)
    >>> clf = make_pipeline(StandardScaler(), pruned)
    >>> bool(cross_val_score(clf, X, y, cv=3).mean() > 0.9)
    True
    >>> round(clf.fit(X, y)[-1].sparsity_, 2)
    0.9
    """

    _parameter_constraints = {
        "module": [None, type, nn.Module],
        "module_kwargs": [None, dict],
        "hidden_layer_sizes": ["array-like"],
        "sparsity": [Interval(numbers.Real, 0, 1, closed="left")],
        "strategy": [StrOptions({"auto", *STRATEGIES}), PruningStrategy, callable],
        "granularity": [StrOptions({"weight", "neuron"})],
        "scope": [StrOptions({"global", "lamp", "layer"})],
        "schedule": [StrOptions(set(SCHEDULES)), callable],
        "loss": [StrOptions(set(LOSSES)), nn.Module, callable],
        "class_weight": [dict, StrOptions({"balanced"}), None],
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
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        module=_DEFAULTS["module"],
        module_kwargs=_DEFAULTS["module_kwargs"],
        hidden_layer_sizes=_DEFAULTS["hidden_layer_sizes"],
        sparsity=_DEFAULTS["sparsity"],
        strategy=_DEFAULTS["strategy"],
        granularity=_DEFAULTS["granularity"],
        scope=_DEFAULTS["scope"],
        schedule=_DEFAULTS["schedule"],
        loss=_DEFAULTS["loss"],
        class_weight=_DEFAULTS["class_weight"],
        optimizer=_DEFAULTS["optimizer"],
        lr=_DEFAULTS["lr"],
        weight_decay=_DEFAULTS["weight_decay"],
        batch_size=_DEFAULTS["batch_size"],
        max_epochs=_DEFAULTS["max_epochs"],
        finetune_epochs=_DEFAULTS["finetune_epochs"],
        early_stopping=_DEFAULTS["early_stopping"],
        validation_fraction=_DEFAULTS["validation_fraction"],
        n_iter_no_change=_DEFAULTS["n_iter_no_change"],
        tol=_DEFAULTS["tol"],
        compact=_DEFAULTS["compact"],
        device=_DEFAULTS["device"],
        random_state=_DEFAULTS["random_state"],
        verbose=_DEFAULTS["verbose"],
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.sparsity = sparsity
        self.strategy = strategy
        self.granularity = granularity
        self.scope = scope
        self.schedule = schedule
        self.loss = loss
        self.class_weight = class_weight
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train and prune the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input stays sparse: each mini-batch is a torch
            sparse tensor for a module with ``accepts_sparse_input = True`` (the
            default MLP), densified one mini-batch at a time for any other.
        y : array-like of shape (n_samples,)
            Class labels (strings, integers or booleans).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every sample in the loss (times its class
            weight). Mini-batch training makes a weight of 2 close to, not the same
            as, a sample repeated twice. Equal weights train exactly as none.

        Returns
        -------
        self : PrunedClassifier
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"), dtype=np.float32)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "PrunedClassifier needs samples of at least 2 classes in the data; "
                f"got 1 class: {self.classes_[0]!r}."
            )
        y_encoded = encoder.transform(y).astype(np.int64)
        weights = training_weights(X, y, sample_weight, self.class_weight)
        self._finetune_epochs()  # checks it against max_epochs, early
        if sp.issparse(X):
            X = sp.csr_matrix(X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        with seeded_torch(seed, self.device):
            module = self._build_module(X, len(self.classes_))
            if self.compact:
                compact(module)  # refuse a module compaction cannot follow, early
            net = self._build_net(module, len(self.classes_))
            if weights is not None and not supports_sample_weight(net.criterion):
                raise TypeError(
                    f"The loss {self.loss!r} cannot weight samples, as sample_weight "
                    "and class_weight need: give it a sample_weight keyword (a "
                    "module's forward or a function), or use a named loss."
                )
            train, valid = self._split(
                X, y_encoded, weights, rng, self._dataset_kwargs(module)
            )
            if valid is not None:
                net.set_params(train_split=predefined_split(valid))
            net.fit(train, None)
            self._torch_rng_state_ = torch.get_rng_state().numpy()
        _raise_if_interrupted(net)
        self._set_fitted_attributes(net)
        if self.compact:
            self.module_ = net.module_ = compact(net.module_)
        self._set_size_attributes()
        self._inference = InferenceCache()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one pass over ``X``: one epoch of the pruning schedule.

        For data that do not fit in memory at once: call it on one chunk after
        another (out-of-core learning), as for
        :class:`~sklearn.linear_model.SGDClassifier`. The first call builds the
        network and needs ``classes``; later calls continue training it (after
        ``fit`` too) and refuse labels outside ``classes_``.

        Every call counts as one epoch of the pruning schedule: the schedule
        prunes at the end of calls ``1 .. max_epochs - finetune_epochs``, so
        after ``max_epochs - finetune_epochs`` calls the target ``sparsity``
        holds, and later calls train at that sparsity. ``max_epochs`` does not
        limit the number of calls. With the same data and ``random_state``,
        ``max_epochs`` calls give the network that ``fit`` gives. With
        ``finetune_epochs="auto"``, the fine-tuning epochs are resolved as in
        ``fit`` (``finetune_epochs_``).
        ``early_stopping`` is not used; ``compact=True`` (call
        :func:`~sklprune.compact` on ``module_`` when training is over) and
        ``class_weight="balanced"`` (one chunk does not show the class
        frequencies; pass a dict) are refused.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training data.
        y : array-like of shape (n_samples,)
            Its class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class label of the whole stream. Required on the first call;
            may be omitted later, and must then be the same.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every sample of the chunk in the loss (times its
            class weight), as for ``fit``.

        Returns
        -------
        self : PrunedClassifier
            The classifier, trained one more epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sklprune import PrunedClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = PrunedClassifier(sparsity=0.5, max_epochs=4, finetune_epochs=1,
        ...                        lr=0.01, random_state=0)
        >>> for chunk in np.array_split(np.random.RandomState(0).permutation(150), 3):
        ...     clf = clf.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        >>> clf.n_iter_, round(clf.sparsity_, 2)
        (3, 0.5)
        """
        first_call = not hasattr(self, "net_")
        if self.compact:
            raise ValueError(
                "compact=True cannot be used with partial_fit: a compacted network "
                "cannot be trained further. Set compact=False and call "
                "sklprune.compact(clf.module_) when training is over."
            )
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' cannot be used with partial_fit: one chunk "
                "does not show the class frequencies of the stream. Pass a dict, "
                "e.g. from sklearn.utils.class_weight.compute_class_weight on all "
                "labels."
            )
        X, y = validate_data(
            self, X, y, accept_sparse=("csr", "csc"), dtype=np.float32,
            reset=first_call,
        )
        check_classification_targets(y)
        y_encoded = self._encode_partial(y, classes, first_call)
        if sp.issparse(X):
            X = sp.csr_matrix(X)
        if first_call:
            self._finetune_epochs()  # checks it against max_epochs
            rng = check_random_state(self.random_state)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            with seeded_torch(seed, self.device):
                module = self._build_module(X, len(self.classes_))
                net = self._build_net(module, len(self.classes_), early_stopping=False)
                self._torch_rng_state_ = torch.get_rng_state().numpy()
        else:
            net = self.net_
            module = net.module_
        epochs = 0 if first_call else len(net.history)
        with TORCH_RNG_LOCK, torch.random.fork_rng(devices=[]):
            torch.set_rng_state(torch.from_numpy(self._torch_rng_state_))
            weights = training_weights(X, y, sample_weight, self.class_weight)
            if weights is not None and not supports_sample_weight(net.criterion):
                raise TypeError(
                    f"The loss {self.loss!r} cannot weight samples, as sample_weight "
                    "and class_weight need: give it a sample_weight keyword."
                )
            dataset_kwargs = self._dataset_kwargs(module)
            train = make_dataset(X, y_encoded, weights, **dataset_kwargs)
            net.partial_fit(train, None, epochs=1)
            self._torch_rng_state_ = torch.get_rng_state().numpy()
        if len(net.history) != epochs + 1 or "sparsity" not in net.history[-1]:
            raise KeyboardInterrupt("Training was interrupted during partial_fit.")
        self._set_fitted_attributes(net)
        self._set_size_attributes()
        self._inference = InferenceCache()
        return self

    def _encode_partial(self, y, classes, first_call):
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: the "
                    "network needs one output per class of the whole stream, e.g. "
                    "classes=np.unique(y_all)."
                )
            self.classes_ = np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    "PrunedClassifier needs at least 2 classes; got classes="
                    f"{self.classes_.tolist()}."
                )
        elif classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), self.classes_
        ):
            raise ValueError(
                f"classes={np.unique(classes).tolist()} differs from classes_="
                f"{self.classes_.tolist()} of the first call; pass the same classes "
                "or none."
            )
        unseen = np.setdiff1d(y, self.classes_)
        if len(unseen):
            raise ValueError(
                f"y holds labels {unseen.tolist()} that are not in classes_="
                f"{self.classes_.tolist()}; pass every label of the stream as classes "
                "on the first call."
            )
        return np.searchsorted(self.classes_, y).astype(np.int64)

    def _set_fitted_attributes(self, net):
        contiguous_parameters_(net.module_)  # LazyAdam stores some column-major
        self.net_ = net
        self.module_ = net.module_
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        self.finetune_epochs_ = self._finetune_epochs()
        self.strategy_ = resolve_strategy(self.strategy, self.n_features_in_)
        self.sparsity_ = float(net.history[-1, "sparsity"])

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = validated_input(self, X)
        if "_inference" not in self.__dict__:  # dropped from pickles
            self._inference = InferenceCache()
        proba = self._inference.logits(self.module_, X, _module_device(self.module_))
        proba = proba.astype(np.float64)
        proba -= proba.max(axis=1, keepdims=True)
        np.exp(proba, out=proba)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)  # checks that the classifier is fitted
        return self.classes_[proba.argmax(axis=1)]

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
        if "module_" in state:
            device = self.device if _device_available(self.device) else "cpu"
            self.module_ = module_from_state(state["module_"], device)
            self.history_ = History(state["history_"])
            self.net_ = self._build_net(self.module_, len(self.classes_))
            self.net_.set_params(device=device).initialize()
            self.net_.history = self.history_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ---------------------------------------------------------------- building

    def _module_kwargs(self):
        kwargs = dict(self.module_kwargs or {})
        if self.module is None:
            kwargs.setdefault("hidden_layer_sizes", tuple(self.hidden_layer_sizes))
        return kwargs

    def _build_module(self, X, n_classes):
        if self.module is None or isinstance(self.module, type):
            factory = MLP if self.module is None else self.module
            try:
                module = factory(
                    n_features=X.shape[1], n_classes=n_classes, **self._module_kwargs()
                )
            except TypeError as exc:
                raise TypeError(
                    f"Could not build {factory.__name__}(n_features=..., "
                    f"n_classes=..., **module_kwargs): {exc}. A module class must "
                    "accept the keyword "
                    "arguments n_features and n_classes."
                ) from exc
        else:
            module = copy.deepcopy(self.module)
        module = module.to(self.device)
        self._check_output_shape(module, X, n_classes)
        find_targets(module)  # a module without prunable layers fails here, early
        return module

    def _check_output_shape(self, module, X, n_classes):
        probe = dense_rows(X, slice(0, 2)).to(self.device)
        with torch.no_grad():
            try:
                out = module.eval()(probe)
            except Exception as exc:
                raise ValueError(
                    f"The module failed on input of shape {tuple(probe.shape)} "
                    f"({X.shape[1]} features): {exc}"
                ) from exc
            finally:
                module.train()
        if tuple(out.shape) != (probe.shape[0], n_classes):
            raise ValueError(
                f"The module returns output of shape {tuple(out.shape)} for "
                f"{probe.shape[0]} samples, but the data has {n_classes} classes: it "
                f"must return one logit per class, shape ({probe.shape[0]}, "
                f"{n_classes})."
            )

    def _max_epochs(self):
        return resolve_max_epochs(self.max_epochs, self.sparsity)

    def _finetune_epochs(self):
        return resolve_finetune_epochs(
            self.finetune_epochs, self._max_epochs(), self.sparsity
        )

    def _build_net(self, module, n_classes, early_stopping=None):
        # Where the module is: self.device, or the CPU for a model trained on a GPU
        # and loaded on a machine without one.
        device = _module_device(module)
        end_epoch = self._max_epochs() - self._finetune_epochs()
        callbacks = [
            (
                "prune",
                PruningCallback(
                    sparsity=float(self.sparsity),
                    strategy=resolve_strategy(self.strategy, self.n_features_in_),
                    scope=self.scope,
                    granularity=self.granularity,
                    schedule=self.schedule,
                    start_epoch=1,
                    end_epoch=end_epoch,
                ),
            )
        ]
        if self.early_stopping if early_stopping is None else early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    _FinetuneEarlyStopping(
                        after_epoch=end_epoch,
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="abs",
                        load_best=True,
                    ),
                )
            )
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        optimizer_kwargs = {"optimizer__weight_decay": self.weight_decay}
        if optimizer is torch.optim.SGD:
            optimizer_kwargs.update(optimizer__momentum=0.9, optimizer__nesterov=True)
        elif optimizer in (torch.optim.Adam, torch.optim.AdamW, LazyAdam, LazyAdamW):
            # One fused kernel per step instead of a loop of small ones; see
            # benchmarks/bench_callback.py for its effect on training time.
            optimizer_kwargs["optimizer__fused"] = _fused_supported(device)
        return WeightedNeuralNetClassifier(
            module,
            criterion=get_loss(self.loss),
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self._max_epochs(),
            batch_size=self.batch_size,
            iterator_train=BatchIterator,
            iterator_train__shuffle=True,
            iterator_valid=BatchIterator,
            dataset=ArrayDataset,
            **{f"dataset__{k}": v for k, v in self._dataset_kwargs(module).items()},
            train_split=None,
            classes=list(range(n_classes)),
            predict_nonlinearity=softmax,
            callbacks=callbacks,
            device=device,
            verbose=self.verbose,
            **optimizer_kwargs,
        )

    def _dataset_kwargs(self, module):
        keep_sparse = accepts_sparse_input(module)
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        sparse_grad = keep_sparse and optimizer in (LazyAdam, LazyAdamW)
        return {"keep_sparse": keep_sparse, "sparse_grad": sparse_grad}

    def _split(self, X, y, weights, rng, dataset_kwargs):
        if not self.early_stopping:
            return make_dataset(X, y, weights, **dataset_kwargs), None
        stratify = y if np.bincount(y).min() >= 2 else None
        arrays = (X, y) if weights is None else (X, y, weights)
        parts = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=stratify,
        )
        train, valid = parts[0::2], parts[1::2]
        if weights is None:
            train, valid = (*train, None), (*valid, None)
        return (
            make_dataset(*train, **dataset_kwargs),
            make_dataset(*valid, **dataset_kwargs),
        )

    def _set_size_attributes(self):
        params = list(self.module_.parameters())
        self.n_parameters_ = int(sum(p.numel() for p in params))
        self.n_nonzero_ = int(sum(int(torch.count_nonzero(p)) for p in params))


class _FinetuneEarlyStopping(EarlyStopping):
    """skorch's EarlyStopping, counting only epochs after the pruning schedule."""

    def __init__(self, after_epoch=0, **kwargs):
        super().__init__(**kwargs)
        self.after_epoch = after_epoch

    def initialize(self):
        super().initialize()
        self.stopped_ = False
        return self

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) > self.after_epoch:
            try:
                super().on_epoch_end(net, **kwargs)
            except KeyboardInterrupt:  # skorch stops training by raising it
                self.stopped_ = True
                raise


def _raise_if_interrupted(net):
    """skorch swallows Ctrl-C and returns a half-trained net; fit must not."""
    early_stopped = any(getattr(cb, "stopped_", False) for _, cb in net.callbacks_)
    finished = len(net.history) == net.max_epochs or early_stopped
    last_epoch_complete = len(net.history) > 0 and "sparsity" in net.history[-1]
    if not (finished and last_epoch_complete):
        raise KeyboardInterrupt(
            f"Training was interrupted after {len(net.history)} of {net.max_epochs} "
            "epochs; the classifier was not fitted."
        )


@functools.cache
def _fused_supported(device):
    probe = torch.zeros(1, device=device, requires_grad=True)
    try:
        torch.optim.Adam([probe], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def _module_device(module):
    return next(module.parameters()).device


def _device_available(device):
    return not str(device).startswith("cuda") or torch.cuda.is_available()


def softmax(logits):
    """Softmax over classes, the prediction non-linearity of the skorch net."""
    return logits.softmax(dim=-1)
