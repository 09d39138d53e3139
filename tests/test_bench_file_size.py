"""benchmarks/bench_file_size.py: its quick run writes its own section only."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_file_size.py"


def test_quick_run_writes_a_computed_table_into_its_own_section(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkeep me\n")
    command = [sys.executable, str(SCRIPT), "--quick", "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = results.read_text()
    assert "## Other\n\nkeep me\n" in text
    section = text[text.index("## File size against sparsity") :]
    rows = re.findall(r"^\| (0\.?\d*) \|", section, re.M)
    assert rows == ["0", "0.9", "0.97", "0.99"]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| 0"))
    ratios = [float(r) for r in re.findall(r"\((\d+\.\d)x\)", table)]
    assert len(ratios) == 15 and all(r >= 1.0 for r in ratios)
    assert len(re.findall(r"^- \*\*(met|NOT MET)\*\*: ", section, re.M)) == 4
