"""The ``sklprune`` command on a regression CSV: the task rule, numbers and files."""

import contextlib
import io
import json

import numpy as np
import pandas as pd
import pytest

from sklprune._defaults import MAX_AUTO_CLASSES
from sklprune.cli import main
from sklprune.cli._data import decide_task

SMALL = ["--epochs", "3", "--hidden-layer-sizes", "16"]
RUN_FILES = [
    "errors.png",
    "layers.csv",
    "layers.png",
    "model.onnx",
    "model.skops",
    "report.csv",
    "report.json",
    "training.png",
]


def _houses(n_rows, seed=0):
    """Area, rooms and a town, and a price that grows with them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "area": rng.normal(100, 30, n_rows).round(1),
            "rooms": rng.integers(1, 6, n_rows),
            "town": rng.choice(["north", "south", "east"], n_rows),
        }
    )
    town = frame["town"].map({"north": 50_000, "south": 0, "east": 20_000})
    noise = rng.normal(0, 20_000, n_rows)
    frame["price"] = 2_000 * frame["area"] + 10_000 * frame["rooms"] + town + noise
    frame["price"] = frame["price"].round(2)
    return frame


@pytest.fixture(scope="module")
def houses(tmp_path_factory):
    folder = tmp_path_factory.mktemp("houses")
    frame = _houses(200)
    frame.iloc[:150].to_csv(folder / "train.csv", index=False)
    frame.iloc[150:].to_csv(folder / "test.csv", index=False)
    return folder


def _run(capsys, argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def regression_run(houses):
    """One ``sklprune run`` on the houses files: its status, output and folder."""
    out = houses / "out_run"
    argv = ["run", "--train", houses / "train.csv", "--test", houses / "test.csv"]
    argv += ["--target", "price", "--sparsity", "0.8", "--out", out, *SMALL]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([str(a) for a in argv])
    return status, printed.getvalue(), out


def test_a_numeric_target_with_fractions_is_regressed(regression_run):
    status, out, folder = regression_run
    assert status == 0
    assert "target 'price', regression (150 distinct values from " in out
    assert "loss squared_error" in out
    for row in [
        "R² (train)",
        "R² (test)",
        "MAE (test)",
        "RMSE (test)",
        "residual std (test)",
        "R², noise 0.5 (test)",
        "worst target quantile (MAE)",
        "predictions moved (test)",
        "R², ONNX (test)",
        "largest difference from predict, ONNX (test)",
        "latency, 4,096 rows (Python)",
    ]:
        assert f"\n{row}  " in out
    assert "accuracy" not in out
    assert sorted(p.name for p in folder.iterdir()) == RUN_FILES


def test_the_report_holds_the_regression_numbers_of_both_models(regression_run, houses):
    _, _, folder = regression_run
    report = json.loads((folder / "report.json").read_text())
    assert report["data"]["task"] == report["settings"]["task"] == "regression"
    assert "classes" not in report["data"]
    train = pd.read_csv(houses / "train.csv")
    assert report["data"]["target_range"] == [train.price.min(), train.price.max()]
    models, robustness = report["models"], report["robustness"]
    scores = {row["score"]: row for row in robustness["scores"]}
    for name in ["dense", "pruned"]:
        assert scores["r2"][name] == pytest.approx(models[name]["r2_test"])
        assert scores["mean_absolute_error"][name] == pytest.approx(
            models[name]["mae_test"]
        )
        assert models[name]["rmse_test"] >= models[name]["mae_test"]
    assert models["pruned"]["sparsity"] == pytest.approx(0.8, abs=0.01)
    assert models["dense"]["worst_quantile"] is None
    assert models["pruned"]["moved_test"] == robustness["n_changed"]
    assert len(robustness["by_target_quantile"]) == robustness["n_quantiles"] == 5
    test = pd.read_csv(houses / "test.csv")
    assert robustness["tolerance"] == pytest.approx(0.1 * test.price.std(ddof=0))
    table = pd.read_csv(folder / "report.csv", index_col="model")
    assert table.loc["pruned", "r2_test"] == models["pruned"]["r2_test"]


def test_the_onnx_model_of_a_regressor_predicts_what_predict_does(regression_run):
    pytest.importorskip("onnxruntime")
    _, _, folder = regression_run
    report = json.loads((folder / "report.json").read_text())
    for name, numbers in report["models"].items():
        assert numbers["r2_onnx_test"] == pytest.approx(numbers["r2_test"], abs=1e-4)
        assert numbers["onnx_max_difference_test"] <= 1e-3 * numbers["mae_test"]


def test_the_saved_regressor_predicts_what_the_report_scored(regression_run, houses):
    sio = pytest.importorskip("skops.io")
    _, _, folder = regression_run
    path = folder / "model.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert type(model[-1]).__name__ == "PrunedRegressor"
    test = pd.read_csv(houses / "test.csv")
    report = json.loads((folder / "report.json").read_text())
    r2 = model.score(test.drop(columns="price"), test["price"])
    assert r2 == pytest.approx(report["models"]["pruned"]["r2_test"])


@pytest.mark.parametrize(
    "values, task",
    [
        (np.array([1.5, 2.0, 3.0]), "regression"),
        (np.arange(MAX_AUTO_CLASSES), "classification"),
        (np.arange(MAX_AUTO_CLASSES + 1), "regression"),
        (np.array(["cheap", "dear"], dtype=object), "classification"),
        (np.array([True, False]), "classification"),
    ],
)
def test_auto_regresses_fractions_and_many_whole_numbers(values, task):
    assert decide_task(values, "auto") == task
    assert decide_task(values, "classification") == "classification"


def test_task_regression_regresses_few_whole_numbers_with_a_random_split(
    tmp_path, capsys
):
    frame = _houses(120).assign(rooms_left=lambda f: f["rooms"] % 3)
    frame.drop(columns="price").to_csv(tmp_path / "train.csv", index=False)
    argv = ["run", "--train", tmp_path / "train.csv", "--target", "rooms_left"]
    argv += ["--task", "regression", "--quiet", "--out", tmp_path / "out", *SMALL]
    status, out, err = _run(capsys, argv)
    assert status == 0, err
    assert "target 'rooms_left', regression (3 distinct values from 0 to 2" in out
    assert "test rows held out: a random 25% of the data" in out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["test"] == "held out: a random 0.25 of the data"


def test_a_regression_loss_trains_the_regressor(houses, tmp_path, capsys):
    argv = ["run", "--train", houses / "train.csv", "--target", "price"]
    argv += ["--loss", "huber", "--quiet", "--out", tmp_path, *SMALL]
    status, out, err = _run(capsys, argv)
    assert status == 0, err
    assert "loss huber" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["settings"]["loss"] == "huber"


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--target", "price", "--loss", "cross_entropy"],
            "--loss cross_entropy is a loss for classification, and the target is "
            "learned by regression; pass --loss one of squared_error, "
            "absolute_error, huber, poisson, or --task classification",
        ),
        (
            ["--target", "town", "--loss", "squared_error"],
            "--loss squared_error is a loss for regression",
        ),
        (
            ["--target", "town", "--task", "regression"],
            "target column 'town' of {train} holds 'north', not a number",
        ),
        (
            ["--target", "price", "--test", "{bad_test}"],
            "target column 'price' of {bad_test} holds 'unknown', not a number",
        ),
    ],
)
def test_regression_mistakes_are_one_line_and_status_2(
    argv, message, houses, tmp_path, capsys
):
    bad_test = tmp_path / "bad_test.csv"
    pd.read_csv(houses / "test.csv").astype({"price": object}).assign(
        price="unknown"
    ).to_csv(bad_test, index=False)
    names = {"train": houses / "train.csv", "bad_test": bad_test}
    argv = [a.format(**names) for a in argv]
    command = ["run", "--train", houses / "train.csv", *argv, "--out", tmp_path]
    status, out, err = _run(capsys, command)
    assert status == 2 and out == ""
    assert err.startswith("sklprune: error: ") and err.count("\n") == 1
    assert message.format(**names) in err


def test_curve_of_a_regression_target_scores_r2_and_errors(houses, tmp_path, capsys):
    argv = ["curve", "--train", houses / "train.csv", "--target", "price"]
    argv += ["--sparsities", "0,0.8", "--cv", "2", "--out", tmp_path, *SMALL]
    status, out, err = _run(capsys, argv)
    assert status == 0, err
    assert "scoring   2-fold cross-validation over the 150 rows" in out
    header = next(line for line in out.splitlines() if line.startswith("sparsity"))
    assert header.split()[3:] == [
        "train",
        "R²",
        "test",
        "R²",
        "test",
        "MAE",
        "test",
        "RMSE",
        "fit",
        "time",
    ]
    report = json.loads((tmp_path / "curve.json").read_text())
    assert report["score_name"] == "R²"
    points = report["points"]
    assert [len(p["test_mean_absolute_error"]) for p in points] == [2, 2]
    assert "test_calibration_error" not in points[0]
    frame = pd.read_csv(tmp_path / "curve.csv")
    assert frame["mean_test_root_mean_squared_error"].tolist() == pytest.approx(
        [np.mean(p["test_root_mean_squared_error"]) for p in points]
    )
    assert (tmp_path / "curve.png").exists()


def test_the_documented_task_rule_is_the_one_applied():
    import sklprune.cli

    assert f"more than {MAX_AUTO_CLASSES} distinct whole numbers" in " ".join(
        sklprune.cli.__doc__.split()
    )
