"""benchmarks/bench_deploy.py: its quick run prints its tables and aims."""

import bench_deploy as bench
import pytest
from _harness import read_tables
from test_benchmarks import run_quick, section_of

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")
pytest.importorskip("skops")


def test_quick_run_prints_every_form_engine_and_data_set(tmp_path):
    stdout = run_quick("bench_deploy.py", tmp_path)
    section = section_of(stdout, bench.HEADING)
    tables = read_tables(section)
    assert len(tables) == 2 * len(bench.WIDTHS) + 1
    for width, (files, latency) in zip(bench.WIDTHS, zip(tables[::2], tables[1::2])):
        name = bench.width_name(width)
        assert files.title.startswith(f"**files, hidden {name}**")
        assert [row[0] for row in files.rows] == list(bench.FORMS)
        for row in files.rows:
            onnx_bytes, int8_bytes = (int(row[i].replace(",", "")) for i in (4, 5))
            assert int8_bytes < onnx_bytes
        assert latency.title.startswith(f"**latency, hidden {name}**")
        assert [tuple(row[:2]) for row in latency.rows] == [
            (form, engine) for form in bench.FORMS for engine in bench.ENGINES.values()
        ]
    widths = {row[0]: [int(n) for n in row[1].split("-")] for row in tables[0].rows}
    assert widths["dense"] == list(bench.WIDTHS[0])
    assert all(a < b for a, b in zip(widths["neuron 75%, compacted"], bench.WIDTHS[0]))
    accuracy = tables[-1]
    assert {row[0] for row in accuracy.rows} == set(bench.INT8_DATASETS)
    assert len(accuracy.rows) == len(bench.FORMS) * (len(bench.WIDTHS) + 2)
    assert section.count("\n- **") == 7


def _found(torch, fp32, int8, peer_onnx, engine, onnx_bytes, int8_bytes):
    latency = {
        batch: {
            "torch": torch,
            "fp32": fp32,
            "int8": int8,
            "peer_onnx": peer_onnx,
            "engine": engine,
        }
        for batch in bench.BATCHES
    }
    return {"latency": latency, "sizes": {"onnx": onnx_bytes, "int8": int8_bytes}}


def test_aims_read_the_comparisons_the_right_way_round():
    fast = _found(10e-3, 2e-6, 3e-6, 3e-6, 5e-3, 400, 100)
    slow = _found(10e-3, 5e-3, 5e-3, 1e-3, 20e-3, 300, 100)
    by_width = {"256-128": {"dense": fast, "weight 90%": slow}}
    accuracy = {
        ("narrow", "256-128", "dense"): {
            "python": 0.90,
            "per matrix": 0.895,
            "per column": 0.90,
        },
        ("digits", "256-128", "dense"): {
            "python": 0.90,
            "per matrix": 0.88,
            "per column": 0.90,
        },
    }
    lines = bench.aims(by_width, accuracy)
    over_dense, over_peer, batch1, smaller, within, per_matrix, engine = lines
    assert over_dense.startswith("- **NOT MET**")
    assert "dense, fp32: 5000.00x >= 2.5x" in over_dense
    assert "weight 90%, fp32: 2.00x < 2.5x" in over_dense
    assert "256-128 weight 90%, batch 1: 0.20x < 0.95x" in over_peer
    assert batch1.startswith("- **NOT MET**") and "2.0 µs <= 15 µs" in batch1
    assert "256-128 weight 90%: 3.0x < 3.5x" in smaller
    assert "1 of 2 hold" in within and "digits 256-128 dense: -2.00 < -0.5" in within
    assert "narrow" not in within.split("not held")[1]  # -0.50 holds: rounded
    assert "1 of 2 hold" in per_matrix
    assert "256-128 weight 90%, batch 4,096: 0.50x < 0.95x" in engine
