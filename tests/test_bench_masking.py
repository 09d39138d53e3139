"""benchmarks/bench_masking.py: its quick run prints its table and computed aims."""

import bench_masking
import torch
from _harness import read_tables
from test_benchmarks import run_quick, section_of


def test_quick_run_prints_its_section_with_computed_aims(tmp_path):
    stdout = run_quick("bench_masking.py", tmp_path)
    section = section_of(stdout, bench_masking.HEADING)
    rows = read_tables(section)[0].rows
    methods = bench_masking.methods(torch.ones(1, dtype=torch.bool), torch.float32)
    cases = len(bench_masking.QUICK_SHAPES) * len(bench_masking.SPARSITIES)
    assert len(rows) == cases * len(methods)
    exact = {row[2]: row[-1] == "yes" for row in rows}
    assert exact == {
        "mul_": False,
        "masked_fill_": True,
        "torch.where": True,
        "bitwise_and_": True,
    }
    assert section.count("- **") == 3
    assert f"== {cases}" in section  # every case of bitwise_and_ gave exact zeros


def test_aims_read_the_comparison_the_right_way_round():
    rows = [
        {
            "shape": "8x8",
            "numel": 64,
            "sparsity": 0.5,
            "method": method,
            "us": us,
            "ratio": us,
            "exact": method != "mul_",
        }
        for method, us in (("mul_", 1.0), ("masked_fill_", 1.5), ("bitwise_and_", 2.0))
    ]
    exact, cost, fastest = bench_masking.aims(rows)
    assert exact.startswith("- **met**")
    assert cost.startswith("- **NOT MET**") and "2.00x > 1.25x" in cost
    assert fastest.startswith("- **NOT MET**") and "masked_fill_ != bitwise_and_" in (
        fastest
    )
