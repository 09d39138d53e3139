"""benchmarks/bench_inference.py: a quick run writes its section, aims computed."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_inference.py"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_inference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkeep me\n")
    command = [sys.executable, str(SCRIPT), "--quick", "--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, results.read_text()


def table_rows(text):
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith(("| model", "| ---"))
    ]


def test_quick_run_writes_its_section_and_keeps_the_others(quick_run, bench):
    stdout, results = quick_run
    assert results.count(bench.HEADING) == 1
    assert "## Other\n\nkeep me\n" in results
    assert results[results.index(bench.HEADING) :].strip() in stdout


def test_table_has_every_model_batch_and_a_fast_form(quick_run, bench):
    _, results = quick_run
    rows = table_rows(results)
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
        assert len(row) == 6 + len(bench.QUICK_BATCHES)
        for cell in row[4 : 4 + len(bench.QUICK_BATCHES)]:
            assert re.fullmatch(r"[\d.]+ \([\d.]+\)", cell), row
        assert re.fullmatch(r"[SD](-[SD])*", row[-1]), row
    assert rows[0][-2] == "1.00x"
    nonzero = [int(row[1].replace(",", "")) for row in rows[:4]]
    assert nonzero == sorted(nonzero, reverse=True)


def test_every_aim_has_a_verdict(quick_run):
    _, results = quick_run
    aims = results.split("### Aims", 1)[1].strip().splitlines()
    assert len(aims) == 6
    for line in aims:
        assert re.match(r"- \*\*(met|NOT MET)\*\*: ", line), line


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


def test_bad_arguments_are_refused(bench, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--repeats", "0"])
    assert "integer >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.parse_args(["--results", "/no/such/folder/RESULTS.md"])
    assert "does not exist" in capsys.readouterr().err
    assert bench.parse_args(["--quick"]).results is None
    assert bench.parse_args([]).results == bench.RESULTS
