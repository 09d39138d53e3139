"""The network of a fitted estimator, written into a graph skl2onnx is building.

The converters of :mod:`sklprune.onnx._converters` share this core: it casts the
operator's input to float, writes the network's ONNX graph
(:func:`~sklprune.inference._onnx_graph.network_graph`, at the opset skl2onnx
targets) into skl2onnx's container under fresh names, and returns the name of the
network's outputs, ``(n, n_outputs)`` float. What a converter adds after it is
only what its task needs: softmax and labels for a classifier, an undone target
scaling for a regressor.
"""

import numpy as np
from onnx import AttributeProto, TensorProto, helper, numpy_helper
from skl2onnx.common.data_types import guess_proto_type

from ..inference._onnx_graph import (
    DEFAULT_OPSET,
    INPUT_NAME,
    OUTPUT_NAME,
    ExportError,
    network_graph,
)

# Every node of an embedded network has a name that starts with this, so that
# int8 quantization can find the network's matrix products.
NODE_PREFIX = "sklprune_network"


def fitted_network_estimator(model):
    """The fitted estimator that holds the network: ``model`` itself, or the
    refitted classifier of a :class:`~sklprune.PrunedClassifierCV`."""
    return getattr(model, "best_estimator_", model)


def embed_network(scope, operator, container, estimator):
    """Write ``estimator.module_`` into ``container``, reading the operator's input.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
    operator : skl2onnx.common._topology.Operator
        The operator being converted; its first input feeds the network.
    container : skl2onnx.common._container.ModelComponentContainer
    estimator : fitted estimator with ``module_`` and ``n_features_in_``

    Returns
    -------
    outputs : str
        Name of the network's float outputs, shape ``(n, n_outputs)``.

    Raises
    ------
    ExportError
        If the network cannot be written as ONNX; the message names the operation.
    """
    opset = container.target_opset or DEFAULT_OPSET
    graph = network_graph(estimator.module_, estimator.n_features_in_, opset=opset)
    names = {INPUT_NAME: _float_input(scope, operator, container)}
    for tensor in graph.graph.initializer:
        names[tensor.name] = scope.get_unique_variable_name(f"{NODE_PREFIX}_weight")
        values = numpy_helper.to_array(tensor)
        container.add_initializer(
            names[tensor.name],
            tensor.data_type,
            list(values.shape),
            numpy_helper.from_array(values, names[tensor.name]),
        )
    for node in graph.graph.node:
        for name in node.output:
            names[name] = scope.get_unique_variable_name(f"{NODE_PREFIX}_value")
        container.add_node(
            node.op_type,
            [names[name] if name else "" for name in node.input],
            [names[name] for name in node.output],
            op_domain=node.domain,
            name=scope.get_unique_operator_name(f"{NODE_PREFIX}_{node.op_type}"),
            **_attributes(node, type(estimator.module_).__name__),
        )
    return names[OUTPUT_NAME]


def _float_input(scope, operator, container):
    """The operator's input as float32 (cast when it is not)."""
    variable = operator.inputs[0]
    if guess_proto_type(variable.type) == TensorProto.FLOAT:
        return variable.full_name
    cast = scope.get_unique_variable_name(f"{NODE_PREFIX}_input")
    container.add_node(
        "Cast",
        [variable.full_name],
        [cast],
        to=TensorProto.FLOAT,
        name=scope.get_unique_operator_name(f"{NODE_PREFIX}_Cast"),
    )
    return cast


def _attributes(node, module_name):
    attributes = {}
    for attribute in node.attribute:
        if attribute.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS):
            raise ExportError(
                f"{module_name} exports to the control-flow operation "
                f"{node.op_type!r} (an if or a loop on a tensor), which sklprune "
                "does not embed in a pipeline's graph. Compute both branches with "
                "tensor operations (torch.where)."
            )
        attributes[attribute.name] = helper.get_attribute_value(attribute)
    return attributes


def add_cast(scope, container, source, target, proto_type):
    """Write ``target = Cast(source, to=proto_type)`` (an Identity when equal)."""
    name = scope.get_unique_operator_name(f"{NODE_PREFIX}_Cast")
    if proto_type == TensorProto.FLOAT:
        container.add_node("Identity", [source], [target], name=name)
    else:
        container.add_node("Cast", [source], [target], to=proto_type, name=name)


def label_values(classes):
    """The class labels as an ONNX tensor's values: int64 numbers or UTF-8 bytes.

    Integer, boolean and (whole-number) float labels are written as int64, as
    skl2onnx writes them; strings as strings.
    """
    classes = np.asarray(classes)
    if classes.dtype.kind in "iubf":  # scikit-learn accepts whole floats only
        return TensorProto.INT64, classes.astype(np.int64)
    values = classes.tolist()
    if all(isinstance(label, str) for label in values):
        return TensorProto.STRING, np.array([c.encode("utf-8") for c in values])
    raise ValueError(
        f"The class labels {values[:5]} are neither numbers nor strings: ONNX "
        "labels are all integers or all strings. Encode them so before fitting."
    )
