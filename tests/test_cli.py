"""The ``sklprune`` command, run as a user runs it.

Every command line that runs as a subprocess is started once, all at the same time,
by the ``launched`` fixture (a Python start imports torch, about three seconds), and
each test reads the result of its own. Errors found before training are also tested
in-process through ``main``, which costs no start-up.
"""

import importlib.util
import io
import json
import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sklprune.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ONNX_INSTALLED = all(
    importlib.util.find_spec(name) for name in ("skl2onnx", "onnx", "onnxruntime")
)
RUN_FILES = [
    "model.skops",
    *(["model.onnx"] if ONNX_INSTALLED else []),
    "report.json",
    "report.csv",
    "layers.csv",
    "training.png",
    "layers.png",
    "reliability.png",
]
SMALL = ["--epochs", "3", "--hidden-layer-sizes", "16"]
ON_TRAIN = ["--train", "{d}/train.csv", "--target", "label"]
CLASSIFY = ["--task", "classification"]


def _frame(n_rows, seed=0):
    """Numbers, a category and a short review whose words give the label away."""
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
    frame.loc[3, "age"] = np.nan
    frame.loc[5, "colour"] = np.nan
    return frame


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    frame = _frame(80)
    frame.iloc[:60].to_csv(d / "train.csv", index=False)
    frame.iloc[60:].to_csv(d / "test.csv", index=False)
    frame.assign(label="yes").to_csv(d / "one_class.csv", index=False)
    frame.assign(name=[f"person {i}" for i in range(80)]).to_csv(
        d / "with_names.csv", index=False
    )
    (d / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (d / "a_file").write_text("not a directory\n")
    return d


# Command lines run as subprocesses; "{d}" is the data directory.
ERRORS = {
    "missing_file": (
        ["run", "--train", "{d}/nope.csv", "--target", "label"],
        "--train {d}/nope.csv: no such file; check the path",
    ),
    "unreadable_csv": (
        ["run", "--train", "{d}/binary.csv", "--target", "label"],
        "cannot read --train {d}/binary.csv as CSV",
    ),
    "target_missing": (
        ["run", "--train", "{d}/train.csv", "--target", "lable"],
        "target column 'lable' is not in {d}/train.csv; its columns are: 'age', "
        "'colour', 'review', 'label' (pass one of them with --target)",
    ),
    "one_class": (
        ["run", "--train", "{d}/one_class.csv", "--target", "label"],
        "has a single class ('yes'); a classifier needs rows of at least two classes",
    ),
    "unencodable_column": (
        ["run", "--train", "{d}/with_names.csv", "--target", "label"],
        "column 'name' of {d}/with_names.csv is not numeric and has 80 distinct "
        "values in 80 rows, too many to one-hot encode; name it with --text-column "
        "if it is text, or leave it out with --drop 'name'",
    ),
    "output_not_writable": (
        ["run", "--out", "{d}/a_file/results"],
        "cannot write to output directory {d}/a_file/results (Not a directory); "
        "pass --out a directory you can write to",
    ),
    "bad_sparsity": (
        ["run", "--sparsity", "1.5"],
        "argument --sparsity: must be a number in [0, 1)",
    ),
    "unknown_strategy": (
        ["run", "--strategy", "biggest"],
        "argument --strategy: invalid choice: 'biggest' (choose from 'auto', "
        "'fisher', 'gradient', 'magnitude', 'random')",
    ),
}

SUCCESSES = {
    "run_csv_with_text": [
        "run",
        "--train",
        "{d}/train.csv",
        "--test",
        "{d}/test.csv",
        "--target",
        "label",
        "--text-column",
        "review",
        "--sparsity",
        "0.8",
        "--granularity",
        "weight",
        "--out",
        "{d}/out_run",
        *SMALL,
    ],
}


class _Launched:
    def __init__(self, data_dir, commands):
        self.data_dir = data_dir
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        self.processes = {
            name: subprocess.Popen(
                [sys.executable, "-m", "sklprune", *self.format(argv)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                env=env,
                cwd=data_dir,
            )
            for name, argv in commands.items()
        }

    def format(self, value):
        if isinstance(value, list):
            return [self.format(v) for v in value]
        return value.replace("{d}", str(self.data_dir))

    def result(self, name):
        process = self.processes[name]
        out, err = process.communicate(timeout=300)
        return process.returncode, out, err

    def close(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def launched(data_dir):
    commands = {name: argv for name, (argv, _) in ERRORS.items()} | SUCCESSES
    started = _Launched(data_dir, commands)
    yield started
    started.close()


# ---------------------------------------------------------------- user errors


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_user_error_exits_2_with_one_line_naming_the_problem_and_fix(
    case, launched, data_dir
):
    status, out, err = launched.result(case)
    expected = launched.format(ERRORS[case][1])
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("sklprune: error: ")
    assert expected in err
    assert "Traceback" not in err
    assert not (data_dir / "results" / "model.skops").exists()


def _in_process(capsys, argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _not_notes(err):
    """The lines of standard error but the notes on the data printed before."""
    return [line for line in err.splitlines() if not line.startswith("sklprune: note:")]


def _write(path, frame):
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--train", "{d}/train.csv"], "--target is required with --train"),
        (["run", "--test", "{d}/test.csv"], "--test needs --train"),
        (["run", "--target", "label"], "--target needs --train"),
        (
            ["run", "--dataset", "iris", "--train", "{d}/train.csv", "--target", "x"],
            "--dataset and --train cannot be used together",
        ),
        (["run", "--train", "{d}"], "is a directory; pass a CSV file"),
        (["run", "--train", "{d}/empty.csv", "--target", "y"], "is empty"),
        (["run", "--train", "{d}/header.csv", "--target", "y"], "has a header but no"),
        (
            ["run", "--train", "{d}/train.csv", "--target", "label", "--drop", "x"],
            "--drop 'x' is not a column of",
        ),
        (
            ["run", *ON_TRAIN, "--text-column", "label"],
            "--text-column 'label' is the target column",
        ),
        (
            ["run", "--train", "{d}/train.csv", "--target", "age", *CLASSIFY],
            "target column 'age' of {d}/train.csv holds continuous numbers",
        ),
        (
            ["run", *ON_TRAIN, "--test", "{d}/no_colour.csv"],
            "lacks column 'colour' that the training data has",
        ),
        (
            ["run", *ON_TRAIN, "--test", "{d}/new_class.csv"],
            "has classes the training data lacks ('maybe')",
        ),
        (
            ["run", *ON_TRAIN, "--test", "{d}/text_age.csv"],
            "column 'age' is numeric in the training data but holds 'old' in",
        ),
        (
            ["run", "--train", "{d}/rare.csv", "--target", "label"],
            "class 'maybe' of target 'label' has only one row",
        ),
        (
            ["curve", *ON_TRAIN, "--test", "{d}/test.csv", "--cv", "3"],
            "--cv and --test cannot be used together",
        ),
        (
            ["run", "--epochs", "4", "--finetune-epochs", "4"],
            "--finetune-epochs 4 must be smaller than --epochs 4",
        ),
        (["run", "--hidden-layer-sizes", "64,0"], "argument --hidden-layer-sizes"),
        (["run", "--epochs", "0"], "argument --epochs: must be a whole number >= 1"),
        (["run", "--dataset", "mnist"], "argument --dataset: invalid choice"),
        (["run", "--quantize", "int4"], "argument --quantize: invalid choice"),
        (["curve", "--sparsities", "0,1"], "argument --sparsities: must be a number"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_mistakes_found_before_training_are_one_line_and_status_2(
    argv, message, data_dir, capsys
):
    frame = _frame(60)
    (data_dir / "empty.csv").write_text("")
    (data_dir / "header.csv").write_text("x,y\n")
    _write(data_dir / "no_colour.csv", frame.drop(columns="colour"))
    _write(data_dir / "new_class.csv", frame.assign(label="maybe"))
    _write(data_dir / "text_age.csv", frame.astype({"age": object}).assign(age="old"))
    _write(data_dir / "rare.csv", frame.assign(label=["maybe", *frame.label[1:]]))
    argv = [a.replace("{d}", str(data_dir)) for a in argv]
    out_option = ["--out", data_dir / "unused"] if argv else []
    status, out, err = _in_process(capsys, argv + out_option)
    assert status == 2
    assert err.startswith("sklprune: error: ") and err.count("\n") == 1
    assert message.replace("{d}", str(data_dir)) in err
    assert out == ""


def test_text_column_without_words_is_a_user_error(tmp_path, capsys):
    frame = _frame(40).assign(review="!")
    path = _write(tmp_path / "train.csv", frame)
    argv = ["run", "--train", path, "--target", "label", "--text-column", "review"]
    status, _, err = _in_process(capsys, [*argv, "--out", tmp_path, *SMALL])
    assert status == 2
    assert "text column 'review' holds no words to encode" in err
    assert len(_not_notes(err)) == 1


# -------------------------------------------------------------------- success


def test_run_on_csv_files_prints_the_table_and_writes_every_file(launched, data_dir):
    status, out, err = launched.result("run_csv_with_text")
    assert status == 0, err
    assert "Traceback" not in err
    assert "features  1 numeric (standardised), 1 categorical (one-hot), text " in out
    assert "rows      60 train, 20 test\n" in out
    header = next(
        line for line in out.splitlines() if line.split() == ["dense", "pruned"]
    )
    assert header.startswith(" ")
    for row in [
        "accuracy (train)",
        "accuracy (test)",
        "log-loss (train)",
        "log-loss (test)",
        "parameters",
        "non-zero parameters",
        "sparsity (prunable weights)",
        "compression (prunable weights)",
        "model size (torch.save)",
        "latency per 1000 rows (predict)",
        "calibration error, ECE (test)",
        "Brier score (test)",
        "accuracy, noise 0.5 (test)",
        "recall change, worst class (test)",
    ]:
        assert f"\n{row}  " in out
    assert "predictions changed by pruning: " in out
    out_dir = data_dir / "out_run"
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(RUN_FILES)
    for name in ["training.png", "layers.png", "reliability.png"]:
        assert (out_dir / name).read_bytes().startswith(PNG_SIGNATURE)

    report = json.loads((out_dir / "report.json").read_text())
    dense, pruned = report["models"]["dense"], report["models"]["pruned"]
    assert report["data"]["text_column"] == "review"
    assert report["data"]["categorical_columns"] == ["colour"]
    assert report["data"]["n_train"] == 60 and report["data"]["n_test"] == 20
    assert report["data"]["test"] == str(data_dir / "test.csv")
    assert report["settings"]["sparsity"] == 0.8
    assert dense["sparsity"] == 0.0 and dense["nonzero"] == dense["parameters"]
    assert pruned["sparsity"] == pytest.approx(0.8, abs=0.01)
    assert pruned["nonzero"] < dense["nonzero"]
    assert pruned["parameters"] == dense["parameters"]
    assert pruned["epochs"] == 3
    assert report["layers"][-1]["name"] == "total"

    table = pd.read_csv(out_dir / "report.csv", index_col="model")
    assert list(table.index) == ["dense", "pruned"]
    assert table.loc["pruned", "accuracy_test"] == pruned["accuracy_test"]
    layers = pd.read_csv(out_dir / "layers.csv", index_col="name")
    assert layers.loc["total", "nonzero"] == pruned["prunable_nonzero"]


def test_run_report_says_whether_pruning_hurt(launched, data_dir):
    status, _, err = launched.result("run_csv_with_text")
    assert status == 0, err
    report = json.loads((data_dir / "out_run" / "report.json").read_text())
    models, robustness = report["models"], report["robustness"]
    assert robustness["ece_bins"] == 15
    assert robustness["noise_kind"] in {"gaussian", "dropout"}
    scores = {row["score"]: row for row in robustness["scores"]}
    assert set(scores) == {
        "accuracy",
        "expected_calibration_error",
        "brier_score",
        "log_loss",
    }
    for name in ["dense", "pruned"]:
        assert scores["accuracy"][name] == models[name]["accuracy_test"]
        assert scores["log_loss"][name] == pytest.approx(models[name]["log_loss_test"])
        assert models[name]["ece_test"] == scores["expected_calibration_error"][name]
        assert 0 <= models[name]["accuracy_noise_0.5_test"] <= 1
    noise = {row["level"]: row for row in robustness["noise"]}
    assert sorted(noise) == [0.0, 0.1, 0.25, 0.5]
    assert noise[0.0]["accuracy_pruned"] == models["pruned"]["accuracy_test"]
    per_class = robustness["per_class"]
    assert {row["class"] for row in per_class} == {"no", "yes"}
    assert models["pruned"]["worst_class"] == per_class[0]["class"]
    assert models["pruned"]["worst_class_recall_change"] == min(
        row["recall_change"] for row in per_class
    )
    assert models["dense"]["worst_class"] is None
    test = pd.read_csv(data_dir / "test.csv")
    changed = robustness["changed"]
    assert robustness["n_changed"] == len(changed)
    assert sum(row["changed"] for row in robustness["changed_by_class"]) == len(changed)
    for row in changed:
        assert row["true"] == test.loc[row["row"], "label"]
        assert row["predicted_dense"] != row["predicted_pruned"]


def test_saved_model_loads_safely_and_scores_what_the_report_says(launched, data_dir):
    sio = pytest.importorskip("skops.io")
    status, _, err = launched.result("run_csv_with_text")
    assert status == 0, err
    path = data_dir / "out_run" / "model.skops"
    untrusted = sio.get_untrusted_types(file=path)
    assert all(
        t == "numpy.dtype" or t.startswith(("sklprune.", "torch.nn.modules."))
        for t in untrusted
    )
    model = sio.load(path, trusted=untrusted)
    test = pd.read_csv(data_dir / "test.csv")
    report = json.loads((data_dir / "out_run" / "report.json").read_text())
    accuracy = model.score(test.drop(columns="label"), test["label"])
    assert accuracy == report["models"]["pruned"]["accuracy_test"]
    assert model[-1].verbose == 0


def test_run_reports_the_size_of_the_model_file_it_wrote(launched, data_dir):
    status, out, err = launched.result("run_csv_with_text")
    assert status == 0, err
    path = data_dir / "out_run" / "model.skops"
    report = json.loads((data_dir / "out_run" / "report.json").read_text())
    dense, pruned = report["models"]["dense"], report["models"]["pruned"]
    assert pruned["size_file_bytes"] == path.stat().st_size
    assert pruned["size_pickle_bytes"] < dense["size_pickle_bytes"]
    assert "\nmodel file (as written)  " in out


def test_text_model_file_is_no_larger_than_its_pickle(tmp_path, capsys):
    import pickle

    sio = pytest.importorskip("skops.io")
    argv = ["run", "--dataset", "rotten_tomatoes", "--quiet", "--out", tmp_path]
    status, _, err = _in_process(capsys, [*argv, *SMALL])
    assert status == 0, err
    path = tmp_path / "model.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert len(model[0].named_transformers_["text"].vocabulary_) > 2000
    pruned = json.loads((tmp_path / "report.json").read_text())["models"]["pruned"]
    assert path.stat().st_size == pruned["size_file_bytes"]
    assert path.stat().st_size <= pruned["size_pickle_bytes"]
    assert path.stat().st_size <= len(pickle.dumps(model))


def test_bundled_data_set_holds_out_a_stratified_test_split(tmp_path, capsys):
    argv = ["run", "--dataset", "iris", "--quiet", "--out", tmp_path, *SMALL]
    status, out, err = _in_process(capsys, argv)
    assert status == 0
    assert err == ""  # --quiet, and not a terminal anyway
    assert out.startswith("sklprune run\ndata      iris (bundled): target 'target'")
    assert "test rows held out: a stratified 25% of the data" in out
    assert "\nstrategy auto chose fisher for 4 network inputs\n" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["data"]["n_test"] == math.ceil(0.25 * 150)
    assert report["data"]["test"] == "held out: a stratified 0.25 of the data"
    assert report["data"]["classes"] == ["setosa", "versicolor", "virginica"]


def test_run_without_matplotlib_skips_the_plots_with_one_line(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    argv = ["run", "--dataset", "iris", "--out", tmp_path, *SMALL]
    status, out, err = _in_process(capsys, argv)
    assert status == 0, err
    assert (
        "not installed: matplotlib; pip install 'sklprune[plot]' adds the plots "
        "training.png, layers.png and reliability.png\n" in out
    )
    assert "calibration error, ECE (test)" in out
    assert not list(tmp_path.glob("*.png"))
    assert (tmp_path / "model.skops").exists()
    assert "robustness" in json.loads((tmp_path / "report.json").read_text())


def test_curve_prints_one_row_per_sparsity_and_writes_the_plot(tmp_path, capsys):
    path = _write(tmp_path / "train.csv", _frame(60))
    argv = ["curve", "--train", path, "--target", "label", "--drop", "review"]
    argv += ["--sparsities", "0.8,0,0.5", "--cv", "2", "--out", tmp_path / "out"]
    status, out, err = _in_process(capsys, [*argv, *SMALL])
    assert status == 0, err
    assert "scoring   2-fold stratified cross-validation over the 60 rows" in out
    assert "test ECE" in out and "test log-loss" in out
    rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    assert [row[0] for row in rows] == ["0.000", "0.500", "0.800"]
    out_dir = tmp_path / "out"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "curve.csv",
        "curve.json",
        "curve.png",
    ]
    assert (out_dir / "curve.png").read_bytes().startswith(PNG_SIGNATURE)
    frame = pd.read_csv(out_dir / "curve.csv")
    assert frame["sparsity"].tolist() == [0.0, 0.5, 0.8]
    points = json.loads((out_dir / "curve.json").read_text())["points"]
    assert [len(p["test_scores"]) for p in points] == [2, 2, 2]
    assert frame["mean_test_scores"].tolist() == pytest.approx(
        [np.mean(p["test_scores"]) for p in points]
    )
    for key in ["test_calibration_error", "test_log_loss"]:
        assert [len(p[key]) for p in points] == [2, 2, 2]
        assert frame[f"mean_{key}"].tolist() == pytest.approx(
            [np.mean(p[key]) for p in points]
        )


def test_curve_with_a_test_file_scores_on_it(tmp_path, capsys):
    frame = _frame(50)
    train = _write(tmp_path / "train.csv", frame.iloc[:36])
    test = _write(tmp_path / "test.csv", frame.iloc[36:])
    argv = ["curve", "--train", train, "--test", test, "--target", "label"]
    argv += ["--sparsities", "0,0.5", "--out", tmp_path / "out", *SMALL]
    status, out, _ = _in_process(capsys, argv)
    assert status == 0
    assert "trained on 36 rows, scored on the 14 rows of --test" in out
    points = json.loads((tmp_path / "out" / "curve.json").read_text())["points"]
    assert [len(p["test_scores"]) for p in points] == [1, 1]


# ---------------------------------------------------------- terminal, files


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_progress_shows_on_a_terminal_unless_quiet(quiet, tmp_path, monkeypatch):
    path = _write(tmp_path / "train.csv", _frame(40))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    argv = ["run", "--train", path, "--target", "label", "--out", tmp_path, *SMALL]
    assert main([str(a) for a in argv] + (["--quiet"] if quiet else [])) == 0
    shown = terminal.getvalue()
    if quiet:
        assert shown == ""
    else:
        assert "sklprune: training the pruned model" in shown
        assert "train_loss" in shown  # skorch's epoch log, beside its progress bar


def test_a_failed_write_leaves_the_previous_model_and_no_partial_file(
    tmp_path, monkeypatch, capsys
):
    import skops.io

    real_dump = skops.io.dump

    def dump_half_then_fail(obj, file, **kwargs):
        if isinstance(file, io.BytesIO):  # the file sizes measured in memory
            return real_dump(obj, file, **kwargs)
        file.write(b"PK\x03\x04 half a model")
        raise OSError(28, "No space left on device")

    path = _write(tmp_path / "train.csv", _frame(40))
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.skops").write_bytes(b"the previous model")
    monkeypatch.setattr(skops.io, "dump", dump_half_then_fail)
    argv = ["run", "--train", path, "--target", "label", "--out", out, *SMALL]
    with pytest.raises(OSError, match="No space left"):
        main([str(a) for a in argv])
    assert (out / "model.skops").read_bytes() == b"the previous model"
    assert [p.name for p in out.iterdir()] == ["model.skops"]


def test_help_documents_outputs_and_safe_loading(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "get_untrusted_types" in text
    for option in ["--train", "--test", "--target", "--text-column", "--quiet"]:
        assert option in text


@pytest.mark.parametrize("hook", ["on_epoch_end", "on_batch_end"])
def test_ctrl_c_during_training_stops_with_status_130_and_saves_nothing(
    hook, tmp_path, monkeypatch, capsys
):
    import signal

    from sklprune.callbacks import PruningCallback

    original = getattr(PruningCallback, hook)

    def interrupt_in_epoch_2(self, net, *args, **kwargs):
        original(self, net, *args, **kwargs)
        if len(net.history) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # skorch would swallow it alone

    monkeypatch.setattr(PruningCallback, hook, interrupt_in_epoch_2)
    path = _write(tmp_path / "train.csv", _frame(40))
    argv = ["run", "--train", path, "--target", "label", "--out", tmp_path / "out"]
    status, out, err = _in_process(capsys, [*argv, *SMALL])
    assert status == 130
    assert [line[:21] for line in _not_notes(err)] == ["sklprune: interrupted"]
    assert "accuracy" not in out
    assert list((tmp_path / "out").iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ------------------------------------------------------ a plain install, defaults


@pytest.fixture
def plain_install(monkeypatch):
    """As if only sklprune's own dependencies were installed."""
    for name in ["matplotlib", "skops", "skl2onnx", "onnx", "onnxruntime"]:
        monkeypatch.setitem(sys.modules, name, None)


def test_run_on_a_plain_install_writes_a_pickle_and_says_what_extras_add(
    plain_install, tmp_path, capsys
):
    import pickle

    argv = ["run", "--dataset", "iris", "--quiet", "--out", tmp_path, *SMALL]
    status, out, err = _in_process(capsys, argv)
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "layers.csv",
        "model.pkl",
        "report.csv",
        "report.json",
    ]
    notes = [line for line in out.splitlines() if line.startswith("not installed")]
    assert notes == [
        "not installed: matplotlib, skops, skl2onnx, onnx and onnxruntime; pip "
        "install 'sklprune[plot,persist,onnx]' adds the plots training.png, "
        "layers.png and reliability.png, model.skops, a model file that loads "
        "without pickle and model.onnx, the pipeline for ONNX Runtime, with its "
        "accuracy, size and speed in the report"
    ]
    assert "\nlatency, 4,096 rows (Python)  " in out
    assert "ONNX" not in out.split("not installed")[0]
    with open(tmp_path / "model.pkl", "rb") as file:
        model = pickle.load(file)
    report = json.loads((tmp_path / "report.json").read_text())
    assert model[-1].sparsity_ == pytest.approx(report["models"]["pruned"]["sparsity"])
    assert report["onnx"] == {
        "files": [],
        "reason": "the onnx extra is not installed: pip install 'sklprune[onnx]'",
    }


def test_curve_on_a_plain_install_skips_only_the_plot(plain_install, tmp_path, capsys):
    argv = ["curve", "--dataset", "iris", "--sparsities", "0,0.5", "--cv", "2"]
    status, out, err = _in_process(capsys, [*argv, "--out", tmp_path, *SMALL])
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.csv", "curve.json"]
    assert "pip install 'sklprune[plot]' adds the plot curve.png" in out


def test_model_options_default_to_the_classifiers_defaults(tmp_path, capsys):
    from sklprune import PrunedClassifier
    from sklprune.cli._parser import build_parser

    defaults = PrunedClassifier().get_params()
    args = build_parser().parse_args(["run"])
    for option, param in [
        ("strategy", "strategy"),
        ("granularity", "granularity"),
        ("scope", "scope"),
        ("schedule", "schedule"),
        ("epochs", "max_epochs"),
        ("lr", "lr"),
        ("batch_size", "batch_size"),
    ]:
        assert getattr(args, option) == defaults[param], option
    assert args.hidden_layer_sizes == tuple(defaults["hidden_layer_sizes"])
    argv = ["run", "--dataset", "iris", "--quiet", "--out", tmp_path, *SMALL]
    status, _, err = _in_process(capsys, [*argv, "--epochs", "8"])
    assert status == 0, err
    settings = json.loads((tmp_path / "report.json").read_text())["settings"]
    assert settings["finetune_epochs"] == 2  # "auto": a quarter of 8
    assert settings["strategy"] == defaults["strategy"] == "auto"
    assert settings["loss"] == defaults["loss"] == "cross_entropy"
    assert settings["strategy_used"] == "fisher"  # iris: 4 inputs, a narrow table


def test_a_dense_run_takes_any_finetune_epochs(tmp_path, capsys):
    argv = ["run", "--dataset", "iris", "--quiet", "--out", tmp_path, *SMALL]
    status, out, err = _in_process(
        capsys, [*argv, "--sparsity", "0", "--finetune-epochs", "5"]
    )
    assert status == 0, err
    assert "3 epochs (2 of them fine-tuning)" in out
