"""benchmarks/bench_inference.py: a quick run prints its section, aims computed."""

import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from test_benchmarks import run_quick, section_of

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_inference.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_inference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, bench):
    """The section one ``--quick`` run printed (it writes no file)."""
    stdout = run_quick("bench_inference.py", tmp_path_factory.mktemp("bench"))
    return section_of(stdout, bench.HEADING)


def table_rows(text):
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith(("| model", "| ---"))
    ]


def test_table_has_every_model_batch_and_a_fast_form(quick_run, bench):
    rows = table_rows(quick_run)
    names = [row[0] for row in rows]
    assert names == [
        "dense",
        "weight 90%",
        "weight 97%",
        "weight 99%",
        "neuron 75%, compacted",
        "MLPClassifier (dense)",
    ]
    for row in rows[:-1]:
        assert len(row) == 4 + len(bench.QUICK_BATCHES)
        for cell in row[2 : 2 + len(bench.QUICK_BATCHES)]:
            assert re.fullmatch(r"[\d.]+ \([\d.]+\)", cell), row
        assert re.fullmatch(r"[SD](-[SD])*", row[-1]), row
    assert rows[0][-2] == "1.00x"
    nonzero = [int(row[1].replace(",", "")) for row in rows[:4]]
    assert nonzero == sorted(nonzero, reverse=True)


def test_every_aim_has_a_verdict(quick_run):
    aims = quick_run.split("### Aims", 1)[1].strip().splitlines()
    assert len(aims) == 5
    for line in aims:
        assert re.match(r"- \*\*(met|NOT MET)\*\*: ", line), line
    assert "pickle" not in quick_run  # file sizes are bench_file_size.py's


def test_a_failed_batch_1_bound_reads_the_right_way_round(bench):
    names = ["dense", "weight 90%"]
    times = {
        ("predict_proba", "dense"): 150e-6,
        ("module", "dense"): 100e-6,
        ("predict_proba", "weight 90%"): 186e-6,
        ("module", "weight 90%"): 88e-6,
        ("predict_proba", "MLPClassifier"): 200e-6,
    }
    within, faster = bench.row_aims("1024-512", names, times, 1)
    assert within.startswith("- **NOT MET**")
    assert "dense 150 µs <= 190 µs; weight 90% 186 µs > 172 µs" in within
    assert faster.startswith("- **met**") and "weight 90% 186 µs < 200 µs" in faster


def test_pruned_copies_have_the_asked_sparsity_and_predict_like_their_module(bench):
    X, y = bench.make_data(200)
    models, _ = bench.build((16, 8), X, y, quick=True)
    weights = ("0.weight", "2.weight", "4.weight")
    for sparsity in bench.WEIGHT_SPARSITIES:
        module = models[f"weight {sparsity:.0%}"].module_
        zeros = sum(int((module.get_parameter(n) == 0).sum()) for n in weights)
        total = sum(module.get_parameter(n).numel() for n in weights)
        assert zeros / total == pytest.approx(sparsity, abs=2e-3)
    compacted = models["neuron 75%, compacted"]
    assert [compacted.module_[i].out_features for i in (0, 2)] == [4, 2]
    for clf in models.values():
        with torch.inference_mode():
            logits = clf.module_.eval()(torch.from_numpy(X[:5]))
        np.testing.assert_allclose(
            clf.predict_proba(X[:5]), logits.softmax(1).numpy(), rtol=1e-5, atol=1e-6
        )
