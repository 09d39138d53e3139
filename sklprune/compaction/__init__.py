"""Compaction: physically remove pruned neurons, so a pruned network gets smaller.

Structured pruning (``granularity="neuron"``) leaves whole rows of weight matrices at
zero, but a masked dense tensor costs as much to store and to multiply as before.
:func:`compact` returns a new module in which every dead hidden unit (a ``Linear``
output row, a ``Conv`` output channel, an ``Embedding`` dimension) is gone, together
with the input column (or channel) of every layer that read it and its entries in the
normalisation and activation layers in between.

A dead unit is not silent: it outputs its bias, which the layers in between turn into a
constant. The next layer adds that constant times its weights to every output, so
compaction folds it into the next layer's bias and the compacted module computes what
the masked one did.

What compaction follows
-----------------------
Any module that :func:`torch.fx.symbolic_trace` can trace: a
:class:`~torch.nn.Sequential` (and subclasses such as :class:`sklprune.modules.MLP`
that keep its ``forward``), a module class of your own whose ``forward`` calls a
Sequential or layers held as attributes, functional activations (``F.relu(x)``,
``torch.relu(x)``, ``x.relu()``), residual additions and concatenations. The walk
follows, for every tensor, which unit is behind each position of its last dimension
(after a ``Linear``) or its channels (after a ``Conv``), and which positions hold a
constant:

* units added together (``x + f(x)``) are removed together or kept together: a
  position of a sum is removable only when it is dead in every branch, and the
  constants of the branches are summed;
* ``torch.cat`` maps every unit to its position in the concatenation;
* a conv channel becomes a block of columns of the next ``Linear`` after
  ``nn.Flatten()``, ``x.flatten(1)`` or ``x.view(x.size(0), -1)``.

A residual module class:

>>> import torch
>>> from torch import nn
>>> from sklprune import compact
>>> class Residual(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.inp = nn.Linear(4, 8)
...         self.block = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))
...         self.out = nn.Linear(8, 2)
...     def forward(self, x):
...         h = torch.relu(self.inp(x))
...         return self.out(h + self.block(h))
>>> net = Residual().eval()
>>> with torch.no_grad():
...     net.block[0].weight[4:] = 0.0  # hidden units of the block
...     net.inp.weight[6:] = 0.0  # and units 6, 7 of both branches of the sum
...     net.block[2].weight[6:] = 0.0
>>> small = compact(net)
>>> small.block[0].out_features, small.inp.out_features, small.out.in_features
(4, 6, 6)
>>> x = torch.randn(3, 4)
>>> torch.allclose(small(x), net(x), atol=1e-6)
True

The result keeps the module's class when the module is a chain (a Sequential, or a
module whose ``__sklprune_chain__`` lists its layers, see below), and when its first
layer is a ``Linear`` reading the inputs and its own ``forward``, run on a random
batch, computes with the narrowed layers what the original computes (as above).
Otherwise (a ``Conv`` or ``Embedding`` first, or a ``forward`` that reads a layer's
width in Python) it comes back as a :class:`torch.fx.GraphModule` named after the
module's class, which runs the traced graph with the narrowed layers; its layers
keep their names (``small.block[0]``). A GraphModule pickles, but ``skops`` cannot
store it.

Layers and operations, by what compaction does with them:

======================================  ================================================
layers and operations                   role
======================================  ================================================
``Linear``, ``Conv1d``, ``Conv2d``      units removed, inputs removed, biases folded
                                        (``groups=1`` only)
``Embedding``, ``EmbeddingBag``         a dimension whose column is all zero is removed
activations, ``Dropout``, ``Identity``  elementwise: constants pass through (also as
                                        functions, methods and arithmetic with numbers)
``BatchNorm1d/2d``, ``PReLU``           one entry per unit, removed with it
max / adaptive / average pooling        per channel (a zero-padded average keeps the
                                        dead channels whose constant is not zero);
                                        ``x.mean((2, 3))`` too
``+``, ``-``, ``*`` of two tensors      units of the operands joined
``torch.cat``                           units mapped to the concatenated positions
``Flatten()``, ``flatten(1)``,          a conv channel becomes a block of columns of
``view(x.size(0), -1)``                 the next ``Linear``
``LayerNorm``, ``GroupNorm``,           mix units: the layer before keeps its full
``Softmax``, ``LogSoftmax``, sums over  width (removing a unit would change the mean,
units                                   variance or sum over units)
:class:`SelectFeatures`                 the kept input features (``prune_inputs``)
======================================  ================================================

Units that reach the module's output are never removed. Anything else (an operation
the walk does not know, a parameter read directly in ``forward``, a layer used twice,
control flow that depends on the data and makes tracing fail) raises a ``ValueError``
that names the graph node and the operation. A dead channel whose constant is not zero
and that feeds a zero-padded convolution is kept too: the padding makes its
contribution differ at the borders, which no bias can express.

A module whose ``forward`` is a chain of layers may say so instead of being traced, by
defining ``__sklprune_chain__(self)`` returning its submodules in the order its
``forward`` applies them; the result then keeps its class. Since compaction narrows the
listed layers in place, that ``forward`` must be exactly the chain; when its first
weighted layer is a ``Linear``, :func:`compact` checks the compacted module against
the original on a random batch and raises if they disagree.

The result is equal to the original in evaluation mode (``BatchNorm`` constants are
folded with the running statistics), and it is returned in evaluation mode: it is
meant for inference.

Where it happens
----------------
:func:`compact` (``compaction/_compact.py``) traces the module (``_graph.py``), then
loops until no unit is removed: the walk (``_walk.py``, with the rules for layers in
``_walk_layers.py``, for functions and methods in ``_walk_calls.py``, and the tables
of ``_ops.py``) follows the units of every tensor (``_units.py``) and fills a plan;
``Plan.removed_units`` (``_plan.py``) decides which units are removed, and
``narrow`` (``_narrow.py``) removes them from the layers.
"""

from ._compact import compact
from ._groups import coupled_units
from ._select import SelectFeatures

__all__ = ["SelectFeatures", "compact", "coupled_units"]
