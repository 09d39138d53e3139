"""Torch modules as plain Python and numpy, so pickle and skops can store them.

A module is split into a skeleton (the module objects, with every parameter and
buffer slot emptied) and numpy copies of the tensors. skops can then load the
skeleton's layer types once the user trusts them, and no torch tensor, optimizer or
pickled byte string is ever stored.
"""

import copy

import numpy as np
import torch
from torch import nn


def module_to_state(module):
    """Split a module into a tensor-free skeleton and numpy arrays."""
    skeleton = copy.deepcopy(module).cpu()
    parameters, buffers = {}, {}
    for layer_name, layer in skeleton.named_modules():
        slot_groups = ((layer._parameters, parameters), (layer._buffers, buffers))
        for slots, store in slot_groups:
            for key, tensor in slots.items():
                if tensor is not None:
                    store[_join(layer_name, key)] = tensor.detach().numpy().copy()
                    slots[key] = None
    return {"skeleton": skeleton, "parameters": parameters, "buffers": buffers}


def module_from_state(state, device="cpu"):
    """Rebuild the module that :func:`module_to_state` split."""
    module = state["skeleton"]
    for name, array in state["parameters"].items():
        layer, key = _locate(module, name)
        tensor = torch.from_numpy(np.array(array, copy=True))
        layer._parameters[key] = nn.Parameter(tensor)
    for name, array in state["buffers"].items():
        layer, key = _locate(module, name)
        layer._buffers[key] = torch.from_numpy(np.array(array, copy=True))
    return module.to(device)


def _locate(module, name):
    layer_name, _, key = name.rpartition(".")
    return module.get_submodule(layer_name), key


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name
