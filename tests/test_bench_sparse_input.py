"""benchmarks/bench_sparse_input.py: its quick run writes its own section."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_sparse_input.py"
HEADING = "## Sparse input: hashed text at scale"


def test_quick_run_writes_its_section_with_a_row_per_variant_and_computed_aims(
    tmp_path,
):
    results = tmp_path / "RESULTS.md"
    old = f"# Benchmark results\n\n{HEADING}\n\nstale\n\n## Other\n\nkeep\n"
    results.write_text(old)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--results", str(results)],
        capture_output=True, text=True, check=True,
    )
    text = results.read_text()
    assert text.count(HEADING) == 1 and "stale" not in text
    assert text.rstrip().endswith("## Other\n\nkeep")
    section = text[text.index(HEADING) : text.index("## Other")]
    for variant in ("sklprune", "sklprune-dense-grad", "skorch"):
        assert f"| 500 | {variant} |" in section
    aims = [line for line in section.splitlines() if line.startswith("- **")]
    assert len(aims) == 2
    assert all(line.startswith(("- **met**: ", "- **NOT MET**: ")) for line in aims)
    assert section.strip() in done.stdout
