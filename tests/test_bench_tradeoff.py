"""benchmarks/bench_tradeoff.py: its quick run, its tables and its helpers."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
from test_benchmarks import run_quick, section_of
from torch import nn

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_tradeoff.py"
CELL = r"\d\.\d{4} ± \d\.\d{4}"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_tradeoff", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, bench):
    """The section one ``--quick`` run printed (it writes no file)."""
    folder = tmp_path_factory.mktemp("bench")
    stdout = run_quick("bench_tradeoff.py", folder, "--n-jobs", "1")
    return section_of(stdout, bench.HEADING)


def section(text, heading):
    """The lines of a ``###`` subsection."""
    body = text.split(heading, 1)[1]
    return body.split("\n### ", 1)[0]


def table_after(text, title):
    """Rows (lists of cells) of the first markdown table after ``title``."""
    lines = text.split(title, 1)[1].strip().splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return lines[0], rows


def test_accuracy_tables_have_every_method_and_ratio(quick_run, bench):
    results = quick_run
    accuracy = section(results, "### Test accuracy")
    for dataset in bench.RECIPES:
        header, rows = table_after(accuracy, f"**{dataset}**")
        assert header == "| method | 1x | 8x | 16x |"
        assert [row[0] for row in rows] == list(bench.METHODS)
        dense, *others = rows
        assert re.fullmatch(CELL, dense[1]) and dense[2:] == ["", ""]
        for row in others:
            assert row[1] == ""
            for cell in row[2:]:
                assert re.fullmatch(rf"(\*\*)?{CELL}(\*\*)?", cell), row
        for column in (2, 3):  # exactly one best per ratio is bold, or ties
            assert any(row[column].startswith("**") for row in others)


def test_speed_tables_report_the_achieved_sparsity(quick_run, bench):
    results = quick_run
    speed = section(results, "### Achieved sparsity / theoretical speed-up")
    for dataset in bench.RECIPES:
        header, rows = table_after(speed, f"**{dataset}**")
        assert header == "| method | 8x | 16x | fit CPU s |"
        assert [row[0] for row in rows] == list(bench.METHODS)
        dense, *others = rows
        assert dense[1:3] == ["", ""] and float(dense[3]) > 0
        for row in others:
            assert float(row[3]) > 0
            for ratio, cell in zip((8, 16), row[1:3]):
                sparsity, speedup = re.fullmatch(r"(\S+) / (\S+)x", cell).groups()
                if row[0] in ("small dense", "magnitude, neuron"):
                    # Widths are whole units: close to the ratio, not exact.
                    assert float(speedup) == pytest.approx(ratio, rel=0.1)
                else:
                    assert float(sparsity) == pytest.approx(1 - 1 / ratio, abs=1e-3)
                    assert float(speedup) == pytest.approx(ratio, rel=1e-2)


def test_overhead_and_latency_are_referred_to_not_measured_again(quick_run):
    overhead = section(quick_run, "### Training-time overhead of PruningCallback")
    assert "`benchmarks/bench_callback.py`" in overhead and "|" not in overhead
    latency = section(quick_run, "### Compaction latency")
    assert "`benchmarks/bench_compaction.py`" in latency and "|" not in latency


def test_aims_are_checked_with_a_verdict_each(quick_run):
    aims = section(quick_run, "### Aims")
    for letter in "abc":
        line = next(li for li in aims.splitlines() if f": ({letter}) " in li)
        assert re.match(r"- \*\*(met|NOT MET)\*\*: ", line), line
    assert "(d)" not in aims
    assert "](tradeoff.png)" in quick_run


def test_plot_draws_every_data_set(bench, tmp_path):
    accuracy = {m: {8: 0.8, 16: 0.7} for m in bench.METHODS if m != "dense"}
    accuracy["dense"] = {1: 0.9}
    summary = fake_results(bench, accuracy)
    png = tmp_path / "tradeoff.png"
    args = bench.parse_args(["--results", str(tmp_path / "RESULTS.md")])
    bench.plot(summary, ["digits"], (8, 16), png, args)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_small_dense_widths_keep_about_one_over_ratio_of_the_weights(bench):
    for n_features, n_classes in [(64, 10), (30, 2), (5000, 2), (500, 4)]:
        h1, h2 = bench.HIDDEN
        full = n_features * h1 + h1 * h2 + h2 * n_classes
        for ratio in bench.RATIOS:
            (w1, w2), keep = bench.small_dense_widths(n_features, n_classes, ratio)
            weights = n_features * w1 + w1 * w2 + w2 * n_classes
            assert full / weights == pytest.approx(ratio, rel=0.1)
            assert 0 < keep < 1


def test_torch_baseline_leaves_plain_pruned_weights(bench):
    X, y = load_digits(return_X_y=True)
    X = (X[:200] / 16).astype(np.float32)
    recipe = bench.Recipe(epochs=3, finetune_epochs=1, batch_size=64)
    clf = bench.fit_torch_one_shot(recipe, 0, X, y[:200], sparsity=0.75)
    linears = [m for m in clf.module_.modules() if isinstance(m, nn.Linear)]
    assert all(not m._forward_pre_hooks for m in linears)
    assert not any("_orig" in k or "_mask" in k for k in clf.module_.state_dict())
    zeros = sum(int((m.weight == 0).sum()) for m in linears)
    total = sum(m.weight.numel() for m in linears)
    assert zeros / total == pytest.approx(0.75, abs=1e-4)
    assert len(clf.history_) == 3  # dense epochs, then fine-tuning: one budget
    assert clf.predict(X).shape == (200,)


def result_row(dataset, method, ratio, accuracy, seed=0, fit_cpu_s=1.0):
    """One row of a benchmark's results, as its worker returns it."""
    return {
        "dataset": dataset,
        "method": method,
        "ratio": ratio,
        "seed": seed,
        "accuracy": accuracy,
        "sparsity": 1 - 1 / ratio,
        "compression": ratio,
        "speedup": ratio,
        "fit_cpu_s": fit_cpu_s,
    }


def fake_results(bench, accuracy):
    """Results of one seed on one data set, ``accuracy[method][ratio]``."""
    rows = [
        result_row("digits", method, ratio, value)
        for method, by_ratio in accuracy.items()
        for ratio, value in by_ratio.items()
    ]
    return bench.summarise(pd.DataFrame(rows))


MET, NOT = "met", "NOT MET"


@pytest.mark.parametrize(
    "best_16, torch_8, random_8, verdicts",
    [
        (0.895, 0.91, 0.80, [MET, MET, MET]),
        (0.885, 0.93, 0.80, [NOT, NOT, MET]),
        (0.895, 0.91, 0.92, [MET, MET, NOT]),
    ],
)
def test_aims_check_compares_the_right_numbers(
    bench, best_16, torch_8, random_8, verdicts
):
    accuracy = {m: {8: 0.5, 16: 0.5} for m in bench.METHODS if m != "dense"}
    accuracy["dense"] = {1: 0.90}
    accuracy["fisher, LAMP"] = {8: 0.92, 16: best_16}
    accuracy[bench.TORCH] = {8: torch_8, 16: 0.5}
    accuracy["magnitude, global"] = {8: 0.91, 16: 0.6}
    accuracy["random"] = {8: random_8, 16: 0.4}
    summary = fake_results(bench, accuracy)
    lines = bench.aims_check(summary, ["digits"], (8, 16))
    found = [re.match(r"- \*\*(met|NOT MET)\*\*", line).group(1) for line in lines]
    assert found == verdicts
    assert "fisher, LAMP" in lines[0]
    if random_8 > 0.91:  # the comparison that failed reads the right way round
        assert "digits 8x: global against random 0.9100 <= 0.9200" in lines[2]


def test_aims_missing_a_ratio_say_not_measured(bench):
    accuracy = {m: {4: 0.5} for m in bench.METHODS if m != "dense"}
    accuracy["dense"] = {1: 0.9}
    summary = fake_results(bench, accuracy)
    lines = bench.aims_check(summary, ["digits"], (4,))
    assert "not measured" in lines[0] and "not measured" in lines[1]
    assert lines[0].startswith("- **not measured**")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--ratios", "1"], "integer >= 2"),
        (["--ratios", "two"], "integer >= 2"),
        (["--seeds", "0"], "integer >= 1"),
        (["--results", "/no/such/folder/RESULTS.md"], "does not exist"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(bench, capsys, argv, message):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


def test_quick_writes_no_file_and_a_full_run_writes_both(bench):
    quick = bench.parse_args(["--quick"])
    assert not quick.write
    assert quick.ratios == bench.QUICK_RATIOS and quick.seeds == 1
    full = bench.parse_args([])
    assert full.write and full.results == SCRIPT.with_name("RESULTS.md")
    assert full.plot == SCRIPT.with_name("tradeoff.png")
    assert full.ratios == (2, 4, 8, 16, 32) and full.seeds == 3


def test_quick_run_prints_the_defaults_study(quick_run, bench):
    results = quick_run
    study = section(results, "### Defaults at high compression")
    for dataset in bench.QUICK_STUDY_DATASETS:
        header, rows = table_after(study, f"**{dataset}**")
        assert header == "| method | 1x | 8x | 16x | fit CPU s |"
        assert [row[0] for row in rows] == ["dense", *bench.STUDY_METHODS]
        assert re.fullmatch(CELL, rows[0][1]) and rows[0][2:4] == ["", ""]
        for row in rows[1:]:
            assert row[1] == "" and all(re.fullmatch(CELL, c) for c in row[2:4])
    aims = results.split("Aims of the defaults study", 1)[1]
    for letter in "efghij":
        line = next(li for li in aims.splitlines() if f"({letter})" in li)
        assert re.match(r"- \*\*(met|NOT MET)\*\*: ", line), line


def test_same_layer_random_ends_at_the_given_layer_sparsities(bench):
    from sklprune.masks import compute_masks

    weights = {"a": torch.ones(40, 30), "b": torch.ones(30, 20), "c": torch.ones(20, 5)}
    wanted = {"a": 0.9, "b": 0.5, "c": 0.0}
    total = sum(w.numel() for w in weights.values())
    overall = sum(wanted[n] * w.numel() for n, w in weights.items()) / total
    strategy = bench.SameLayerRandom(wanted, seed=3)
    half = compute_masks(strategy.score(weights, {}), overall / 2, scope="global")
    masks = compute_masks(
        strategy.score(weights, {}), overall, previous=half, scope="global"
    )
    for name, mask in masks.items():
        assert float(1 - mask.float().mean()) == pytest.approx(wanted[name], abs=1e-3)
        assert not (mask & ~half[name]).any()  # monotone: nothing revived
    assert not torch.equal(masks["a"][0], masks["a"][1])  # random inside a layer


def fake_study(bench, accuracy, cost=None):
    """Study results of one seed: ``accuracy[dataset][method][ratio]``."""
    rows = [
        result_row(
            dataset, method, ratio, value, fit_cpu_s=(cost or {}).get(method, 1.0)
        )
        for dataset, methods in accuracy.items()
        for method, by_ratio in methods.items()
        for ratio, value in by_ratio.items()
    ]
    return bench.summarise(pd.DataFrame(rows))


@pytest.mark.parametrize(
    "narrow_32, text_16, digits_16, random_4, other_32, cost, verdicts",
    [
        (0.921, 0.696, 0.97, 0.5, 0.5, 1.5, [MET, MET, MET, MET, MET, MET, MET]),
        (0.919, 0.694, 0.963, 0.96, 0.98, 1.6, [NOT, NOT, NOT, MET, NOT, NOT, NOT]),
    ],
)
def test_study_aims_compare_the_right_numbers(
    bench, narrow_32, text_16, digits_16, random_4, other_32, cost, verdicts
):
    ratios = (4, 16, 32)
    accuracy = {
        "narrow": {"dense": {1: 0.95}, "default": {4: 0.95, 16: 0.945, 32: narrow_32}},
        "reviews_3class": {
            "dense": {1: 0.70},
            "default": {4: 0.70, 16: text_16, 32: 0.695},
        },
        "rotten_tomatoes": {"dense": {1: 0.70}, "default": dict.fromkeys(ratios, 0.7)},
        "digits": {"dense": {1: 0.97}, "default": {4: 0.97, 16: digits_16, 32: 0.97}},
        "breast_cancer": {"dense": {1: 0.97}, "default": dict.fromkeys(ratios, 0.97)},
    }
    for methods in accuracy.values():
        for rival in (
            "previous default",
            "small dense",
            "random, same layers",
            "other criterion",
        ):
            methods[rival] = dict.fromkeys(ratios, 0.6 if "previous" in rival else 0.5)
    accuracy["digits"]["previous default"][16] = 0.969
    accuracy["narrow"]["random, same layers"][4] = random_4
    accuracy["breast_cancer"]["other criterion"][32] = other_32
    summary = fake_study(bench, accuracy, {"default": cost})
    lines = bench.study_aims(summary, ratios)
    assert [
        re.match(r"- \*\*(met|NOT MET)\*\*", li).group(1) for li in lines
    ] == verdicts
    assert "narrow 32x" in lines[0] and "reviews_3class 16x" in lines[1]
    assert "rotten_tomatoes 32x" in lines[2]
    assert "other criterion" in lines[5] and "training cost" in lines[6]


def test_a_gap_carries_the_standard_error_of_its_paired_seeds(bench):
    rows = [
        result_row("d", m, r, a, seed=seed)
        for m, r, by_seed in (
            ("dense", 1, {0: 0.90, 1: 0.92, 2: 0.94}),
            ("default", 16, {0: 0.89, 1: 0.92, 2: 0.92}),
        )
        for seed, a in by_seed.items()
    ]
    summary = bench.summarise(pd.DataFrame(rows))
    found = bench.gap_check(summary, "d", "default", "dense", 16, 0.5)
    # Differences -1, 0, -2 points: mean -1, standard error 1 / sqrt(3).
    assert found.value == pytest.approx(-1.0) and not found.met
    assert found.text == (
        "d 16x: 0.9100 vs dense 0.9200, difference -1.00 ± 0.58 points < -0.5 points"
    )
    one_seed = bench.summarise(pd.DataFrame([r for r in rows if r["seed"] == 0]))
    assert "±" not in bench.gap_check(one_seed, "d", "default", "dense", 16, 1).text
    assert bench.gap_check(summary, "d", "default", "dense", 4, 1).text == (
        "d 4x: not measured"
    )
