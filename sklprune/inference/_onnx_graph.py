"""The ONNX graph of a pruned network: its fast inference form with dense weights.

:func:`network_graph` turns a fitted module into a standalone ONNX model from one
float input ``input`` of shape ``(n, n_features)`` to one output ``logits`` of
shape ``(n, n_outputs)``. The network is first made its fast inference form
(:func:`~sklprune.to_inference` with ``sparse="never"``): hidden units that pruning
left dead are removed and compacted layers are smaller. Weights stay dense, as
ONNX Runtime stores sparse initializers densely anyway.

* A chain of layers (a :class:`torch.nn.Sequential` such as the default
  :class:`~sklprune.modules.MLP`) of the layers in :data:`WRITTEN_LAYERS` is
  written node by node, in milliseconds, without tracing.
* Any other module is exported by :func:`torch.onnx.export` (the torch.export
  based exporter), its output silenced. What it cannot export raises
  :class:`ExportError` naming the operation.

Every ``Linear`` layer is a ``MatMul`` node followed by an ``Add`` of its bias (the
exporter's ``Gemm`` nodes are rewritten so), because ONNX Runtime's dynamic int8
quantization quantizes ``MatMul`` nodes only.
"""

import contextlib
import copy
import io
import logging
import re
import threading
import warnings

import numpy as np
import torch
from torch import nn

from ..compaction._graph import is_leaf_chain
from ..compaction._select import SelectFeatures
from ._form import to_inference
from ._subnormals import flush_subnormals_

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
# The opset of the graphs the estimators' predict path runs (ONNX Runtime 1.18 and
# later). The skl2onnx converters write the opset skl2onnx targets instead.
DEFAULT_OPSET = 21
# torch.onnx's exporter writes opset 18 and later.
MIN_EXPORT_OPSET = 18
# Gelu is an ONNX operator from opset 20 on.
_GELU_OPSET = 20


class ExportError(ValueError):
    """A network that cannot be written as an ONNX graph; the message says why."""


def network_graph(module, n_features, *, opset=DEFAULT_OPSET):
    """The ONNX model of a network's fast inference form, with dense weights.

    Parameters
    ----------
    module : torch.nn.Module
        The fitted network, taking float batches of shape ``(n, n_features)``.
    n_features : int
        Number of input features.
    opset : int, default=21
        ONNX opset of the default domain.

    Returns
    -------
    model : onnx.ModelProto
        Input ``"input"`` (float, ``(n, n_features)``), output ``"logits"``.

    Raises
    ------
    ExportError
        If the module cannot be exported, naming the operation.

    Examples
    --------
    >>> from sklprune.inference._onnx_graph import network_graph
    >>> from sklprune.modules import MLP
    >>> graph = network_graph(MLP(4, 3, hidden_layer_sizes=(8,)), 4)
    >>> [node.op_type for node in graph.graph.node]
    ['MatMul', 'Add', 'Relu', 'MatMul', 'Add']
    """
    import onnx

    form = inference_form(module, n_features)
    if writes_directly(form, opset):
        nodes, initializers = _write_chain(form)
        return _model(onnx, nodes, initializers, n_features, opset)
    return _exported(form, n_features, opset)


def inference_form(module, n_features):
    """The dense fast inference form on the CPU, as float32, its subnormal
    weights at zero (see ``_subnormals``).

    It is checked against the module on a few random rows; a module whose form
    computes something else is taken as it is. Dead units are removed for a chain
    of layers, and for any other module only when no other Python thread runs
    (compaction traces it with torch.fx, which patches module calls process-wide
    while it runs).
    """
    alone = threading.active_count() == 1 or is_leaf_chain(module)
    generator = torch.Generator().manual_seed(0)
    rows = torch.randn(8, n_features, generator=generator)
    parameter = next(module.parameters(), None)
    if parameter is not None:
        rows = rows.to(device=parameter.device, dtype=parameter.dtype)
    try:
        form = to_inference(module, rows, sparse="never", remove_dead_units=alone)
    except (ValueError, RuntimeError, NotImplementedError):
        form = copy.deepcopy(module)  # a module the form cannot compute
    return flush_subnormals_(form.to(device="cpu", dtype=torch.float32).eval())


def writes_directly(module, opset=DEFAULT_OPSET):
    """Whether ``module`` is a chain of layers that :func:`network_graph` writes
    node by node (no torch.onnx export)."""
    return is_leaf_chain(module) and all(
        _writable(layer, opset) for layer in module.children()
    )


# ------------------------------------------------------------------ chain writer


class _Writer:
    """Nodes and initializers of a graph being written, with fresh names."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, stem):
        self.count += 1
        return f"{stem}_{self.count}"

    def constant(self, stem, array):
        name = self.name(stem)
        tensor = self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.initializers.append(tensor)
        return name

    def node(self, op_type, inputs, **attributes):
        output = self.name(op_type.lower())
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, list(inputs), [output], name=output, **attributes
            )
        )
        return output


def _numpy(tensor):
    return tensor.detach().to(torch.float32).cpu().numpy()


def _linear(w, layer, x):
    x = w.node("MatMul", [x, w.constant("weight", _numpy(layer.weight).T)])
    if layer.bias is None:
        return x
    return w.node("Add", [x, w.constant("bias", _numpy(layer.bias))])


def _batch_norm(w, layer, x):
    scale = 1.0 / torch.sqrt(layer.running_var.double() + layer.eps)
    shift = -layer.running_mean.double() * scale
    if layer.affine:
        scale = scale * layer.weight.double()
        shift = shift * layer.weight.double() + layer.bias.double()
    x = w.node("Mul", [x, w.constant("scale", _numpy(scale))])
    return w.node("Add", [x, w.constant("shift", _numpy(shift))])


def _gelu(w, layer, x):
    return w.node("Gelu", [x], approximate=layer.approximate)


def _silu(w, layer, x):
    return w.node("Mul", [x, w.node("Sigmoid", [x])])


def _select(w, layer, x):
    index = layer.index.cpu().numpy().astype(np.int64)
    return w.node("Gather", [x, w.constant("index", index)], axis=1)


def _skip(w, layer, x):
    return x


_WRITERS = {
    nn.Linear: _linear,
    nn.ReLU: lambda w, layer, x: w.node("Relu", [x]),
    nn.Tanh: lambda w, layer, x: w.node("Tanh", [x]),
    nn.Sigmoid: lambda w, layer, x: w.node("Sigmoid", [x]),
    nn.LeakyReLU: lambda w, layer, x: w.node(
        "LeakyRelu", [x], alpha=float(layer.negative_slope)
    ),
    nn.ELU: lambda w, layer, x: w.node("Elu", [x], alpha=float(layer.alpha)),
    nn.GELU: _gelu,
    nn.SiLU: _silu,
    nn.BatchNorm1d: _batch_norm,
    SelectFeatures: _select,
    nn.Identity: _skip,
    nn.Dropout: _skip,
    nn.Flatten: _skip,
}

#: The layer classes a chain may hold for :func:`network_graph` to write it node
#: by node; a chain with any other layer is exported by torch.onnx.
WRITTEN_LAYERS = tuple(_WRITERS)


def _writable(layer, opset):
    kind = type(layer)
    if kind not in _WRITERS:
        return False
    if kind is nn.GELU:
        return opset >= _GELU_OPSET
    if kind is nn.Flatten:  # a batch of rows is flat already
        return layer.start_dim == 1 and layer.end_dim == -1
    if kind is nn.BatchNorm1d:
        return layer.running_mean is not None
    return True


def _write_chain(chain):
    import onnx

    writer = _Writer(onnx)
    x = INPUT_NAME
    for layer in chain.children():
        x = _WRITERS[type(layer)](writer, layer, x)
    if writer.nodes and writer.nodes[-1].output[0] == x:
        writer.nodes[-1].output[0] = OUTPUT_NAME
    else:  # the chain ends with layers that pass their input on
        writer.nodes.append(onnx.helper.make_node("Identity", [x], [OUTPUT_NAME]))
    return writer.nodes, writer.initializers


def _model(onnx, nodes, initializers, n_features, opset):
    value = onnx.helper.make_tensor_value_info
    float_type = onnx.TensorProto.FLOAT
    graph = onnx.helper.make_graph(
        nodes,
        "sklprune_network",
        [value(INPUT_NAME, float_type, [None, n_features])],
        [value(OUTPUT_NAME, float_type, [None, None])],
        initializer=initializers,
    )
    return onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", opset)],
        producer_name="sklprune",
    )


# ------------------------------------------------------------- torch.onnx export


def _exported(form, n_features, opset):
    """Export with torch.onnx (the torch.export based exporter), quietly."""
    name = type(form).__name__
    if opset < MIN_EXPORT_OPSET:
        raise ExportError(
            f"{name} is exported to ONNX by torch.onnx, which writes opset "
            f"{MIN_EXPORT_OPSET} or later; the target opset is {opset}. Convert with "
            f"target_opset={MIN_EXPORT_OPSET} or later."
        )
    example = torch.zeros(2, n_features)
    with _quiet():
        try:
            program = torch.onnx.export(
                form,
                (example,),
                dynamo=True,
                opset_version=opset,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                verbose=False,
            )
        except Exception as exc:
            raise ExportError(
                f"torch.onnx cannot export {name} to ONNX: {_summary(exc)}"
            ) from exc
    return _checked(program.model_proto, name)


@contextlib.contextmanager
def _quiet():
    """Silence torch.onnx while it exports: its warnings, torch's log lines and
    the graphs it prints to stderr when it fails (Python's sys.stdout and
    sys.stderr are redirected for the export's duration)."""
    logger = logging.getLogger("torch")
    level = logger.level
    logger.setLevel(logging.ERROR)
    sink = io.StringIO()
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_OPERATION = re.compile(r"No ONNX function found for <OpOverload\(op='([^']+)'")
_DATA_DEPENDENT = re.compile(
    r"The following call raised this error:\s*(File .*?)\s*The error above", re.S
)


def _summary(exc):
    """What torch.onnx could not export, in a sentence: the operation, or the line
    of forward that decides on a tensor's value."""
    text = _ANSI.sub("", str(exc))
    operation = _OPERATION.search(text)
    if operation:
        return (
            f"its forward calls {operation.group(1)!r}, an operation that no ONNX "
            "operator computes."
        )
    call = _DATA_DEPENDENT.search(text)
    if "data-dependent" in text and call:
        line = " ".join(call.group(1).split())
        return (
            f"its forward decides on the value of a tensor ({line}), which "
            "torch.export cannot follow; compute both branches with torch.where."
        )
    if "## Exception summary" in text:
        text = text.split("## Exception summary", 1)[1]
    text = re.sub(r"<class '[^']+'>: ", "", text.split("(Refer to the full", 1)[0])
    summary = " ".join(text.split())
    return summary[:600] + (" ..." if len(summary) > 600 else "")


def _checked(model, name):
    """The exported model with functions inlined and Gemm written as MatMul."""
    import onnx
    import onnx.inliner

    if model.functions:
        model = onnx.inliner.inline_local_functions(model)
    if len(model.graph.output) != 1:
        raise ExportError(
            f"{name} returns {len(model.graph.output)} tensors; it must return one "
            "batch of outputs."
        )
    foreign = sorted(
        {f"{node.domain}.{node.op_type}" for node in model.graph.node if node.domain}
    )
    if foreign:
        raise ExportError(
            f"{name} exports to operations outside the ONNX standard: {foreign}."
        )
    _gemm_to_matmul(model)
    return model


def _gemm_to_matmul(model):
    """Rewrite ``Gemm(x, W, b)`` with a constant ``W`` as ``MatMul`` and ``Add``."""
    import onnx
    from onnx import helper, numpy_helper

    constants = {init.name: init for init in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if (
            node.op_type != "Gemm"
            or node.input[1] not in constants
            or attrs.get("transA", 0)
            or attrs.get("alpha", 1.0) != 1.0
            or attrs.get("beta", 1.0) != 1.0
        ):
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(constants[node.input[1]])
        if attrs.get("transB", 0):
            weight = weight.T
        weight_name = f"{node.input[1]}_matmul"
        model.graph.initializer.append(
            numpy_helper.from_array(np.ascontiguousarray(weight), weight_name)
        )
        product = f"{node.output[0]}_matmul"
        has_bias = len(node.input) > 2 and node.input[2]
        nodes.append(
            helper.make_node(
                "MatMul",
                [node.input[0], weight_name],
                [product if has_bias else node.output[0]],
                name=f"{node.name}_matmul",
            )
        )
        if has_bias:
            nodes.append(
                helper.make_node(
                    "Add", [product, node.input[2]], [node.output[0]], name=node.name
                )
            )
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {name for node in model.graph.node for name in node.input}
    kept = [init for init in model.graph.initializer if init.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    onnx.checker.check_model(model)
