"""The network a fit starts from when ``module`` is a trained model or an instance.

A fitted :class:`~sklearn.neural_network.MLPClassifier` or
:class:`~sklearn.neural_network.MLPRegressor` becomes the
:class:`~sklprune.modules.MLP` that computes what it computes; a fitted skorch net
gives a copy of its ``module_``, its outputs turned into logits where the net
trains on probabilities or on one binary logit; a torch module instance is copied.
A fitted model may come wrapped in :class:`~sklearn.frozen.FrozenEstimator`, which
a grid search over several of them needs (it clones the values it tries).
Nothing given is trained or pruned in place.
"""

import copy

import numpy as np
import torch
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.neural_network import MLPClassifier, MLPRegressor
from skorch import NeuralNet, NeuralNetBinaryClassifier
from torch import nn

from ..compaction._graph import trace
from ..modules import MLP, BinaryLogits, LogProbabilities

# The fitted models ``module`` accepts: their weights are trained.
TRAINED_MODELS = (MLPClassifier, MLPRegressor, NeuralNet, FrozenEstimator)


def is_trained_model(module):
    """Whether ``module`` is a fitted model whose weights a fit starts from.

    A torch module instance is not: it may hold trained weights or fresh ones.

    Examples
    --------
    >>> from sklearn.neural_network import MLPRegressor
    >>> from torch import nn
    >>> from sklprune._training.pretrained import is_trained_model
    >>> is_trained_model(MLPRegressor()), is_trained_model(nn.Linear(2, 1))
    (True, False)
    """
    return isinstance(module, TRAINED_MODELS)


def share_trained_module(estimator, new):
    """``new``, a clone of ``estimator``, with the fitted model of ``module`` shared.

    A fitted model given as ``module`` is only read (every fit copies its weights
    into a new network), so clones share it: cloned as an estimator, it would
    be an unfitted one. For the ``__sklearn_clone__`` of the estimators.
    """
    if is_trained_model(getattr(estimator, "module", None)):
        new.module = estimator.module
    return new


def starting_module(model, estimator, n_features):
    """A new torch module with the weights of ``model``, for ``estimator`` to train.

    Parameters
    ----------
    model : torch.nn.Module, MLPClassifier, MLPRegressor, skorch.NeuralNet or \
FrozenEstimator
        The ``module`` parameter, not a class.
    estimator : BasePrunedEstimator
        The estimator being fitted; its task, ``classes_`` and
        ``feature_names_in_`` are checked against a fitted MLP's, and its
        ``_trained_outputs_transform`` maps a fitted model's outputs to the units
        the network trains in (the regressor's standardised targets).
    n_features : int
        The number of columns of ``X``.

    Returns
    -------
    module : torch.nn.Module
    """
    if isinstance(model, nn.Module):
        return copy.deepcopy(model)
    if isinstance(model, FrozenEstimator):
        model = model.estimator
        if not isinstance(model, TRAINED_MODELS[:-1]):
            raise TypeError(
                f"module=FrozenEstimator({type(model).__name__}(...)): expected a "
                "fitted MLPClassifier, MLPRegressor or skorch net inside."
            )
    if isinstance(model, NeuralNet):
        module, out_activation = _skorch_module(model, estimator), "identity"
    else:
        module = _sklearn_module(model, estimator, n_features)
        out_activation = model.out_activation_
    transform = estimator._trained_outputs_transform(out_activation)
    if transform is not None:
        rescale_outputs(module, *transform)
    return module


def rescale_outputs(module, shift, scale):
    """Make ``module`` compute ``(module(x) - shift) / scale``, in place.

    The shift and scale are folded into the weight and bias of the ``Linear``
    layer whose output is the module's output, so the module keeps its layers.

    Parameters
    ----------
    module : torch.nn.Module
    shift, scale : array-like of shape (n_outputs,)

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune._training.pretrained import rescale_outputs
    >>> module = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> x = torch.randn(5, 3)
    >>> before = module(x)
    >>> rescale_outputs(module, [1.0, -2.0], [2.0, 4.0])
    >>> torch.allclose(module(x), (before - torch.tensor([1.0, -2.0])) / torch.tensor(
    ...     [2.0, 4.0]), atol=1e-6)
    True
    """
    layer = _output_linear(module)
    if layer is None or layer.bias is None:
        raise ValueError(
            f"The output of {type(module).__name__} is not computed by a Linear "
            "layer with a bias, so its outputs cannot be rescaled to the "
            "standardised targets the regressor trains on. Give a module whose "
            "forward returns the output of a Linear layer."
        )
    like = {"dtype": layer.weight.dtype, "device": layer.weight.device}
    shift, scale = torch.as_tensor(shift, **like), torch.as_tensor(scale, **like)
    with torch.no_grad():
        layer.weight.div_(scale[:, None])
        layer.bias.sub_(shift).div_(scale)


def _output_linear(module):
    """The ``Linear`` layer whose output the module returns, or None."""
    try:
        graph = trace(module).graph
    except ValueError:
        return None
    output = next(node for node in graph.nodes if node.op == "output")
    node = output.args[0]
    if getattr(node, "op", None) != "call_module":
        return None
    layer = module.get_submodule(node.target)
    return layer if isinstance(layer, nn.Linear) else None


def _sklearn_module(mlp, estimator, n_features):
    name = type(mlp).__name__
    if not hasattr(mlp, "coefs_"):
        raise NotFittedError(
            f"module={name}(...) is not fitted: fit it first (its weights are the "
            "starting point), or train from scratch with module=None. A grid "
            "search clones the values it tries: wrap each fitted model in "
            "sklearn.frozen.FrozenEstimator there."
        )
    _check_task(mlp, estimator, name)
    if mlp.n_features_in_ != n_features:
        raise ValueError(
            f"module={name}(...) was fitted on {mlp.n_features_in_} features, but X "
            f"has {n_features}: give X the columns, and the preprocessing, the MLP "
            "was fitted with."
        )
    names = getattr(mlp, "feature_names_in_", None)
    own_names = getattr(estimator, "feature_names_in_", None)
    if names is not None and own_names is not None and list(names) != list(own_names):
        raise ValueError(
            f"module={name}(...) was fitted on the columns {list(names)}, but X has "
            f"{list(own_names)}: give X the same columns in the same order."
        )
    classes = getattr(estimator, "classes_", None)
    if is_classifier(mlp) and not np.array_equal(mlp.classes_, classes):
        raise ValueError(
            f"module={name}(...) was fitted on the classes {mlp.classes_.tolist()}, "
            f"but y has the classes {np.asarray(classes).tolist()}: its outputs "
            "are those classes, so fit on targets with the same labels."
        )
    return MLP.from_sklearn(mlp)


def _skorch_module(net, estimator):
    name = type(net).__name__
    if not getattr(net, "initialized_", False) or not hasattr(net, "module_"):
        raise NotFittedError(
            f"module={name}(...) is not initialized: fit it first (its module_ is "
            "the starting point), or pass its module class as module. A grid "
            "search clones the values it tries: wrap each fitted net in "
            "sklearn.frozen.FrozenEstimator there."
        )
    _check_task(net, estimator, name)
    module = copy.deepcopy(net.module_)
    if isinstance(net, NeuralNetBinaryClassifier):
        return BinaryLogits(module)
    if is_classifier(net) and isinstance(net.criterion_, nn.NLLLoss):
        # skorch's classifier trains a module that returns probabilities on NLLLoss.
        if type(module) is nn.Sequential and isinstance(module[-1], nn.Softmax):
            return nn.Sequential(*list(module)[:-1])
        return LogProbabilities(module)
    return module


def _check_task(model, estimator, name):
    task = estimator.__sklearn_tags__().estimator_type
    other = {"classifier": is_regressor, "regressor": is_classifier}.get(task)
    if other is not None and other(model):
        kind = "regressor" if task == "classifier" else "classifier"
        raise ValueError(
            f"module={name}(...) is a {kind}, but {type(estimator).__name__} is a "
            f"{task}: give it a fitted {task}'s network."
        )
