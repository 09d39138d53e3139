"""Every benchmark script writes its own RESULTS.md section, with computed aims.

Each runs in its ``--quick`` mode into a temporary RESULTS.md that holds a section of
another script, which must come out untouched.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
OTHER = "## Another benchmark\n\nkeep me\n"


def run_quick(script, tmp_path, *extra):
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Benchmark results\n\n{OTHER}")
    command = [sys.executable, str(BENCHMARKS / script), "--quick"]
    command += ["--results", str(results), *extra]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return results.read_text()


@pytest.mark.parametrize(
    "script, heading, extra",
    [
        (
            "bench_feature_selection.py",
            "## Feature pruning vs scikit-learn selectors",
            (),
        ),
        ("bench_compaction.py", "## Compaction latency", ()),
        (
            "bench_pruning_path.py",
            "## Pruning path vs validation_curve",
            ("--plot", "curve.png"),
        ),
        (
            "bench_log_loss_scorer.py",
            "## Log-loss scorer of permutation importance",
            (),
        ),
    ],
)
def test_quick_run_writes_its_section_with_computed_aims(
    script, heading, extra, tmp_path
):
    text = run_quick(script, tmp_path, *extra)
    assert OTHER in text
    assert text.count(heading) == 1
    section = text[text.index(heading) :]
    aims = re.findall(r"^- \*\*(met|NOT MET)\*\*: .+\(.+\)$", section, re.M)
    assert aims, section
    assert "--quick" in section  # the section names the command that wrote it


def test_write_section_replaces_only_its_own_section(tmp_path):
    from _results import write_section

    path = tmp_path / "RESULTS.md"
    write_section("## A\n\nfirst\n", path)
    write_section("## B\n\nother\n", path)
    write_section("## A\n\nsecond\n", path)
    text = path.read_text()
    assert "first" not in text
    assert text.index("## A") < text.index("second") < text.index("## B")
    assert "other" in text


def test_write_section_refuses_text_without_a_heading(tmp_path):
    from _results import write_section

    with pytest.raises(ValueError, match="starts with a '## ' heading"):
        write_section("no heading\n", tmp_path / "RESULTS.md")


def test_file_size_table_has_a_row_per_sparsity_and_a_ratio_per_file(tmp_path):
    text = run_quick("bench_file_size.py", tmp_path)
    section = text[text.index("## File size against sparsity") :]
    rows = re.findall(r"^\| (0\.?\d*) \|", section, re.M)
    assert rows == ["0", "0.9", "0.97", "0.99"]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| 0"))
    ratios = [float(r) for r in re.findall(r"\((\d+\.\d)x\)", table)]
    assert len(ratios) == 15 and all(r >= 1.0 for r in ratios)
    assert OTHER in text and text.count("## File size against sparsity") == 1
    assert len(re.findall(r"^- \*\*(met|NOT MET)\*\*: .+\(.+\)$", section, re.M)) == 4
    assert "--quick" in section
