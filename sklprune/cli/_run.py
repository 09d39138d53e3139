"""``sklprune run``: a dense reference and a pruned model, trained and compared.

Both are measured (:mod:`sklprune.cli._report`) and compared for robustness
(:mod:`sklprune.cli._robustness`); the pruned pipeline is saved first, so the table
gives the size of its file, then the report, the tables and the plots.
"""

import pandas as pd
from sklearn.base import clone

from ._data import hold_out
from ._pipeline import build_pipeline, fit, warm_up
from ._report import (
    layers_figure,
    measure,
    measure_latencies,
    model_file_bytes,
    run_table,
    training_figure,
    write_csv,
    write_figure,
    write_json,
    write_model,
)
from ._robustness import compare, model_numbers, reliability_figure
from ._robustness import describe as describe_robustness
from ._robustness import report_json as robustness_json
from ._steps import (
    installed_extras,
    prepare,
    print_header,
    print_missing_extras,
    report_head,
    write_all,
)


def run(args):
    """``sklprune run``: a dense reference and a pruned model, compared."""
    out, table = prepare(args)
    if table.X_test is None:
        hold_out(table, args.test_size, args.random_state)
    print_header("run", args, table)
    pruned = build_pipeline(table, args, args.sparsity)
    # No weight is pruned at sparsity 0, so the criterion goes unused: magnitude
    # gathers no gradient statistics.
    dense = clone(pruned).set_params(
        classifier__sparsity=0.0, classifier__strategy="magnitude"
    )
    models, results, reports = {"dense": dense, "pruned": pruned}, {}, {}
    warm_up(dense, table)
    for name, model in models.items():
        fit_time = fit(model, table, args, f"training the {name} model")
        model.set_params(classifier__verbose=0)
        results[name], reports[name] = measure(model, table, fit_time)
    for name, latencies in measure_latencies(models, table.X_test).items():
        results[name].update(latencies)
    if args.strategy == "auto":
        classifier = pruned[-1]
        print(
            f"strategy auto chose {classifier.strategy_} for "
            f"{classifier.n_features_in_} network inputs",
            flush=True,
        )
    robustness = compare(dense, pruned, table.X_test, table.y_test, args.random_state)
    for name, numbers in model_numbers(robustness).items():
        results[name].update(numbers)
    extras = installed_extras()
    # The model file is written first, so the table gives its size on disk.
    model_file = out / ("model.skops" if extras["skops"] else "model.pkl")
    write_model(model_file, pruned, extras["skops"])
    results["pruned"]["size_file_bytes"] = model_file.stat().st_size
    results["dense"]["size_file_bytes"] = model_file_bytes(dense, extras["skops"])
    print()
    print(run_table(results), flush=True)
    print(describe_robustness(robustness), flush=True)
    title = f"{table.source}: dense and pruned (sparsity {args.sparsity:g})"
    layers = _layers_frame(reports["pruned"])
    files = {
        model_file.name: lambda path: model_file,
        "report.json": lambda path: write_json(
            path, _run_report(args, table, pruned, results, layers, robustness)
        ),
        "report.csv": lambda path: write_csv(
            path, pd.DataFrame.from_dict(results, orient="index"), "model"
        ),
        "layers.csv": lambda path: write_csv(path, layers, "name"),
    }
    if extras["matplotlib"]:
        files["training.png"] = lambda path: write_figure(
            path,
            training_figure({n: m[-1].history_ for n, m in models.items()}, title),
        )
        files["layers.png"] = lambda path: write_figure(
            path,
            layers_figure(
                reports["pruned"], f"Pruned layers of the {table.source} model"
            ),
        )
        files["reliability.png"] = lambda path: write_figure(
            path, reliability_figure(robustness, f"{title}: calibration and recall")
        )
    write_all(out, files)
    if extras["skops"]:
        print(
            "load the model with skops.io.load(path, trusted=...) after checking "
            "skops.io.get_untrusted_types(file=path); see sklprune run --help"
        )
    else:
        print("load the model with pickle.load, from a file you trust")
    print_missing_extras(
        extras,
        {
            "matplotlib": "the plots training.png, layers.png and reliability.png",
            "skops": "model.skops, a model file that loads without pickle",
        },
    )
    return 0


def _run_report(args, table, pruned, results, layers, robustness):
    report = report_head("run", args, table)
    report["data"]["n_network_inputs"] = int(pruned[-1].n_features_in_)
    report["settings"]["strategy_used"] = pruned[-1].strategy_
    return report | {
        "models": results,
        "layers": layers.reset_index(names="name").to_dict("records"),
        "robustness": robustness_json(robustness),
    }


def _layers_frame(report):
    """:func:`~sklprune.sparsity_report` with each shape written as ``AxB``."""
    frame = report.copy()
    frame["shape"] = ["x".join(str(s) for s in shape) for shape in frame["shape"]]
    return frame
