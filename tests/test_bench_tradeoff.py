"""benchmarks/bench_tradeoff.py: its quick run, its tables and its helpers."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_digits
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
def quick_run(tmp_path_factory):
    """One ``--quick`` run into a RESULTS.md that holds other sections too."""
    folder = tmp_path_factory.mktemp("bench")
    results, png = folder / "RESULTS.md", folder / "tradeoff.png"
    results.write_text(
        "# Benchmark results\n\n## Compaction latency\n\nkeep me 1\n\n"
        "## Accuracy vs compression (Blalock et al. protocol)\n\nstale table\n\n"
        "## Sparse input\n\nkeep me 2\n"
    )
    command = [sys.executable, str(SCRIPT), "--quick", "--n-jobs", "1"]
    command += ["--results", str(results), "--plot", str(png)]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=folder, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, results.read_text(), png


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


def test_quick_run_replaces_only_its_own_section(quick_run, bench):
    _, results, _ = quick_run
    assert results.count(bench.HEADING) == 1
    assert "stale table" not in results
    assert "## Compaction latency\n\nkeep me 1\n" in results
    assert results.rstrip().endswith("## Sparse input\n\nkeep me 2")
    assert results.index("keep me 1") < results.index(bench.HEADING)
    assert results.index(bench.HEADING) < results.index("keep me 2")


def test_quick_run_prints_the_section_it_writes(quick_run, bench):
    stdout, results, _ = quick_run
    start = results.index(bench.HEADING)
    mine = results[start : results.index("## Sparse input")].strip()
    assert mine in stdout


def test_accuracy_tables_have_every_method_and_ratio(quick_run, bench):
    _, results, _ = quick_run
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
    _, results, _ = quick_run
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


def test_overhead_table_times_every_variant_against_no_callback(quick_run):
    _, results, _ = quick_run
    overhead = section(results, "### Training-time overhead of PruningCallback")
    header, rows = table_after(overhead, "shared machine.")
    assert header.startswith("| workload | data path | variant | CPU s")
    assert len(rows) == 9  # digits x 2 data paths x 3 + synthetic x 1 x 3
    for row in rows:
        if row[2] == "no callback":
            assert row[5] == row[6] == "1.000x"
        assert float(row[3]) > 0 and float(row[5].rstrip("x")) > 0


def test_aims_are_checked_with_a_verdict_each(quick_run):
    stdout, results, _ = quick_run
    aims = section(results, "### Aims")
    for letter in "abcd":
        line = next(li for li in aims.splitlines() if li.startswith(f"* ({letter})"))
        assert re.search(r": (MET|NOT MET)\b", line), line
    assert "(a) at 16x" in stdout and "(b) at 8x" in stdout


def test_quick_run_draws_a_png(quick_run):
    _, results, png = quick_run
    umask = os.umask(0)
    os.umask(umask)
    assert png.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0o600
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    assert "](tradeoff.png)" in results


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


def fake_overhead(cpu_ratio):
    return pd.DataFrame(
        [
            {"workload": "w", "loader": "l", "variant": "no callback"}
            | {"cpu_ratio": 1.0, "wall_ratio": 1.0},
            {"workload": "w", "loader": "l", "variant": "magnitude"}
            | {"cpu_ratio": cpu_ratio, "wall_ratio": cpu_ratio},
        ]
    )


@pytest.mark.parametrize(
    "best_16, torch_8, random_8, cpu_ratio, verdicts",
    [
        (0.895, 0.91, 0.80, 1.05, ["MET", "MET", "MET", "MET"]),
        (0.885, 0.93, 0.80, 1.05, ["NOT MET", "NOT MET", "MET", "MET"]),
        (0.895, 0.91, 0.92, 1.15, ["MET", "MET", "NOT MET", "NOT MET"]),
    ],
)
def test_aims_check_compares_the_right_numbers(
    bench, best_16, torch_8, random_8, cpu_ratio, verdicts
):
    accuracy = {m: {8: 0.5, 16: 0.5} for m in bench.METHODS if m != "dense"}
    accuracy["dense"] = {1: 0.90}
    accuracy["fisher, LAMP"] = {8: 0.92, 16: best_16}
    accuracy[bench.TORCH] = {8: torch_8, 16: 0.5}
    accuracy["magnitude, global"] = {8: 0.91, 16: 0.6}
    accuracy["random"] = {8: random_8, 16: 0.4}
    summary = fake_results(bench, accuracy)
    lines = bench.aims_check(summary, ["digits"], (8, 16), fake_overhead(cpu_ratio))
    found = [re.search(r": (MET|NOT MET)\b", line).group(1) for line in lines]
    assert found == verdicts
    assert "fisher, LAMP" in lines[0]


def test_aims_missing_a_ratio_say_not_measured(bench):
    accuracy = {m: {4: 0.5} for m in bench.METHODS if m != "dense"}
    accuracy["dense"] = {1: 0.9}
    summary = fake_results(bench, accuracy)
    lines = bench.aims_check(summary, ["digits"], (4,), fake_overhead(1.0))
    assert "not measured" in lines[0] and "not measured" in lines[1]


def test_write_section_appends_then_replaces_in_place(bench, tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## Other\n\nkept\n")
    path.chmod(0o640)
    bench.write_section(f"{bench.HEADING}\n\nfirst\n", path)
    assert path.stat().st_mode & 0o777 == 0o640  # permissions are kept
    assert path.read_text().endswith(f"kept\n\n{bench.HEADING}\n\nfirst\n")
    bench.write_section(f"{bench.HEADING}\n\nsecond\n", path)
    text = path.read_text()
    assert text.count(bench.HEADING) == 1 and "first" not in text
    assert text.endswith("second\n") and "## Other\n\nkept\n" in text
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temp left


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


def test_quick_writes_files_only_where_asked(bench):
    quick = bench.parse_args(["--quick"])
    assert quick.results is None and quick.plot is None
    assert quick.ratios == bench.QUICK_RATIOS and quick.seeds == 1
    full = bench.parse_args([])
    assert full.results == SCRIPT.with_name("RESULTS.md")
    assert full.plot == SCRIPT.with_name("tradeoff.png")
    assert full.ratios == (2, 4, 8, 16, 32) and full.seeds == 3


def test_quick_run_writes_the_defaults_study(quick_run, bench):
    _, results, _ = quick_run
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


MET, NOT = "met", "NOT MET"


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
    gap, detail = bench._gap_detail(summary, "d", "default", "dense", 16)
    # Differences -1, 0, -2 points: mean -1, standard error 1 / sqrt(3).
    assert gap == pytest.approx(-1.0)
    assert detail == "d 16x: 0.9100 vs dense 0.9200 (-1.00 ± 0.58 points)"
    one_seed = bench.summarise(pd.DataFrame([r for r in rows if r["seed"] == 0]))
    assert "±" not in bench._gap_detail(one_seed, "d", "default", "dense", 16)[1]
