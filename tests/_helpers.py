"""Helpers shared by several test modules."""

import ast
import inspect
import re

import torch
from torch import nn


def randomise(module, seed=0):
    """Nonzero biases and non-trivial norm statistics, so the constants of dead
    units matter; returns the module."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
                n = layer.num_features
                layer.running_mean.copy_(torch.randn(n, generator=generator))
                layer.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                layer.weight.copy_(torch.randn(n, generator=generator))
                layer.bias.copy_(torch.randn(n, generator=generator))
            elif isinstance(getattr(layer, "bias", None), torch.Tensor):
                layer.bias.copy_(torch.randn(layer.bias.shape, generator=generator))
    return module


def documented_defaults(estimator_class):
    """``{name: default}`` of the ``name : type, default=value`` lines of the
    numpydoc Parameters section of a class docstring."""
    doc = inspect.getdoc(estimator_class)
    section = doc.split("Parameters\n----------\n", 1)[1].split("\n\n", 1)[0]
    section = section.split("\nAttributes\n", 1)[0]
    entries = re.findall(r"^(\w+) : .*, default=(.+)$", section, flags=re.MULTILINE)
    return {name: ast.literal_eval(value) for name, value in entries}
