"""``sklprune run``: a dense reference and a pruned model, trained and compared.

Both are measured (:mod:`sklprune.cli._report`), compared for robustness
(:mod:`sklprune.cli._robustness`) and, with the ``onnx`` extra, converted to ONNX
and measured there (:mod:`sklprune.cli._onnx`); the pruned pipeline is saved
first, so the table gives the size of its file, then its ONNX files, the report,
the tables and the plots.
"""

from dataclasses import dataclass, field

from sklearn.base import clone

from ._figures import layers_figure, training_figure
from ._onnx import (
    Deployment,
    batch_latencies,
    convert,
    onnx_files,
    onnx_numbers,
    onnx_report,
    sessions_of,
)
from ._pipeline import build_pipeline, fit, warm_up
from ._report import (
    measure,
    measure_latencies,
    model_file_bytes,
    results_frame,
    run_table,
    write_csv,
    write_figure,
    write_json,
    write_model,
)
from ._robustness import (
    compare,
    errors_figure,
    model_numbers,
    reliability_figure,
    robustness_json,
    robustness_notes,
)
from ._steps import (
    prepare,
    print_header,
    print_missing_extras,
    report_head,
    write_all,
)

# The plot of the comparison, by task: its file and how it is drawn.
_COMPARISON_PLOT = {
    "classification": ("reliability.png", reliability_figure, "calibration and recall"),
    "regression": ("errors.png", errors_figure, "predictions and errors"),
}


def _gains(task):
    """What each extra adds to the files of a run of ``task``."""
    plot = _COMPARISON_PLOT[task][0]
    return {
        "plot": f"the plots training.png, layers.png and {plot}",
        "persist": "model.skops, a model file that loads without pickle",
        "onnx": "model.onnx, the pipeline for ONNX Runtime, with its "
        f"{'accuracy' if task == 'classification' else 'R²'}, size and speed in "
        "the report",
    }


@dataclass
class _Comparison:
    """The two fitted pipelines of a run and what was measured of them.

    ``models``, ``results`` and ``reports`` map ``"dense"`` and ``"pruned"`` to
    the pipeline, the numbers of the printed table and its
    :func:`~sklprune.sparsity_report`; ``robustness`` is their
    :func:`~sklprune.robustness_report`; ``deployment`` their ONNX models and
    ``sessions`` the ONNX Runtime sessions of these.
    """

    models: dict
    results: dict
    reports: dict
    robustness: object = None
    deployment: Deployment = field(default_factory=lambda: Deployment({}))
    sessions: dict = field(default_factory=dict)


def run(settings):
    """``sklprune run``: a dense reference and a pruned model, compared."""
    out, table, settings = prepare(settings)
    print_header(settings, table)
    comparison = _train_and_measure(settings, table)
    if settings.strategy == "auto":
        estimator = comparison.models["pruned"][-1]
        print(
            f"strategy auto chose {estimator.strategy_} for "
            f"{estimator.n_features_in_} network inputs",
            flush=True,
        )
    comparison.robustness = compare(
        comparison.models["dense"],
        comparison.models["pruned"],
        table.X_test,
        table.y_test,
        settings.random_state,
    )
    for name, numbers in model_numbers(comparison.robustness).items():
        comparison.results[name].update(numbers)
    _deploy(settings, table, comparison)
    # The model file is written first, so the table gives its size on disk.
    model_file = _write_model_file(out, comparison, "skops" in settings.extras)
    print()
    print(run_table(comparison.results, settings.task), flush=True)
    print(robustness_notes(comparison.robustness), flush=True)
    write_all(out, _run_files(settings, table, comparison, model_file))
    if "skops" in settings.extras:
        print(
            "load the model with skops.io.load(path, trusted=...) after checking "
            "skops.io.get_untrusted_types(file=path); see sklprune run --help"
        )
    else:
        print("load the model with pickle.load, from a file you trust")
    if comparison.deployment.reason:
        print(f"no model.onnx: {comparison.deployment.reason}")
    elif comparison.deployment.models:
        print(
            "run model.onnx in ONNX Runtime, one input per feature column; see "
            "sklprune run --help"
        )
    print_missing_extras(settings.extras, _gains(settings.task))
    return 0


def _train_and_measure(settings, table):
    """Fit the dense and the pruned pipeline, then measure both."""
    pruned = build_pipeline(table, settings, settings.sparsity)
    # No weight is pruned at sparsity 0, so the criterion goes unused: magnitude
    # gathers no gradient statistics.
    dense = clone(pruned)
    dense[-1].set_params(sparsity=0.0, strategy="magnitude")
    comparison = _Comparison({"dense": dense, "pruned": pruned}, {}, {})
    warm_up(dense, table)
    for name, model in comparison.models.items():
        what = f"training the {name} model"
        fit_time = fit(model, table, settings.show_progress, what)
        model[-1].set_params(verbose=0)
        comparison.results[name], comparison.reports[name] = measure(
            model, table, fit_time
        )
    latencies = measure_latencies(comparison.models, table.X_test)
    for name, numbers in latencies.items():
        comparison.results[name].update(numbers)
    return comparison


def _deploy(settings, table, comparison):
    """With the ``onnx`` extra, convert both pipelines and measure the ONNX models;
    time both pipelines' ``predict_proba`` (and sessions) at batch 1 and 4,096."""
    results = comparison.results
    if settings.onnx:
        comparison.deployment = convert(comparison.models, table, settings.quantize)
        comparison.sessions = sessions_of(comparison.deployment, settings.threads)
        numbers = onnx_numbers(
            comparison.deployment, comparison.sessions, comparison.models, table
        )
        for name, values in numbers.items():
            results[name].update(values)
    latencies = batch_latencies(comparison.models, comparison.sessions, table.X_test)
    for name, values in latencies.items():
        results[name].update(values)


def _write_model_file(out, comparison, use_skops):
    """Save the pruned pipeline; both models' results get their file's size."""
    model_file = out / ("model.skops" if use_skops else "model.pkl")
    write_model(model_file, comparison.models["pruned"], use_skops)
    results = comparison.results
    results["pruned"]["size_file_bytes"] = model_file.stat().st_size
    results["dense"]["size_file_bytes"] = model_file_bytes(
        comparison.models["dense"], use_skops
    )
    return model_file


def _run_files(settings, table, comparison, model_file):
    """The files of ``sklprune run``, ``{name: writer(path)}``, in their order."""
    layers = _layers_frame(comparison.reports["pruned"])
    files = {
        model_file.name: lambda path: model_file,
        **onnx_files(comparison.deployment),
        "report.json": lambda path: write_json(
            path, _run_report(settings, table, comparison, layers)
        ),
        "report.csv": lambda path: write_csv(
            path, results_frame(comparison.results), "model"
        ),
        "layers.csv": lambda path: write_csv(path, layers, "name"),
    }
    if "matplotlib" in settings.extras:
        files |= _run_figures(settings, table, comparison)
    return files


def _run_figures(settings, table, comparison):
    """The plots of ``sklprune run``, ``{name: writer(path)}``."""
    title = f"{table.source}: dense and pruned (sparsity {settings.sparsity:g})"
    plot, draw, what = _COMPARISON_PLOT[settings.task]
    histories = {name: model[-1].history_ for name, model in comparison.models.items()}
    return {
        "training.png": lambda path: write_figure(
            path, training_figure(histories, title)
        ),
        "layers.png": lambda path: write_figure(
            path,
            layers_figure(
                comparison.reports["pruned"],
                f"Pruned layers of the {table.source} model",
            ),
        ),
        plot: lambda path: write_figure(
            path, draw(comparison.robustness, f"{title}: {what}")
        ),
    }


def _run_report(settings, table, comparison, layers):
    """The contents of ``report.json``."""
    pruned = comparison.models["pruned"][-1]
    report = report_head(settings, table)
    report["data"]["n_network_inputs"] = int(pruned.n_features_in_)
    report["settings"]["strategy_used"] = pruned.strategy_
    return report | {
        "models": comparison.results,
        "layers": layers.reset_index(names="name").to_dict("records"),
        "robustness": robustness_json(comparison.robustness),
        "onnx": onnx_report(comparison.deployment, comparison.sessions),
    }


def _layers_frame(report):
    """:func:`~sklprune.sparsity_report` with each shape written as ``AxB``."""
    frame = report.copy()
    frame["shape"] = ["x".join(str(s) for s in shape) for shape in frame["shape"]]
    return frame
