"""benchmarks/bench_classifier_cv.py: its quick run prints its table and aims."""

import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of

HEADING = "## PrunedClassifier accuracy: dense against 90 % and 95 % sparsity"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The section one ``--quick`` run printed (it writes no file)."""
    stdout = run_quick("bench_classifier_cv.py", tmp_path_factory.mktemp("bench"))
    return section_of(stdout, HEADING)


def rows(text):
    return read_tables(text)[0].rows


def test_table_has_dense_and_every_strategy_at_both_sparsities(quick_run):
    table = rows(quick_run)
    assert len(table) == 2 * 9
    for row in table:
        assert float(row[3]) == pytest.approx(float(row[2]), abs=1e-3)  # achieved
        assert row[4] == "3"  # epochs of the quick budget


def test_aims_are_computed_from_the_table(quick_run):
    table = rows(quick_run)
    dense = {r[0]: float(r[5].split(" ± ")[0]) for r in table if r[1] == "dense"}
    gaps = [
        (float(r[5].split(" ± ")[0]) - dense[r[0]]) * 100
        for r in table
        if r[2] == "0.90"
    ]
    first = next(li for li in quick_run.splitlines() if li.startswith("- **"))
    met = min(gaps) >= -1
    assert first.startswith("- **met**" if met else "- **NOT MET**")
    assert f"{min(gaps):+.2f} points {'>=' if met else '<'} -1 points" in first
