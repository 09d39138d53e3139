"""The default network of :class:`sklprune.PrunedClassifier` and
:class:`sklprune.PrunedRegressor`."""

from torch import nn

ACTIVATIONS = {
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
    activation : {"relu", "tanh", "gelu", "logistic"}, default="relu"
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

    def __getitem__(self, index):
        # A slice of layers is no longer an MLP from n_features to n_classes.
        if isinstance(index, slice):
            return nn.Sequential(*list(self._modules.values())[index])
        return super().__getitem__(index)
