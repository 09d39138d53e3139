"""Targets: the parameter tensors of a module that may be pruned, and their units."""

from fnmatch import fnmatchcase

from torch import nn

from .._names import join_name, split_name

DEFAULT_TARGET_TYPES = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Embedding,
    nn.EmbeddingBag,
)


def find_targets(module, targets=None):
    """Return the prunable parameters of a module.

    Parameters
    ----------
    module : torch.nn.Module
        The network to prune.
    targets : None, str, type, callable or list of those, default=None
        Which parameters may be pruned. ``None`` selects the ``weight`` of every
        ``Linear``, ``Conv1d``, ``Conv2d``, ``Embedding`` and ``EmbeddingBag`` layer
        (never biases or normalisation layers). A string is a glob pattern matched
        against parameter names (``"hidden*.weight"``); a module type selects the
        ``weight`` of every layer of that type; a callable receives
        ``(name, parameter)`` and returns whether to prune it.

    Returns
    -------
    targets : dict of str to torch.nn.Parameter
        Parameter name to parameter, in the module's order.

    Raises
    ------
    ValueError
        If nothing matches.

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.masks import find_targets
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> list(find_targets(net))
    ['0.weight', '2.weight']
    >>> list(find_targets(net, targets="2.*"))
    ['2.weight', '2.bias']
    """
    selectors = _as_selectors(targets)
    named_params = dict(module.named_parameters())
    selected = set()
    for selector in selectors:
        if isinstance(selector, type):
            for layer_name, layer in module.named_modules():
                weight = getattr(layer, "weight", None)
                if isinstance(layer, selector) and isinstance(weight, nn.Parameter):
                    selected.add(join_name(layer_name, "weight"))
        elif isinstance(selector, str):
            selected.update(n for n in named_params if fnmatchcase(n, selector))
        elif callable(selector):
            selected.update(n for n, p in named_params.items() if selector(n, p))
        else:
            raise TypeError(
                "targets must be None, a glob pattern, a module type, a callable "
                f"(name, parameter) -> bool, or a list of those; got {selector!r}."
            )
    found = {name: p for name, p in named_params.items() if name in selected}
    if not found:
        raise ValueError(
            f"The module {type(module).__name__} has no prunable target for "
            f"targets={targets!r}. Pass targets= as parameter-name patterns such as "
            "'fc*.weight', or give the module a Linear, Conv or Embedding layer."
        )
    return found


def neuron_dim(module, name):
    """Return the dimension of a target that indexes its output units.

    Rows (dimension 0) for ``Linear`` and ``Conv`` weights; columns (dimension 1,
    the embedding features) for ``Embedding`` and ``EmbeddingBag``.

    Examples
    --------
    >>> from torch import nn
    >>> from sklprune.masks import neuron_dim
    >>> neuron_dim(nn.Sequential(nn.Embedding(10, 3)), "0.weight")
    1
    """
    layer = module.get_submodule(split_name(name)[0])
    return 1 if isinstance(layer, nn.Embedding | nn.EmbeddingBag) else 0


def _as_selectors(targets):
    if targets is None:
        return list(DEFAULT_TARGET_TYPES)
    if isinstance(targets, str | type) or callable(targets):
        return [targets]
    return list(targets)
