"""``sklprune run`` with the ``onnx`` extra: model.onnx, model.int8.onnx, the report.

The model files are run as a user runs them, with onnxruntime alone and the recipe
that ``sklprune run --help`` prints.
"""

import contextlib
import io
import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest

from sklprune.cli import main

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

SMALL = ["--epochs", "3", "--hidden-layer-sizes", "16", "--quiet"]
ONNX_ROWS = [
    "accuracy, ONNX (test)",
    "labels as predict's, ONNX (test)",
    "model file (ONNX)",
    "latency, 1 row (ONNX Runtime)",
    "latency, 4,096 rows (ONNX Runtime)",
]
INT8_ROWS = [
    "accuracy, ONNX int8 (test)",
    "model file (ONNX int8)",
    "latency, 1 row (ONNX Runtime int8)",
    "latency, 4,096 rows (ONNX Runtime int8)",
]
PYTHON_ROWS = ["latency, 1 row (Python)", "latency, 4,096 rows (Python)"]


def _frame(n_rows, seed=0):
    """Numbers, a category and a short review; a missing number and category in
    the last rows too, which become the test rows."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["no", "yes"], size=n_rows)
    words = {"yes": ["great fun", "loved it"], "no": ["dull plot", "boring mess"]}
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n_rows).round(1),
            "colour": rng.choice(["red", "green", "blue"], n_rows),
            "review": [f"{rng.choice(words[v])} film" for v in label],
            "label": label,
        }
    )
    for row in (3, n_rows - 4):
        frame.loc[row, "age"] = np.nan
    for row in (5, n_rows - 2):
        frame.loc[row, "colour"] = np.nan
    return frame


def _run(argv):
    """``main(argv)`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def onnx_run(tmp_path_factory):
    """One run on a CSV of numbers, categories and text, with ``--quantize int8``."""
    folder = tmp_path_factory.mktemp("onnx_run")
    frame = _frame(100)
    frame.iloc[:75].to_csv(folder / "train.csv", index=False)
    frame.iloc[75:].to_csv(folder / "test.csv", index=False)
    argv = ["run", "--train", folder / "train.csv", "--test", folder / "test.csv"]
    argv += ["--target", "label", "--text-column", "review", "--quantize", "int8"]
    status, out, err = _run([*argv, "--out", folder / "out", *SMALL])
    assert status == 0, err
    report = json.loads((folder / "out" / "report.json").read_text())
    return folder, out, report


def _help_recipe():
    """The code of ``sklprune run --help`` that runs model.onnx."""
    from sklprune.cli._parser import build_parser

    parser = build_parser()
    run = next(a for a in parser._actions if a.dest == "command").choices["run"]
    text = run.format_help()
    block = text.split("running model.onnx in ONNX Runtime", 1)[1]
    lines = block.split("\n\n", 1)[0].splitlines()[2:]
    return textwrap.dedent("\n".join(lines))


def _run_recipe(path, rows):
    """``label, probabilities`` of the help's recipe, on ``rows``."""
    code = _help_recipe().replace('"results/model.onnx"', repr(str(path)))
    namespace = {"rows": rows}
    exec(compile(code, "sklprune run --help", "exec"), namespace)
    return namespace["label"], namespace["probabilities"]


def test_model_onnx_predicts_what_the_saved_model_predicts(onnx_run):
    sio = pytest.importorskip("skops.io")
    folder, _, _ = onnx_run
    model_file = folder / "out" / "model.skops"
    model = sio.load(model_file, trusted=sio.get_untrusted_types(file=model_file))
    rows = pd.read_csv(folder / "test.csv").drop(columns="label")
    assert rows["age"].isna().any() and rows["colour"].isna().any()
    label, probabilities = _run_recipe(folder / "out" / "model.onnx", rows)
    np.testing.assert_array_equal(label.ravel(), model.predict(rows))
    np.testing.assert_allclose(probabilities, model.predict_proba(rows), atol=1e-5)


def test_the_table_compares_onnx_accuracy_size_and_latency(onnx_run):
    _, out, _ = onnx_run
    header = next(
        line for line in out.splitlines() if line.split() == ["dense", "pruned"]
    )
    assert header.startswith(" ")
    for row in [*ONNX_ROWS, *INT8_ROWS, *PYTHON_ROWS]:
        match = re.search(rf"\n{re.escape(row)}  +(\S+ ?\S*)  +(\S+ ?\S*)\n", out)
        assert match, row
        assert "n/a" not in match.groups(), row
    assert "run model.onnx in ONNX Runtime" in out
    assert "not installed" not in out


def test_the_report_gives_what_the_files_hold(onnx_run):
    folder, _, report = onnx_run
    out = folder / "out"
    test = pd.read_csv(folder / "test.csv")
    rows = test.drop(columns="label")
    pruned = report["models"]["pruned"]
    for kind, key in [("model.onnx", "onnx"), ("model.int8.onnx", "onnx_int8")]:
        path = out / kind
        assert pruned[f"size_{key}_bytes"] == path.stat().st_size
        label, _ = _run_recipe(path, rows)
        accuracy = float(np.mean(label.ravel() == test["label"].to_numpy()))
        assert pruned[f"accuracy_{key}_test"] == pytest.approx(accuracy)
    for name in ("dense", "pruned"):
        numbers = report["models"][name]
        assert numbers["onnx_agreement_test"] == 1.0
        assert numbers["python_latency_us_batch_1"] > 0
        assert numbers["onnx_latency_ms_batch_4096"] > 0
        assert numbers["onnx_int8_latency_us_batch_1"] > 0
    table = pd.read_csv(out / "report.csv", index_col="model")
    assert table.loc["pruned", "size_onnx_bytes"] == pruned["size_onnx_bytes"]
    assert report["onnx"] == {
        "files": ["model.onnx", "model.int8.onnx"],
        "inputs": {
            "age": {"column": "age", "type": "tensor(float)"},
            "colour": {"column": "colour", "type": "tensor(string)"},
            "review": {"column": "review", "type": "tensor(string)"},
        },
        "outputs": ["label", "probabilities"],
        "missing_category": "",
        "reason": None,
    }


def test_the_int8_file_holds_an_int8_network(onnx_run):
    import onnx

    folder, _, _ = onnx_run
    operations = {
        node.op_type
        for node in onnx.load(folder / "out" / "model.int8.onnx").graph.node
    }
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= operations
    fp32 = {
        node.op_type for node in onnx.load(folder / "out" / "model.onnx").graph.node
    }
    assert "MatMulInteger" not in fp32


def test_without_quantize_only_model_onnx_is_written(tmp_path):
    argv = ["run", "--dataset", "iris", "--out", tmp_path, *SMALL]
    status, out, err = _run(argv)
    assert status == 0, err
    assert (tmp_path / "model.onnx").exists()
    assert not (tmp_path / "model.int8.onnx").exists()
    assert all(f"\n{row}  " in out for row in ONNX_ROWS)
    assert not any(f"\n{row}  " in out for row in INT8_ROWS)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["onnx"]["files"] == ["model.onnx"]
    inputs = report["onnx"]["inputs"]
    columns = report["data"]["numeric_columns"]
    assert "sepal length (cm)" in columns
    assert [item["column"] for item in inputs.values()] == columns
    assert "sepal_length__cm_" in inputs  # skl2onnx's name of the column
    rows = pd.DataFrame(np.ones((3, len(columns))), columns=columns)
    label, probabilities = _run_recipe(tmp_path / "model.onnx", rows)
    assert probabilities.shape == (3, 3) and label.dtype == object
    pruned = report["models"]["pruned"]
    assert pruned["onnx_agreement_test"] == 1.0
    assert "accuracy_onnx_int8_test" not in pruned


def test_integer_labels_come_out_of_model_onnx_as_integers(tmp_path):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(120, 3)), columns=["a", "b", "c"])
    frame["label"] = (frame["a"] > 0).astype(int) + 2 * (frame["b"] > 0)
    frame.to_csv(tmp_path / "train.csv", index=False)
    argv = ["run", "--train", tmp_path / "train.csv", "--target", "label"]
    status, _, err = _run([*argv, "--out", tmp_path / "out", *SMALL])
    assert status == 0, err
    session = ort.InferenceSession(tmp_path / "out" / "model.onnx")
    rows = frame[["a", "b", "c"]].iloc[:10]
    feed = {name: rows[[name]].to_numpy(np.float32) for name in ["a", "b", "c"]}
    label, _ = session.run(None, feed)
    assert label.dtype == np.int64
    assert set(label) <= {0, 1, 2, 3}


def test_a_pipeline_skl2onnx_cannot_convert_gets_a_line_saying_why(tmp_path):
    rng = np.random.default_rng(0)
    n_rows = 400
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=n_rows),
            "town": [f"town {i}" for i in rng.integers(0, 150, n_rows)],
        }
    )
    frame["label"] = np.where(frame["size"] > 0, "big", "small")
    frame.to_csv(tmp_path / "train.csv", index=False)
    argv = ["run", "--train", tmp_path / "train.csv", "--target", "label"]
    argv += ["--quantize", "int8"]
    status, out, err = _run([*argv, "--out", tmp_path / "out", *SMALL])
    assert status == 0, err
    notes = [line for line in out.splitlines() if line.startswith("no model.onnx")]
    assert notes == [
        "no model.onnx: skl2onnx cannot convert one-hot columns whose rarest "
        "categories share an input, as those of 'town' do (more than 100 "
        "categories); leave them out with --drop to get model.onnx"
    ]
    assert not list((tmp_path / "out").glob("*.onnx"))
    assert not any(f"\n{row}  " in out for row in [*ONNX_ROWS, *INT8_ROWS])
    assert all(f"\n{row}  " in out for row in PYTHON_ROWS)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["onnx"]["files"] == []
    assert "'town'" in report["onnx"]["reason"]
