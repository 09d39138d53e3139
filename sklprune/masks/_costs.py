"""Costs: what one weight of a target costs, in parameters or in multiply-adds.

A weight of a ``Linear`` or ``Conv`` layer is multiplied once per output position
of its layer for every sample (once for a ``Linear`` on a batch of vectors, ``H_out *
W_out`` times for a 2-d convolution); an ``Embedding`` looks up and multiplies
nothing. :class:`OutputPositions` records the output positions with forward hooks
while the module runs on real input, and :func:`weight_costs` turns them into the
cost of one weight of each target, which :func:`compute_group_masks` counts.
"""

import torch
from torch import nn

from .._names import split_name

BUDGETS = ("parameters", "macs")

_MULTIPLYING = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


class OutputPositions:
    """Forward hooks that count the output positions per sample of some layers.

    Parameters
    ----------
    module : torch.nn.Module
    layer_names : iterable of str
        The layers to watch.

    Attributes
    ----------
    positions : dict of str to float
        Output positions per sample of every watched layer, summed over its calls
        (a layer called twice counts twice); filled by a forward between
        :meth:`start` and :meth:`stop`.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklprune.masks import OutputPositions
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(144, 2))
    >>> recorder = OutputPositions(net, ["0", "2"]).start(n_samples=5)
    >>> _ = net(torch.zeros(5, 1, 8, 8))
    >>> recorder.stop()
    {'0': 36.0, '2': 1.0}
    """

    def __init__(self, module, layer_names):
        self.module = module
        self.layer_names = list(dict.fromkeys(layer_names))
        self.positions = dict.fromkeys(self.layer_names, 0.0)
        self.n_samples = None
        self._handles = []

    def start(self, n_samples=None):
        """Watch the next forward passes of ``n_samples`` samples each.

        ``None`` takes the first dimension of every output as the batch.
        """
        self.stop()
        self.positions = dict.fromkeys(self.layer_names, 0.0)
        self.n_samples = n_samples
        for name in self.layer_names:
            layer = self.module.get_submodule(name)
            self._handles.append(layer.register_forward_hook(_Hook(self, name)))
        return self

    def stop(self):
        """Remove the hooks; return :attr:`positions`."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        return self.positions

    @property
    def watching(self):
        """Whether the hooks are in place."""
        return bool(self._handles)

    def record(self, name, layer, output):
        """Add the output positions of one call of layer ``name``."""
        if not torch.is_tensor(output) or output.dim() == 0:
            return
        units = _units(layer)
        n = self.n_samples or output.shape[0]
        if units and n:
            self.positions[name] += output.numel() / (n * units)


class _Hook:
    """A forward hook of :class:`OutputPositions` (a class, so modules pickle)."""

    def __init__(self, recorder, name):
        self.recorder = recorder
        self.name = name

    def __call__(self, layer, inputs, output):
        self.recorder.record(self.name, layer, output)


def _units(layer):
    if isinstance(layer, nn.Linear):
        return layer.out_features
    if isinstance(layer, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        return layer.out_channels
    return 0


def weight_costs(module, params, budget, positions=None):
    """The cost of one weight of every target: 1, or its multiply-adds per sample.

    Parameters
    ----------
    module : torch.nn.Module
    params : dict of str to torch.Tensor
        The targets.
    budget : {"parameters", "macs"}
        What a weight costs: itself, or the multiply-adds it takes part in for one
        sample (the output positions of its ``Linear`` or ``Conv`` layer; 0 for an
        ``Embedding``, a bias or any other tensor).
    positions : dict of str to float, default=None
        Output positions per sample by layer name (:class:`OutputPositions`);
        needed for ``"macs"``.

    Returns
    -------
    costs : dict of str to float

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.masks import weight_costs
    >>> net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(144, 2))
    >>> params = dict(net.named_parameters())
    >>> weight_costs(net, params, "macs", {"0": 36.0, "2": 1.0})
    {'0.weight': 36.0, '0.bias': 0.0, '2.weight': 1.0, '2.bias': 0.0}
    """
    if budget not in BUDGETS:
        raise ValueError(f"budget must be one of {BUDGETS}; got {budget!r}.")
    if budget == "parameters":
        return dict.fromkeys(params, 1.0)
    if positions is None:
        raise ValueError(
            "A multiply-add budget needs the output positions of the layers: run "
            "the module once on a batch under OutputPositions."
        )
    costs = {}
    for name in params:
        layer_name, key = split_name(name)
        layer = module.get_submodule(layer_name)
        multiplies = key == "weight" and isinstance(layer, _MULTIPLYING)
        costs[name] = float(positions.get(layer_name, 0.0)) if multiplies else 0.0
    return costs


def layers_of(params):
    """The names of the layers that hold ``params``, in order, each once.

    Examples
    --------
    >>> from sklprune.masks._costs import layers_of
    >>> layers_of({"a.weight": None, "a.bias": None, "b.weight": None})
    ['a', 'b']
    """
    return list(dict.fromkeys(split_name(name)[0] for name in params))
