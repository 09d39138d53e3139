"""Registration of sklprune's converters with skl2onnx, on ``import sklprune.onnx``.

:func:`register_converters` calls skl2onnx's documented
:func:`skl2onnx.update_registered_converter` for every estimator of
:data:`CONVERTERS`, so that :func:`skl2onnx.to_onnx` converts pipelines that mix
them with scikit-learn's own steps.
"""

import importlib

from skl2onnx import update_registered_converter
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

from ._converters import (
    CLASSIFIER_OPTIONS,
    calculate_regressor_output,
    calculate_selected_columns,
    convert_pruned_classifier,
    convert_pruned_regressor,
    convert_selected_columns,
)

# (module, class name, skl2onnx alias, shape calculator, converter, options)
CONVERTERS = (
    (
        "sklprune.classifier",
        "PrunedClassifier",
        "SklprunePrunedClassifier",
        calculate_linear_classifier_output_shapes,
        convert_pruned_classifier,
        CLASSIFIER_OPTIONS,
    ),
    (
        "sklprune.classifier_cv",
        "PrunedClassifierCV",
        "SklprunePrunedClassifierCV",
        calculate_linear_classifier_output_shapes,
        convert_pruned_classifier,
        CLASSIFIER_OPTIONS,
    ),
    (
        "sklprune.regressor",
        "PrunedRegressor",
        "SklprunePrunedRegressor",
        calculate_regressor_output,
        convert_pruned_regressor,
        None,
    ),
    (
        "sklprune.regressor_cv",
        "PrunedRegressorCV",
        "SklprunePrunedRegressorCV",
        calculate_regressor_output,
        convert_pruned_regressor,
        None,
    ),
    (
        "sklprune.feature_selection",
        "FeatureImportancePruner",
        "SklpruneFeatureImportancePruner",
        calculate_selected_columns,
        convert_selected_columns,
        None,
    ),
)


def register_converters():
    """Register the converters of sklprune's estimators with skl2onnx.

    Returns
    -------
    registered : list of type
        The estimator classes registered.

    Examples
    --------
    >>> from sklprune.onnx._register import register_converters
    >>> [cls.__name__ for cls in register_converters()][:2]
    ['PrunedClassifier', 'PrunedClassifierCV']
    """
    registered = []
    for module, name, alias, shape, converter, options in CONVERTERS:
        estimator = getattr(importlib.import_module(module), name)
        update_registered_converter(estimator, alias, shape, converter, options=options)
        registered.append(estimator)
    return registered
