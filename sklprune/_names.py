"""Dotted names inside a torch module: a layer's name joined to a key, and split again.

``module.named_parameters()`` names a parameter ``"<layer name>.<key>"``, the layer
name itself dotted (``"encoder.0.weight"``) and empty for the module's own
parameters (``"weight"`` of a bare ``Linear``).
"""


def join_name(layer_name, key):
    """The dotted name of ``key`` (a parameter or buffer) of the layer ``layer_name``.

    Examples
    --------
    >>> from sklprune._names import join_name
    >>> join_name("encoder.0", "weight"), join_name("", "weight")
    ('encoder.0.weight', 'weight')
    """
    return f"{layer_name}.{key}" if layer_name else key


def split_name(name):
    """The layer name and the key of a dotted parameter or buffer name.

    Examples
    --------
    >>> from sklprune._names import split_name
    >>> split_name("encoder.0.weight"), split_name("weight")
    (('encoder.0', 'weight'), ('', 'weight'))
    """
    layer_name, _, key = name.rpartition(".")
    return layer_name, key
