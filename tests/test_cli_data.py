"""What the ``sklprune`` command makes of a user's table, and what it says about it.

A CSV written by pandas with its index (the unnamed first column), integer class
labels and missing values: the command must train on the features only, say what it
dropped and what it imputed, and print the labels as the file holds them.
"""

import contextlib
import csv
import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from sklprune.cli import main

SMALL = ["--epochs", "3", "--hidden-layer-sizes", "16", "--quiet"]


def _table(n_rows=120, seed=0):
    """Numbers with gaps, a category with a gap, a message and 0/1 labels."""
    rng = np.random.default_rng(seed)
    spam = rng.integers(0, 2, n_rows)
    words = {1: ["win cash now", "free prize"], 0: ["see you soon", "call me later"]}
    frame = pd.DataFrame(
        {
            "length": rng.normal(40, 10, n_rows).round(1),
            "colour": rng.choice(["red", "green", "blue"], n_rows),
            "text": [f"{rng.choice(words[v])} ok" for v in spam],
            "spam": spam,
        }
    )
    frame.loc[frame.index[:12], "length"] = np.nan
    frame.loc[frame.index[20:23], "colour"] = np.nan
    return frame


def _run(argv):
    """``main(argv)`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def indexed_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "messages.csv"
    _table().to_csv(path)  # with the index: an unnamed first column
    return path


def _command(path, out, *extra):
    return [
        "run",
        "--train",
        path,
        "--target",
        "spam",
        "--text-column",
        "text",
        "--out",
        out,
        *SMALL,
        *extra,
    ]


@pytest.fixture(scope="module")
def default_run(indexed_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    # Not quiet: the notes go to standard error.
    argv = [a for a in _command(indexed_csv, out) if a != "--quiet"]
    status, stdout, stderr = _run(argv)
    assert status == 0, stderr
    report = json.loads((out / "report.json").read_text())
    return stdout, stderr, report, out


def _load(out):
    path = out / "model.skops"
    if path.exists():
        import skops.io as sio

        return sio.load(path, trusted=sio.get_untrusted_types(file=path))
    with open(out / "model.pkl", "rb") as file:
        return pickle.load(file)


# ------------------------------------------------------------------ identifiers


def test_a_row_identifier_is_dropped_with_a_note(default_run, indexed_csv):
    stdout, stderr, report, out = default_run
    assert "features  1 numeric (standardised), 1 categorical (one-hot), text " in (
        stdout
    )
    assert report["data"]["numeric_columns"] == ["length"]
    assert report["data"]["categorical_columns"] == ["colour"]
    note = next(n for n in report["data"]["notes"] if "'Unnamed: 0'" in n)
    assert note.startswith("dropped column 'Unnamed: 0': an identifier")
    assert "--keep 'Unnamed: 0'" in note
    assert f"sklprune: note: {note}\n" in stderr
    # The saved model takes rows without it.
    rows = pd.read_csv(indexed_csv).drop(columns="Unnamed: 0")
    model = _load(out)
    assert model.predict(rows.drop(columns="spam")).shape == (len(rows),)


def test_keep_trains_on_an_integer_identifier(indexed_csv, tmp_path):
    argv = _command(indexed_csv, tmp_path, "--keep", "Unnamed: 0")
    status, _, stderr = _run(argv)
    assert status == 0, stderr
    data = json.loads((tmp_path / "report.json").read_text())["data"]
    assert data["numeric_columns"] == ["Unnamed: 0", "length"]
    assert not any("'Unnamed: 0'" in note for note in data["notes"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--keep", "nope"], "--keep 'nope' is not a column of"),
        (
            ["--keep", "length", "--drop", "length"],
            "--keep 'length' and --drop 'length' contradict each other",
        ),
        (
            ["--keep", "code"],
            "column 'code' of {path} is not numeric and has 120 distinct",
        ),
    ],
)
def test_keep_mistakes_are_one_line(tmp_path, argv, message):
    path = _identifiers_csv(tmp_path)
    status, stdout, stderr = _run(_command(path, tmp_path, *argv))
    assert status == 2 and stdout == ""
    assert message.replace("{path}", str(path)) in stderr
    assert stderr.count("\n") == 1


def _identifiers_csv(directory):
    """The table with an index-named column, consecutive tickets and codes."""
    frame = _table()
    rng = np.random.default_rng(1)
    frame.insert(0, "index", rng.permutation(len(frame)) * 7)
    frame.insert(1, "ticket", 500 + rng.permutation(len(frame)))
    frame.insert(2, "code", [f"C{1000 + i}" for i in rng.permutation(len(frame))])
    frame["visits"] = np.arange(len(frame)) % 9  # repeats: a feature
    path = directory / "table.csv"
    frame.to_csv(path, index=False)
    return path


def test_integer_and_text_identifiers_follow_one_rule(tmp_path):
    path = _identifiers_csv(tmp_path)
    status, _, stderr = _run(_command(path, tmp_path / "out"))
    assert status == 0, stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text())["data"]
    assert data["numeric_columns"] == ["length", "visits"]
    dropped = [n for n in data["notes"] if n.startswith("dropped column")]
    assert [n.split("'")[1] for n in dropped] == ["index", "ticket", "code"]


# --------------------------------------------------------------------- imputation


def test_imputed_values_are_reported_with_column_count_and_value(default_run):
    _, stderr, report, out = default_run
    notes = report["data"]["notes"]
    model = _load(out)
    numeric = model[0].named_transformers_["numeric"][0]
    median = numeric.statistics_[0]
    n_test = report["data"]["n_test"]
    note = next(n for n in notes if n.startswith("imputed") and "'length'" in n)
    assert note.startswith("imputed 12 missing values of numeric column 'length' (")
    assert f"with its median in the training rows, {median:.6g}" in note
    counts = [int(s) for s in note.split("(")[1].split(")")[0].split() if s.isdigit()]
    assert sum(counts) == 12 and n_test < 120
    note = next(n for n in notes if n.startswith("imputed") and "'colour'" in n)
    assert note.startswith("imputed 3 missing values of column 'colour' (")
    assert note.endswith("as a category of their own, '(missing)'")
    for note in notes:
        assert f"sklprune: note: {note}\n" in stderr


def test_run_help_names_the_imputation_and_identifier_rules(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "missing values: the median of the training rows" in text
    assert "a category of their own" in text
    assert "--keep COLUMN" in text
    assert "unique per row" in text


# ------------------------------------------------------------------------ labels


def test_integer_labels_print_as_the_file_writes_them(default_run):
    stdout, _, report, out = default_run
    assert "np.int64" not in stdout
    worst = report["models"]["pruned"]["worst_class"]
    assert worst in (0, 1)
    assert f"; worst class {worst}: recall " in stdout
    with open(out / "report.csv", newline="") as file:
        rows = {row["model"]: row for row in csv.DictReader(file)}
    assert rows["pruned"]["worst_class"] == str(worst)
    assert rows["dense"]["worst_class"] == ""
