"""benchmarks/bench_sparse_input.py: its quick run prints a row per variant."""

from test_benchmarks import run_quick, section_of

HEADING = "## Sparse input: hashed text at scale"


def test_quick_run_prints_a_row_per_variant_and_computed_aims(tmp_path):
    section = section_of(run_quick("bench_sparse_input.py", tmp_path), HEADING)
    for variant in ("sklprune", "sklprune-dense-grad", "skorch"):
        assert f"| 500 | {variant} |" in section
    aims = [line for line in section.splitlines() if line.startswith("- **")]
    assert len(aims) == 2
    assert all(line.startswith(("- **met**: ", "- **NOT MET**: ")) for line in aims)
    assert "peak memory" in aims[1] and " MB <= 2048 MB" in aims[1]
