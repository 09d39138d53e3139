"""benchmarks/bench_classifier_cv.py: its quick run writes its own section."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_classifier_cv.py"
HEADING = "## PrunedClassifier accuracy: dense against 90 % and 95 % sparsity"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    results.write_text(f"# Benchmark results\n\n## Other\n\nkept\n\n{HEADING}\n\nold\n")
    command = [sys.executable, str(SCRIPT), "--quick", "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, results.read_text()


def rows(text):
    lines = text.split("| data | strategy", 1)[1].splitlines()[2:]
    table = [li for li in lines if li.startswith("|")]
    return [[c.strip() for c in li.strip("|").split("|")] for li in table]


def test_quick_run_replaces_its_section_and_keeps_the_others(quick_run):
    stdout, text = quick_run
    assert text.count(HEADING) == 1 and "\nold\n" not in text
    assert "## Other\n\nkept\n" in text
    assert text.split(HEADING, 1)[1].strip() in stdout


def test_table_has_dense_and_every_strategy_at_both_sparsities(quick_run):
    _, text = quick_run
    table = rows(text)
    assert len(table) == 2 * 9
    for row in table:
        assert float(row[3]) == pytest.approx(float(row[2]), abs=1e-3)  # achieved
        assert row[4] == "3"  # epochs of the quick budget


def test_aims_are_computed_from_the_table(quick_run):
    _, text = quick_run
    table = rows(text)
    dense = {r[0]: float(r[5].split(" ± ")[0]) for r in table if r[1] == "dense"}
    gaps = [
        (float(r[5].split(" ± ")[0]) - dense[r[0]]) * 100
        for r in table
        if r[2] == "0.90"
    ]
    first = next(li for li in text.splitlines() if li.startswith("- **"))
    assert first.startswith("- **met**" if min(gaps) >= -1 else "- **NOT MET**")
    assert f"from {min(gaps):+.2f}" in first
