"""benchmarks/bench_regression.py: its quick run prints its tables and aims."""

import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of

HEADING = "## PrunedRegressor: R² dense against 90 % and 97 % sparsity"
MODELS = [
    "PrunedRegressor, dense",
    "PrunedRegressor, 90%",
    "PrunedRegressor, 97%",
    "MLPRegressor",
    "HistGradientBoostingRegressor",
]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The section one ``--quick`` run printed (it writes no file)."""
    stdout = run_quick("bench_regression.py", tmp_path_factory.mktemp("bench"))
    return section_of(stdout, HEADING)


def r2(cell):
    return float(cell.split(" ± ")[0])


def test_every_model_on_two_tables_of_different_shapes(quick_run):
    tables = read_tables(quick_run)
    assert [t.title.split(" (")[0] for t in tables] == ["**friedman1**", "**diamonds**"]
    assert "10 network inputs" in tables[0].title
    assert "26 network inputs" in tables[1].title
    for table in tables:
        assert [row[0] for row in table.rows] == MODELS
        sparsity = {row[0]: row[3] for row in table.rows}
        assert sparsity["PrunedRegressor, 90%"] == "0.900"
        assert sparsity["PrunedRegressor, 97%"] == "0.970"
        for row in table.rows:
            assert " ± " in row[1]  # over the seeds
            assert float(row[2]) == pytest.approx(
                r2(row[1]) - r2(table.rows[0][1]), abs=1e-4
            )


def test_aims_are_computed_from_the_tables(quick_run):
    tables = {t.title.split(" (")[0].strip("*"): t for t in read_tables(quick_run)}
    assert list(tables) == ["friedman1", "diamonds"]
    aims = [line for line in quick_run.splitlines() if line.startswith("- **")]
    assert len(aims) == 3
    gaps = []
    for table in tables.values():
        gap = {row[0]: float(row[2]) for row in table.rows}["PrunedRegressor, 90%"]
        gaps.append(gap)
    met = all(gap >= -0.005 for gap in gaps)
    assert aims[0].startswith("- **met**" if met else "- **NOT MET**")
    assert f"friedman1: {gaps[0]:+.4f}" in aims[0]
    assert f"diamonds: {gaps[1]:+.4f}" in aims[0]
