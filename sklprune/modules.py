"""The default network of :class:`sklprune.PrunedClassifier` and
:class:`sklprune.PrunedRegressor`, built from sizes or from the weights of a fitted
scikit-learn MLP."""

import numpy as np
import torch
from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "logistic": nn.Sigmoid,
}


class MLP(nn.Sequential):
    """A multi-layer perceptron that outputs logits.

    A plain :class:`torch.nn.Sequential` of ``Linear -> activation (-> Dropout)``
    blocks and a final ``Linear``, so it can be pruned, compacted and exported like
    any Sequential.

    The first Linear multiplies torch sparse COO batches directly, so scipy.sparse
    input (TF-IDF) is never densified (``accepts_sparse_input = True``).

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int
        Number of outputs: one logit per class, or one value per regression
        target.
    hidden_layer_sizes : tuple of int, default=(256, 128)
        Width of each hidden layer.
    activation : {"relu", "tanh", "gelu", "logistic", "identity"}, default="relu"
        Non-linearity after each hidden layer.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.

    Examples
    --------
    >>> from sklprune.modules import MLP
    >>> mlp = MLP(4, 3, hidden_layer_sizes=(8,))
    >>> mlp[:-1]
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
    )
    >>> mlp
    MLP(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=3, bias=True)
    )
    """

    accepts_sparse_input = True

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_layer_sizes=(256, 128),
        activation="relu",
        dropout=0.0,
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}."
            )
        layers = []
        width = n_features
        for size in hidden_layer_sizes:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        super().__init__(*layers)

    @classmethod
    def from_sklearn(cls, mlp):
        """The network a fitted scikit-learn MLP computes, with its weights.

        The hidden layers and their activation are the MLP's; the output layer
        returns what :class:`~sklprune.PrunedClassifier` and the regressor read:
        class logits whose softmax is ``mlp.predict_proba`` (for a two-class
        :class:`~sklearn.neural_network.MLPClassifier`, whose single output ``z``
        goes through the logistic function, the two logits ``-z/2`` and ``z/2``,
        whose softmax is the same pair of probabilities), or the predictions of an
        :class:`~sklearn.neural_network.MLPRegressor`, one column per output (for
        ``loss="poisson"``, their log: its output activation is ``exp``). Up to
        float32 rounding, the module computes what the MLP computes.

        Parameters
        ----------
        mlp : MLPClassifier or MLPRegressor
            A fitted MLP: its ``coefs_``, ``intercepts_``, ``activation`` and
            ``out_activation_`` are read. A multilabel classifier (one logistic
            output per label) is refused.

        Returns
        -------
        module : MLP
            A new module, float32, on the CPU.

        Examples
        --------
        >>> import numpy as np, torch
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.neural_network import MLPClassifier
        >>> from sklprune.modules import MLP
        >>> X, y = load_iris(return_X_y=True)
        >>> mlp = MLPClassifier((8,), solver="lbfgs", max_iter=1000, random_state=0)
        >>> mlp = mlp.fit(X, y)
        >>> module = MLP.from_sklearn(mlp)
        >>> module
        MLP(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=3, bias=True)
        )
        >>> with torch.no_grad():
        ...     proba = module(torch.as_tensor(X, dtype=torch.float32)).softmax(1)
        >>> np.allclose(proba.numpy(), mlp.predict_proba(X), atol=1e-5)
        True
        """
        coefs, intercepts = list(mlp.coefs_), list(mlp.intercepts_)
        out_activation = mlp.out_activation_
        if out_activation not in ("softmax", "logistic", "identity", "exp"):
            raise ValueError(
                f"Cannot convert an MLP whose output activation is {out_activation!r}: "
                "expected 'softmax', 'logistic', 'identity' or 'exp'."
            )
        if out_activation == "logistic":
            if coefs[-1].shape[1] > 1:
                raise ValueError(
                    f"Cannot convert a multilabel {type(mlp).__name__} "
                    f"({coefs[-1].shape[1]} logistic outputs): the pruned estimators "
                    "predict one class per sample. Train on a single target, or "
                    "give one network per label."
                )
            # softmax([-z/2, z/2]) = [1 - sigmoid(z), sigmoid(z)]
            coefs[-1] = np.hstack([-coefs[-1] / 2, coefs[-1] / 2])
            intercepts[-1] = np.hstack([-intercepts[-1] / 2, intercepts[-1] / 2])
        if mlp.activation not in ACTIVATIONS:
            raise ValueError(
                f"Cannot convert an MLP with activation {mlp.activation!r}: expected "
                f"one of {sorted(ACTIVATIONS)}."
            )
        module = cls(
            n_features=coefs[0].shape[0],
            n_classes=coefs[-1].shape[1],
            hidden_layer_sizes=[c.shape[1] for c in coefs[:-1]],
            activation=mlp.activation,
        )
        linears = [layer for layer in module if isinstance(layer, nn.Linear)]
        with torch.no_grad():
            for linear, coef, intercept in zip(linears, coefs, intercepts, strict=True):
                linear.weight.copy_(torch.as_tensor(np.asarray(coef).T))
                linear.bias.copy_(torch.as_tensor(np.asarray(intercept)))
        return module

    def __getitem__(self, index):
        # A slice of layers is no longer an MLP from n_features to n_classes.
        if isinstance(index, slice):
            return nn.Sequential(*list(self._modules.values())[index])
        return super().__getitem__(index)


class BinaryLogits(nn.Module):
    """Two class logits from a module that returns one binary logit per sample.

    A two-class network trained with a sigmoid output (skorch's
    ``NeuralNetBinaryClassifier``) returns one logit ``z``, of shape ``(batch,)``
    or ``(batch, 1)``; this wrapper returns ``(-z/2, z/2)``, whose softmax is
    ``(1 - sigmoid(z), sigmoid(z))``: the same probabilities, in the form the
    pruned classifiers train and predict with.

    Parameters
    ----------
    module : torch.nn.Module
        The network that returns one logit per sample.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.modules import BinaryLogits
    >>> module = BinaryLogits(nn.Linear(3, 1))
    >>> x = torch.randn(4, 3)
    >>> proba = module(x).softmax(1)
    >>> torch.allclose(proba[:, 1], torch.sigmoid(module.module(x)[:, 0]))
    True
    """

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        half = self.module(x).reshape(-1, 1) / 2
        return torch.cat([-half, half], dim=1)


class LogProbabilities(nn.Module):
    """Class logits from a module that returns class probabilities: their log.

    skorch's ``NeuralNetClassifier`` trains, with its default ``NLLLoss``, a module
    whose output is a probability per class (a softmax at the end). The softmax of
    their log is the same probabilities.

    Parameters
    ----------
    module : torch.nn.Module
        The network that returns probabilities.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.modules import LogProbabilities
    >>> module = LogProbabilities(nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1)))
    >>> x = torch.randn(4, 3)
    >>> torch.allclose(module(x).softmax(1), module.module(x))
    True
    """

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        probabilities = self.module(x)
        return torch.log(probabilities.clamp(min=torch.finfo(probabilities.dtype).tiny))
