"""benchmarks/bench_pretrained.py: its quick run prints its tables and aims."""

import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of

HEADING = "## Pruning a trained network"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The section one ``--quick`` run printed (it writes no file)."""
    stdout = run_quick("bench_pretrained.py", tmp_path_factory.mktemp("bench"))
    return section_of(stdout, HEADING)


def test_defaults_table_has_the_mlp_and_every_start_at_both_sparsities(quick_run):
    rows = read_tables(quick_run)[0].rows
    for data in ("narrow", "rotten_tomatoes"):
        starts = [(r[1], r[2]) for r in rows if r[0] == data]
        assert starts == [
            ("MLPClassifier (fitted, dense)", "0"),
            ("from scratch", "0.9"),
            ("untrained instance", "0.9"),
            ("from scratch", "0.97"),
            ("untrained instance", "0.97"),
        ]


def test_sweep_table_reads_the_epochs_needed_from_its_cells(quick_run):
    table = read_tables(quick_run)[1]
    assert table.header[2:4] == ["1 epochs", "2 epochs"]
    for row in table.rows:
        gaps = [float(cell.split(" ± ")[0]) for cell in row[2:4]]
        within = [e for e, gap in zip((1, 2), gaps) if gap >= -1]
        assert row[4] == (str(within[0]) if within else "more")


def test_aims_are_computed_from_the_sweep(quick_run):
    table = read_tables(quick_run)[1]
    aims = [li for li in quick_run.splitlines() if li.startswith("- **")]
    assert len(aims) == 3
    # quick runs have no default trained fit: the aims read the 1-epoch column
    gaps = [float(r[2].split(" ± ")[0]) for r in table.rows if r[1] == "0.9"]
    met = min(gaps) >= -1
    assert aims[0].startswith("- **met**" if met else "- **NOT MET**")
    assert "in at most a quarter of the epochs" in aims[2]
