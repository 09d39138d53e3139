"""benchmarks/bench_log_loss_scorer.py: its quick run writes its own section only."""

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_log_loss_scorer.py"


def test_quick_run_writes_a_computed_table_into_its_own_section(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkeep me\n")
    command = [sys.executable, str(SCRIPT), "--quick", "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = results.read_text()
    assert "## Other\n\nkeep me\n" in text
    section = text[text.index("## Log-loss scorer of permutation importance") :]
    rows = re.findall(
        r"^\| (PrunedClassifier|LogisticRegression)[^|]* \|", section, re.M
    )
    assert rows == ["PrunedClassifier", "LogisticRegression"]
    assert len(re.findall(r"^- \*\*(met|NOT MET)\*\*: ", section, re.M)) == 1
