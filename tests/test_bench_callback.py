"""benchmarks/bench_callback.py: its quick run prints tables and computed aims."""

import re

import bench_callback
import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """The section one ``--quick`` run printed (it writes no file)."""
    stdout = run_quick("bench_callback.py", tmp_path_factory.mktemp("bench"))
    return section_of(stdout, bench_callback.HEADING)


def test_a_table_per_setup_times_every_variant_against_no_callback(quick_run):
    tables = read_tables(quick_run)
    assert len(tables) == len(bench_callback.SETUPS)
    for setup, (_, header, rows) in zip(bench_callback.SETUPS, tables):
        assert f"{setup.loader}, {setup.optimizer}**" in quick_run
        assert header[0] == "variant" and header[-2:] == [
            "CPU overhead",
            "wall overhead",
        ]
        assert [row[0] for row in rows] == list(setup.variants)
        assert rows[0][-2:] == ["+0.0%", "+0.0%"]  # no callback against itself
        for row in rows:
            sparsity = 0.0 if row[0] in ("no callback", "sparsity 0") else 0.9
            assert float(row[2]) == pytest.approx(sparsity, abs=1e-3)
            assert float(row[3]) > 0 and float(row[4]) > 0


def test_both_workloads_and_both_data_paths_are_measured(quick_run):
    titles = re.findall(r"^\*\*(\w+) \(", quick_run, re.M)
    assert titles == ["digits", "digits", "digits", "synthetic"]
    assert quick_run.count("sklprune BatchIterator") >= 2


def test_each_aim_verdict_follows_its_worst_overhead(quick_run):
    aims = [li for li in quick_run.splitlines() if li.startswith("- **")]
    assert len(aims) == len(bench_callback.SETUPS)
    for (_, _, rows), line in zip(read_tables(quick_run), aims):
        overheads = [float(row[-2].rstrip("%")) for row in rows[1:]]
        met = max(overheads) < 10.0
        assert line.startswith("- **met**" if met else "- **NOT MET**"), line
        for row, overhead in zip(rows[1:], overheads):
            relation = "<" if overhead < 10.0 else ">="
            assert f"{row[0]} {row[-2]} {relation} 10%" in line
