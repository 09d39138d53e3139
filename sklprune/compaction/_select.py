"""SelectFeatures: the front of an input-pruned module."""

import torch
from torch import nn


class SelectFeatures(nn.Module):
    """Keep some input features of a batch: the front of an input-pruned module.

    :func:`~sklprune.compact` with ``prune_inputs=True`` puts it before the compacted
    network, so the network still takes the original inputs while its first layer
    reads only the features it uses.

    Parameters
    ----------
    index : sequence of int or torch.Tensor
        Positions of the kept features (columns of a 2-D batch, channels of a
        convolutional one), along dimension 1.
    n_features_in : int
        Number of features of the original input.

    Attributes
    ----------
    index : torch.Tensor
        The kept positions, a buffer saved in the state dict.

    Examples
    --------
    >>> import torch
    >>> from sklprune.compaction import SelectFeatures
    >>> select = SelectFeatures([0, 2], n_features_in=3)
    >>> select
    SelectFeatures(n_features_in=3, n_selected=2)
    >>> select(torch.tensor([[1.0, 2.0, 3.0]]))
    tensor([[1., 3.]])
    """

    def __init__(self, index, n_features_in):
        super().__init__()
        index = torch.as_tensor(index, dtype=torch.long).flatten()
        if index.numel() and not 0 <= int(index.min()) <= int(index.max()) < int(
            n_features_in
        ):
            raise ValueError(
                f"index must lie in [0, {n_features_in}); got values from "
                f"{int(index.min())} to {int(index.max())}."
            )
        self.n_features_in = int(n_features_in)
        self.register_buffer("index", index)

    def forward(self, x):
        """The kept features of ``x``, a batch of the original inputs."""
        if x.shape[1] != self.n_features_in:
            raise ValueError(
                f"Expected input with {self.n_features_in} features along dimension "
                f"1 (the original inputs); got shape {tuple(x.shape)}."
            )
        return x.index_select(1, self.index)

    def extra_repr(self):
        """The sizes shown in the layer's repr."""
        return f"n_features_in={self.n_features_in}, n_selected={self.index.numel()}"


# Public under sklprune.compaction, where pickles and skops files have always found it.
SelectFeatures.__module__ = "sklprune.compaction"
