"""skl2onnx shape calculators and converters of sklprune's estimators.

Each converter follows skl2onnx's convention for its kind of model:

* a classifier has two outputs, ``label`` (the original class labels, strings
  included, or class indices with the ``nocl`` option) and ``probabilities``
  (``(n, n_classes)``), which skl2onnx's parser turns into a list of dictionaries
  under the ``zipmap`` option (its default);
* a regressor has one output, ``variable``, of shape ``(n, n_outputs)`` (as
  skl2onnx writes ``MLPRegressor``'s ``(n, 1)``);
* a feature selector outputs its selected columns.

The network part is written by :func:`~sklprune.onnx._network.embed_network`.
"""

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    guess_proto_type,
)
from skl2onnx.common.utils import check_input_and_output_numbers
from skl2onnx.common.utils_classifier import get_label_classes

from ._network import (
    NODE_PREFIX,
    add_cast,
    embed_network,
    fitted_network_estimator,
    label_values,
)

# The options skl2onnx's classifier parser and converters accept.
CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
}


def convert_pruned_classifier(scope, operator, container):
    """Converter of :class:`~sklprune.PrunedClassifier` and
    :class:`~sklprune.PrunedClassifierCV`: the network, a softmax, the labels."""
    model = operator.raw_operator
    logits = embed_network(scope, operator, container, fitted_network_estimator(model))
    label, probabilities = operator.outputs[0], operator.outputs[1]
    softmax = scope.get_unique_variable_name(f"{NODE_PREFIX}_probabilities")
    container.add_node(
        "Softmax",
        [logits],
        [softmax],
        axis=1,
        name=scope.get_unique_operator_name(f"{NODE_PREFIX}_Softmax"),
    )
    add_cast(
        scope,
        container,
        softmax,
        probabilities.full_name,
        guess_proto_type(probabilities.type),
    )
    _write_labels(scope, container, softmax, label.full_name, model)


def _write_labels(scope, container, probabilities, label, model):
    """``label = classes[argmax(probabilities)]``, one per row."""
    proto_type, values = label_values(get_label_classes(scope, model))
    classes = scope.get_unique_variable_name(f"{NODE_PREFIX}_classes")
    container.add_initializer(classes, proto_type, [len(values)], values)
    best = scope.get_unique_variable_name(f"{NODE_PREFIX}_argmax")
    container.add_node(
        "ArgMax",
        [probabilities],
        [best],
        axis=1,
        keepdims=0,
        name=scope.get_unique_operator_name(f"{NODE_PREFIX}_ArgMax"),
    )
    container.add_node(
        "Gather",
        [classes, best],
        [label],
        axis=0,
        name=scope.get_unique_operator_name(f"{NODE_PREFIX}_Gather"),
    )


def convert_pruned_regressor(scope, operator, container):
    """Converter of :class:`~sklprune.PrunedRegressor` and
    :class:`~sklprune.PrunedRegressorCV`: the network, then what ``predict`` does
    to its outputs, ``out_activation_(outputs) * target_scale_ + target_mean_``."""
    estimator = fitted_network_estimator(operator.raw_operator)
    outputs = embed_network(scope, operator, container, estimator)
    if estimator.out_activation_ == "exp":
        exp = scope.get_unique_variable_name(f"{NODE_PREFIX}_value")
        container.add_node(
            "Exp",
            [outputs],
            [exp],
            name=scope.get_unique_operator_name(f"{NODE_PREFIX}_Exp"),
        )
        outputs = exp
    for op_type, values in (
        ("Mul", estimator.target_scale_),
        ("Add", estimator.target_mean_),
    ):
        outputs = _columnwise(scope, container, op_type, outputs, values)
    variable = operator.outputs[0]
    add_cast(
        scope, container, outputs, variable.full_name, guess_proto_type(variable.type)
    )


def _columnwise(scope, container, op_type, x, values):
    """``x`` times (``"Mul"``) or plus (``"Add"``) one float32 value per column."""
    values = np.asarray(values, dtype=np.float32).ravel()
    constant = scope.get_unique_variable_name(f"{NODE_PREFIX}_{op_type.lower()}")
    container.add_initializer(constant, TensorProto.FLOAT, [len(values)], values)
    result = scope.get_unique_variable_name(f"{NODE_PREFIX}_value")
    container.add_node(
        op_type,
        [x, constant],
        [result],
        name=scope.get_unique_operator_name(f"{NODE_PREFIX}_{op_type}"),
    )
    return result


def calculate_selected_columns(operator):
    """Shape calculator of :class:`~sklprune.FeatureImportancePruner`."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    variable = operator.inputs[0]
    kept = int(operator.raw_operator.get_support().sum())
    operator.outputs[0].type = variable.type.__class__(
        [variable.get_first_dimension(), kept]
    )


def convert_selected_columns(scope, operator, container):
    """Converter of :class:`~sklprune.FeatureImportancePruner`: its selected
    columns, in order."""
    pruner = operator.raw_operator
    index = np.asarray(pruner.get_support(indices=True), dtype=np.int64)
    if index.size == 0:
        raise ValueError(
            "The FeatureImportancePruner keeps no feature, so its output has no "
            "column and cannot be converted: lower threshold or set keep."
        )
    source, target = operator.inputs[0].full_name, operator.outputs[0].full_name
    name = scope.get_unique_operator_name("sklprune_selected_columns")
    if index.size == pruner.n_features_in_:
        container.add_node("Identity", [source], [target], name=name)
        return
    columns = scope.get_unique_variable_name("sklprune_selected_index")
    container.add_initializer(columns, TensorProto.INT64, [index.size], index)
    container.add_node("Gather", [source, columns], [target], axis=1, name=name)


def calculate_regressor_output(operator):
    """Shape calculator of a pruned regressor: ``(n, n_outputs_)``, float (double
    for double input)."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=1)
    variable = operator.inputs[0]
    kind = (
        variable.type.__class__
        if isinstance(variable.type, FloatTensorType | DoubleTensorType)
        else FloatTensorType
    )
    estimator = fitted_network_estimator(operator.raw_operator)
    operator.outputs[0].type = kind(
        [variable.get_first_dimension(), getattr(estimator, "n_outputs_", None)]
    )
