"""benchmarks/bench_predict_engine.py: its quick run prints its tables and aims."""

import bench_predict_engine as bench
import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of

pytest.importorskip("onnxruntime")


def test_quick_run_prints_every_form_batch_and_int8_row(tmp_path):
    stdout = run_quick("bench_predict_engine.py", tmp_path)
    section = section_of(stdout, bench.HEADING)
    engines, sparse, int8 = read_tables(section)
    assert [row[0] for row in engines.rows] == list(bench.FORMS)
    assert len(engines.header) == 2 + 2 * len(bench.BATCHES)
    assert [row[0] for row in sparse.rows] == [f"{b:,}" for b in bench.SPARSE_BATCHES]
    cases = len(bench.INT8_DATASETS) * len(bench.INT8_FORMS) * 2
    assert len(int8.rows) == cases
    for row in int8.rows:
        fp32, int8_bytes = (int(row[i].replace(",", "")) for i in (6, 7))
        assert int8_bytes < fp32 / 3
    assert section.count("- **") == 3


def test_aims_read_the_comparison_the_right_way_round():
    engines = {"dense": {1: (2.0, 1.0), 4096: (1.0, 2.0)}}
    sparse = {1: (1.0, 3.0)}
    rows = [
        {"data": "d", "form": "dense", "per_channel": pc, "int8": accuracy}
        for pc, accuracy in ((False, 0.90), (True, 0.92))
    ]
    faster, torch_sparse, per_matrix = bench.aims(engines, sparse, rows)
    assert faster.startswith("- **NOT MET**") and "0.50x < 0.95x" in faster
    assert torch_sparse.startswith("- **met**") and "3.00x >= 1x" in torch_sparse
    assert per_matrix.startswith("- **NOT MET**") and "-0.0200 < -0.005" in per_matrix
