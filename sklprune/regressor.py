"""PrunedRegressor: a scikit-learn regressor that trains a pruned network.

What is about regression targets lives here: their shape and ``n_outputs_``, the
standardisation the network trains on, the regression loss and the predictions.
The network, its training and pruning, the fast prediction path and pickling are
the shared core of :mod:`sklprune._estimator`, and so are the parameters: the
constructor takes the core's, with the defaults of
:data:`sklprune._defaults.REGRESSOR_DEFAULTS`.
"""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from torch import nn

from ._defaults import REGRESSOR_DEFAULTS
from ._estimator import BasePrunedEstimator
from ._signatures import bind_parameters, keyword_parameters, set_parameters
from ._training.targets import check_regression_targets, target_standardisation
from ._training.weighting import WeightedNeuralNetRegressor
from .losses import REGRESSION_LOSSES, get_loss, has_log_link


class PrunedRegressor(RegressorMixin, BasePrunedEstimator):
    """A neural-network regressor pruned while it trains.

    The regressor twin of :class:`~sklprune.PrunedClassifier`, as
    :class:`~sklearn.neural_network.MLPRegressor` is of ``MLPClassifier``: it
    builds a network (a default MLP, or a module class of your own), trains it
    with skorch and a :class:`~sklprune.PruningCallback`, and predicts through the
    network's fast inference form (:func:`~sklprune.to_inference`), which computes
    what ``module_`` computes. ``y`` may hold one target, shape (n_samples,), or
    several, shape (n_samples, n_outputs); ``predict`` returns the shape ``y``
    had. :meth:`score` is the R² of the predictions.

    The network trains on **standardised targets**: every column of ``y`` minus
    its mean, divided by its standard deviation (weighted by ``sample_weight``),
    kept in ``target_mean_`` and ``target_scale_``; ``predict`` undoes it, so
    predictions are in the units of ``y``. A network trained on raw targets far
    from unit scale (an offset of thousands, or a scale of thousandths) fits
    much worse, and standardising changes little on targets already near unit
    scale. With ``loss="poisson"`` the network outputs the log of the mean, and
    the targets are divided by their mean only. For another transformation of
    the targets (a log), wrap the regressor in
    :class:`~sklearn.compose.TransformedTargetRegressor`.

    Inputs are scaled by nothing: put a :class:`~sklearn.preprocessing.StandardScaler`
    in front of tabular data, as for :class:`~sklearn.neural_network.MLPRegressor`.

    Parameters
    ----------
    module : None, torch.nn.Module subclass, torch.nn.Module, fitted \
MLPRegressor or fitted skorch net, default=None
        The network. ``None`` builds :class:`~sklprune.modules.MLP` from
        ``hidden_layer_sizes``. A class is built inside ``fit`` as
        ``module(n_features=n_features_in_, n_outputs=n_outputs_,
        **module_kwargs)`` and must return one value per target. An instance is
        deep-copied at every ``fit`` (it is never trained or pruned in place); its
        weights are the starting point of every fit. A fitted
        :class:`~sklearn.neural_network.MLPRegressor` or skorch net is a trained
        network to prune: its weights start every fit, with the output layer
        rescaled to the standardised targets, so the network predicts what the
        model predicts until training changes it. It must take the columns of
        ``X``, predict as many targets as ``y`` has, and have a log link (an
        MLPRegressor fitted with ``loss="poisson"``) exactly when ``loss`` has
        one. It is never changed, clones share it, and it gets a short budget
        (``max_epochs``). See :ref:`pretrained`.
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
        wider ones, as for :class:`~sklprune.PrunedClassifier`; the choice is in
        ``strategy_``.
    granularity : {"weight", "neuron"}, default="weight"
        Prune single weights, or whole hidden units: the units that can only be
        removed together as one group, with the input columns that read them; see
        :class:`~sklprune.PruningCallback`.
    scope : {"lamp", "global", "layer"}, default="lamp"
        One threshold over layer-normalised scores (LAMP), over raw scores, or
        every layer to ``sparsity``; see :class:`~sklprune.PruningCallback`.
    budget : {"parameters", "macs"}, default="parameters"
        What ``sparsity`` counts: the prunable weights, or the multiply-adds of a
        forward pass through the prunable layers (``granularity="neuron"`` only).
    group_reduction : {"sum", "mean", "max"}, default="sum"
        How the scores of the members of a group of coupled units make its score;
        see :class:`~sklprune.PruningCallback`.
    schedule : {"polynomial", "iterative", "one_shot"} or callable, \
default="polynomial"
        How sparsity grows over the pruning epochs.
    loss : {"squared_error", "absolute_error", "huber", "poisson"}, torch loss or \
callable, default="squared_error"
        Training loss, on the standardised targets; also the loss whose gradients
        the ``"gradient"`` and ``"fisher"`` strategies use. ``"huber"`` turns
        linear one standard deviation of the target away
        (:class:`~sklprune.losses.HuberLoss`). ``"poisson"``
        (:class:`~sklprune.losses.PoissonLoss`) is for counts and rates: the
        network outputs the log of the mean and ``predict`` returns the mean,
        always positive; ``y`` must be non-negative with a positive sum. A torch
        loss or a function ``(output, target) -> scalar`` gets the network's
        outputs and the standardised targets, both of shape (n_samples,
        n_outputs). With ``sample_weight`` the loss of every mini-batch is the
        weighted mean of the per-sample losses: the named losses do this; a torch
        loss needs a ``reduction`` setting, a module or function of your own a
        ``sample_weight`` keyword.
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
        ``"adam"`` and ``"adamw"`` are :class:`~sklprune.optim.LazyAdam` and
        :class:`~sklprune.optim.LazyAdamW` (a lazy update of the input columns a
        batch touches on scipy.sparse data), ``"sgd"`` uses Nesterov momentum 0.9;
        see :class:`~sklprune.PrunedClassifier`.
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=1e-4
        L2 penalty (decoupled for ``"adamw"``).
    batch_size : int, default=64
        Mini-batch size (clipped to the number of samples).
    max_epochs : int or "auto", default="auto"
        Total training epochs, pruning and fine-tuning included. ``"auto"``
        follows the target: 40 epochs up to 8x compression (``sparsity`` 0.875),
        10 more per doubling of the compression ratio, at most 60; a quarter of
        that, rounded down, from a fitted model given as ``module`` (10 at 0.9).
    finetune_epochs : int or "auto", default="auto"
        Epochs at the final sparsity after the schedule ends. ``"auto"`` is a
        quarter of ``max_epochs``, rounded down. An int must be smaller than
        ``max_epochs``, unless ``sparsity`` is 0.
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
        Minimum improvement of the validation loss (on the standardised targets)
        for early stopping.
    compact : bool, default=False
        After training, remove the pruned hidden units with :func:`~sklprune.compact`
        (use it with ``granularity="neuron"``); see
        :class:`~sklprune.PrunedClassifier`.
    engine : {"auto", "torch", "onnxruntime"}, default="auto"
        What computes ``predict``: ONNX Runtime or torch, chosen at the end of
        ``fit`` (``engine_``, why in ``engine_reason_``); see
        :class:`~sklprune.PrunedClassifier`.
    device : str, default="cpu"
        Torch device to train on, e.g. ``"cuda"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, batch order, random pruning and the validation
        split. The global torch generator is left untouched.
    verbose : int, default=0
        1 prints skorch's epoch table, 2 also shows a progress bar.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    target_mean_ : ndarray of shape (`n_outputs_`,)
        What is subtracted from each target before training and added to the
        network's outputs at ``predict`` (0 with ``loss="poisson"``).
    target_scale_ : ndarray of shape (`n_outputs_`,)
        What each target is divided by before training; ``predict`` multiplies
        by it.
    out_activation_ : {"identity", "exp"}
        What ``predict`` applies to the network's outputs before undoing the
        standardisation: ``"exp"`` for ``loss="poisson"`` (log link). So
        ``predict(X) = out_activation_(module_(X)) * target_scale_ +
        target_mean_``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` is a DataFrame with string column names.
    net_ : skorch.NeuralNetRegressor
        The fitted skorch net (its callbacks include the pruning callback). Its
        ``predict`` returns the network's outputs, in standardised units.
    module_ : torch.nn.Module
        The trained network; pruned weights are exact zeros, or, with
        ``compact=True``, the compacted network without its pruned hidden units.
    history_ : skorch.History
        Per-epoch log: losses, ``sparsity``, ``sparsity_target``, ``event_prune``.
    sparsity_ : float
        Achieved fraction of zeros over the pruned weights, as the pruning callback
        logs it.
    macs_sparsity_ : float
        Achieved fraction of the multiply-adds of one sample's forward pass through
        the prunable layers that pruning removed: what ``sparsity`` asked for under
        ``budget="macs"``.
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
        Why that engine predicts.

    See Also
    --------
    PrunedClassifier : The classifier twin.
    PrunedRegressorCV : Chooses ``sparsity`` by cross-validation.
    sklearn.compose.TransformedTargetRegressor : For a target transformation
        other than standardisation, such as a log.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklprune import PrunedRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> pruned = PrunedRegressor(sparsity=0.9, max_epochs=20, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), pruned)
    >>> bool(cross_val_score(reg, X, y, cv=3).mean() > 0.4)
    True
    >>> round(reg.fit(X, y)[-1].sparsity_, 2)
    0.9
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _net_class = WeightedNeuralNetRegressor
    _outputs_keyword = "n_outputs"
    _y_validation = {"multi_output": True, "y_numeric": True}

    _parameter_constraints = {
        **BasePrunedEstimator._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES)), nn.Module, callable],
    }

    def __init__(self, **params):
        # The core's parameters, with the regressor's defaults (see set_parameters
        # below for the signature scikit-learn reads).
        super().__init__(**bind_parameters(type(self).__name__, params, _PARAMETERS))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train and prune the network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse input stays sparse: each mini-batch is a torch
            sparse tensor for a module with ``accepts_sparse_input = True`` (the
            default MLP), densified one mini-batch at a time for any other.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every sample in the loss and in the
            standardisation of the targets. Equal weights train exactly as none.

        Returns
        -------
        self : PrunedRegressor
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one pass over ``X``: one epoch of the pruning schedule.

        For data that do not fit in memory at once, as for
        :class:`~sklearn.linear_model.SGDRegressor`: call it on one chunk after
        another. Every call counts as one epoch of the pruning schedule, as for
        :meth:`PrunedClassifier.partial_fit <sklprune.PrunedClassifier.partial_fit>`.
        The first call builds the network and standardises the targets of the
        whole stream by the mean and standard deviation of its chunk: make the
        first chunk a fair sample of the stream. Later calls (after ``fit`` too)
        keep that standardisation and need the same number of targets.
        ``early_stopping`` is not used and ``compact=True`` is refused.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of every sample of the chunk in the loss.

        Returns
        -------
        self : PrunedRegressor
            The regressor, trained one more epoch.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import make_regression
        >>> from sklprune import PrunedRegressor
        >>> X, y = make_regression(n_samples=300, n_features=5, random_state=0)
        >>> reg = PrunedRegressor(sparsity=0.5, max_epochs=4, finetune_epochs=1,
        ...                       lr=0.01, random_state=0)
        >>> for chunk in np.array_split(np.arange(300), 3):
        ...     reg = reg.partial_fit(X[chunk], y[chunk])
        >>> reg.n_iter_, round(reg.sparsity_, 2)
        (3, 0.5)
        """
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """Predicted target values.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The shape of the ``y`` the regressor was fitted on.
        """
        outputs = self._network_outputs(X).astype(np.float64)
        if self.out_activation_ == "exp":
            np.exp(outputs, out=outputs)
        y = outputs * self.target_scale_ + self.target_mean_
        return y.ravel() if self._y_ndim == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # ----------------------------------------------------------------- targets

    def _encode_targets(self, y):
        self._y_ndim = np.ndim(y)  # predict returns y's shape
        y = check_regression_targets(y, self._log_link())
        self.n_outputs_ = y.shape[1]
        return y

    def _encode_stream_targets(self, y, first_call):
        if first_call:
            return self._encode_targets(y)
        n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        if n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} targets, but the regressor was trained on "
                f"{self.n_outputs_}: every chunk must have the same targets."
            )
        return check_regression_targets(y, self._log_link())

    def _transform_targets(self, y_encoded, weights, reset):
        if reset:
            log_link = self._log_link()
            self.out_activation_ = "exp" if log_link else "identity"
            self.target_mean_, self.target_scale_ = target_standardisation(
                y_encoded, weights, log_link
            )
        return ((y_encoded - self.target_mean_) / self.target_scale_).astype(np.float32)

    def _log_link(self):
        return has_log_link(self.loss)

    def _trained_outputs_transform(self, out_activation):
        # A fitted MLPRegressor predicts out_activation(z): the network starts
        # from what it predicts, in the standardised units it trains in.
        if out_activation != self.out_activation_:
            raise ValueError(
                f"The fitted model given as module predicts through an "
                f"{out_activation!r} output, but loss={self.loss!r} trains an "
                f"{self.out_activation_!r} one: fit it with loss='poisson' for "
                "loss='poisson' and with a loss without a log link otherwise."
            )
        if out_activation == "exp":  # exp(z - log(scale)) = exp(z) / scale
            return np.log(self.target_scale_), np.ones_like(self.target_scale_)
        return self.target_mean_, self.target_scale_

    def _n_outputs(self):
        return self.n_outputs_

    def _describe_outputs(self, n_outputs):
        return (
            f"y has {n_outputs} target{'s' if n_outputs > 1 else ''}: it must "
            "return one value per target"
        )

    def _criterion(self):
        return get_loss(self.loss, task="regression")

    def _net_kwargs(self, n_outputs):
        return {}


# The core's parameters with the regressor's defaults: get_params, clone, help()
# and the documentation read them from this signature.
_PARAMETERS = keyword_parameters(BasePrunedEstimator, REGRESSOR_DEFAULTS)
set_parameters(PrunedRegressor, _PARAMETERS)
