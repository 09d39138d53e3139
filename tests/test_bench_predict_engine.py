"""benchmarks/bench_predict_engine.py: its quick run prints its table and aim."""

import bench_predict_engine as bench
import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of

pytest.importorskip("onnxruntime")


def test_quick_run_prints_every_batch(tmp_path):
    stdout = run_quick("bench_predict_engine.py", tmp_path)
    section = section_of(stdout, bench.HEADING)
    (sparse,) = read_tables(section)
    assert [row[0] for row in sparse.rows] == [f"{b:,}" for b in bench.SPARSE_BATCHES]
    assert section.count("- **") == 1


def test_the_aim_reads_the_comparison_the_right_way_round():
    (torch_sparse,) = bench.aims({1: (1.0, 3.0), 1024: (2.0, 1.0)})
    assert torch_sparse.startswith("- **NOT MET**")
    assert "batch 1: 3.00x >= 1x" in torch_sparse
    assert "batch 1,024: 0.50x < 1x" in torch_sparse
