"""benchmarks/bench_callback.py: its quick run writes its own section."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_callback.py"
HEADING = "## PruningCallback overhead on a plain skorch net"


def bench_variants():
    return ["no callback", "sparsity 0", "magnitude", "gradient", "fisher", "random"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    results.write_text(
        f"# Benchmark results\n\n{HEADING}\n\nstale\n\n## Other\n\nkept\n"
    )
    command = [sys.executable, str(SCRIPT), "--quick", "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, results.read_text()


def test_quick_run_replaces_its_section_and_keeps_the_others(quick_run):
    stdout, text = quick_run
    assert text.count(HEADING) == 1 and "stale" not in text
    assert text.rstrip().endswith("## Other\n\nkept")
    assert text.split("## Other")[0].strip().split(HEADING)[1].strip() in stdout


def test_tables_time_every_variant_for_both_optimizers(quick_run):
    _, text = quick_run
    for optimizer in ("torch's default Adam:", "fused Adam:"):
        lines = text.split(f"\n{optimizer}\n", 1)[1].strip().splitlines()
        rows = [line.strip("|").split("|") for line in lines[2:8]]
        names = [row[0].strip() for row in rows]
        assert names == bench_variants()
        assert rows[0][4].strip() == "+0.0%"
        for row in rows[2:]:
            assert float(row[2]) == pytest.approx(0.9, abs=1e-3)  # sparsity


def test_each_aim_verdict_follows_its_worst_overhead(quick_run):
    _, text = quick_run
    aims = [li for li in text.splitlines() if li.startswith("- **")]
    assert len(aims) == 2
    for optimizer, line in zip(("torch's default Adam", "fused Adam"), aims):
        table = text.split(f"\n{optimizer}:\n", 1)[1].split("\n\n", 1)[0]
        overheads = [float(c) for c in re.findall(r"([+-]\d+\.\d)%", table)[1:]]
        met = max(overheads) < 10.0
        assert line.startswith("- **met**" if met else "- **NOT MET**"), line
        assert optimizer in line
