"""PrunedClassifier: a scikit-learn classifier that trains a pruned network.

What is about classes lives here: the labels and ``classes_``, class weights, the
classification loss and the predictions. The network, its training and pruning,
the fast prediction path and pickling are the shared core of
:mod:`sklprune._estimator`.
"""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from torch import nn

from ._defaults import ESTIMATOR_DEFAULTS as _DEFAULTS
from ._estimator import BasePrunedEstimator
from ._training.weighting import WeightedNeuralNetClassifier, training_weights
from .losses import LOSSES, get_loss


class PrunedClassifier(ClassifierMixin, BasePrunedEstimator):
    """A neural-network classifier pruned while it trains.

    Builds a network (a default MLP, or a module class of your own), trains it with
    skorch and a :class:`~sklprune.PruningCallback`, and predicts through the
    network's fast inference form (:func:`~sklprune.to_inference`: dead units
    removed), which computes what ``module_`` computes: run by ONNX Runtime when
    it is installed (see ``engine``), else by torch, built at the first
    prediction, with sparse products in the ``Linear`` layers with at most 15% of
    their weights non-zero (a fixed density rather than a timing, so the same
    weights always take the same kernels).
    ``sparsity``, ``strategy``, ``loss`` and ``schedule`` are ordinary
    hyper-parameters, so :class:`~sklearn.model_selection.GridSearchCV`,
    :class:`~sklearn.pipeline.Pipeline`, cross-validation, ``clone`` and pickling
    work as for any scikit-learn estimator.

    Inputs are scaled by nothing: put a :class:`~sklearn.preprocessing.StandardScaler`
    in front of tabular data, as for :class:`~sklearn.neural_network.MLPClassifier`.

    Parameters
    ----------
    module : None, torch.nn.Module subclass, torch.nn.Module, fitted \
MLPClassifier or fitted skorch net, default=None
        The network. ``None`` builds :class:`~sklprune.modules.MLP` from
        ``hidden_layer_sizes``. A class is built inside ``fit`` as
        ``module(n_features=n_features_in_, n_classes=len(classes_),
        **module_kwargs)`` and must return one logit per class. An instance is
        deep-copied at every ``fit`` (it is never trained or pruned in place, so
        cross-validation folds do not leak into one another); its weights are the
        starting point of every fit. A fitted
        :class:`~sklearn.neural_network.MLPClassifier` or skorch net is a trained
        network to prune: its weights start every fit (the MLP's as
        :meth:`MLP.from_sklearn <sklprune.modules.MLP.from_sklearn>` converts
        them, a net's ``module_``), and the network predicts what the model
        predicts until training changes it; its classes must be those of ``y``
        and it must take the columns of ``X``. It is never changed, clones share
        it, and it gets a short budget (``max_epochs``). To search over several,
        wrap each in :class:`~sklearn.frozen.FrozenEstimator`. See
        :ref:`pretrained`.
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
        Prune single weights, or whole hidden units, by groups of coupled units;
        see :class:`~sklprune.PruningCallback`.
    scope : {"lamp", "global", "layer"}, default="lamp"
        One threshold over layer-normalised scores (LAMP), over raw scores, or
        every layer to ``sparsity``; see :class:`~sklprune.PruningCallback`.
    budget : {"parameters", "macs"}, default="parameters"
        What ``sparsity`` counts: the prunable weights, or the multiply-adds of a
        forward pass through their layers (``granularity="neuron"`` only).
    group_reduction : {"sum", "mean", "max"}, default="sum"
        How the scores of the members of a group of coupled units make its score;
        see :class:`~sklprune.PruningCallback`.
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
        see :ref:`strategies` for the measured price. A fit that starts from a
        fitted model given as ``module`` prunes a network that already fits the
        data and gets a quarter of that, rounded down (10 epochs at 0.9, 15 from
        32x on); a module instance gets the full budget, as its weights may be
        fresh ones. See :ref:`pretrained`.
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
    engine : {"auto", "torch", "onnxruntime"}, default="auto"
        What computes ``predict`` and ``predict_proba``, chosen at the end of
        ``fit`` (the choice is in ``engine_``, why in ``engine_reason_``).
        ``"onnxruntime"`` runs the network's ONNX graph (its fast inference
        form, dense) in ONNX Runtime on one intra-op thread; ``"torch"`` runs
        torch's fast inference form with torch's thread setting. ``"auto"``
        picks ONNX Runtime when it is installed (``pip install sklprune[onnx]``),
        the network is on the CPU and is a chain of layers written to ONNX
        directly (the default MLP), and its outputs on the first training rows
        agree with torch's; it was faster at batch 1 and 4,096, dense, weight-
        sparse and compacted, in ``benchmarks/bench_predict_engine.py``. Under
        ``"auto"``, scipy.sparse input still goes to torch, whose sparse first
        layer skips the zeros. ``"onnxruntime"`` also exports a module class of
        your own with :func:`torch.onnx.export` (about a second), and makes
        sparse input dense a few rows at a time. When ONNX Runtime cannot
        predict, torch does (with a warning when ``"onnxruntime"`` was asked).
        A pickled classifier stores no session: it is rebuilt on first use.
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
        Per-epoch log: losses, ``sparsity``, ``macs_sparsity``,
        ``sparsity_target``, ``event_prune``.
    sparsity_ : float
        Achieved fraction of zeros over the prunable weights, as the pruning
        callback logs it. With ``compact=True``, measured before compaction.
    macs_sparsity_ : float
        Achieved fraction of the prunable layers' multiply-adds that pruning removed.
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
    engine_ : {"torch", "onnxruntime"}
        The engine that predicts: ``engine`` resolved.
    engine_reason_ : str
        Why: the reason ONNX Runtime was chosen, or why torch predicts instead
        (onnxruntime not installed, a module that cannot be exported, ...).

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
    >>> clf[-1].engine_  # with the onnx extra installed
    'onnxruntime'
    """

    _net_class = WeightedNeuralNetClassifier
    _outputs_keyword = "n_classes"

    _parameter_constraints = {
        **BasePrunedEstimator._parameter_constraints,
        "loss": [StrOptions(set(LOSSES)), nn.Module, callable],
        "class_weight": [dict, StrOptions({"balanced"}), None],
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
        budget=_DEFAULTS["budget"],
        group_reduction=_DEFAULTS["group_reduction"],
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
        engine=_DEFAULTS["engine"],
        device=_DEFAULTS["device"],
        random_state=_DEFAULTS["random_state"],
        verbose=_DEFAULTS["verbose"],
    ):
        super().__init__(
            module=module,
            module_kwargs=module_kwargs,
            hidden_layer_sizes=hidden_layer_sizes,
            sparsity=sparsity,
            strategy=strategy,
            granularity=granularity,
            scope=scope,
            budget=budget,
            group_reduction=group_reduction,
            schedule=schedule,
            loss=loss,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            finetune_epochs=finetune_epochs,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            compact=compact,
            engine=engine,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

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
        return self._fit(X, y, sample_weight)

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
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self._network_outputs(X).astype(np.float64)
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

    # ----------------------------------------------------------------- classes

    def _encode_targets(self, y):
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "PrunedClassifier needs samples of at least 2 classes in the data; "
                f"got 1 class: {self.classes_[0]!r}."
            )
        return encoder.transform(y).astype(np.int64)

    def _encode_stream_targets(self, y, first_call, classes=None):
        check_classification_targets(y)
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

    def _n_outputs(self):
        return len(self.classes_)

    def _describe_outputs(self, n_outputs):
        return f"the data has {n_outputs} classes: it must return one logit per class"

    def _criterion(self):
        return get_loss(self.loss)

    def _net_kwargs(self, n_outputs):
        return {"classes": list(range(n_outputs)), "predict_nonlinearity": softmax}

    def _training_weights(self, X, y, sample_weight):
        return training_weights(X, y, sample_weight, self.class_weight)

    def _stratify(self, y):
        return y if np.bincount(y).min() >= 2 else None

    def _check_partial_fit_params(self):
        super()._check_partial_fit_params()
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' cannot be used with partial_fit: one chunk "
                "does not show the class frequencies of the stream. Pass a dict, "
                "e.g. from sklearn.utils.class_weight.compute_class_weight on all "
                "labels."
            )


def softmax(logits):
    """Softmax over classes, the prediction non-linearity of the skorch net."""
    return logits.softmax(dim=-1)
