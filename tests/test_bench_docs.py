"""The benchmark numbers of the user guide come from benchmarks/RESULTS.md only.

``docs/benchmark_numbers.py`` defines a substitution for every number a page
quotes, read from what the benchmark scripts wrote. These tests check, without a
Sphinx build, that every name is found in ``RESULTS.md``, that the pages use the
names and no literal measured numbers, and that the text the scripts write now is
read as well as the text already in ``RESULTS.md``.
"""

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import benchmark_numbers  # noqa: E402

# The pages written by hand (not the gallery's or autosummary's generated ones).
PAGES = sorted(
    page
    for page in DOCS.rglob("*.rst")
    if not {"_build", "auto_examples", "generated"} & set(page.relative_to(DOCS).parts)
    and page.name != "sg_execution_times.rst"
)
SPHINX_NAMES = {"version", "release", "today"}
# A decimal number with a unit of time, size or speed-up, as a measurement reads.
MEASURED = re.compile(r"\b\d+\.\d+ ?(x|s|ms|µs|MB|KB|MiB)\b")


def used_names():
    names = set()
    for page in PAGES:
        lines = page.read_text().splitlines()
        text = "\n".join(
            li for li in lines if not li.lstrip().startswith((">>>", "..."))
        )
        text = re.sub(r"``.*?``|`[^`]*`", "", text, flags=re.S)  # literals, roles
        names |= set(re.findall(r"(?<![\w|])\|(\w+)\|(?![\w|])", text))
    return names


def test_every_number_is_found_in_results():
    found = benchmark_numbers.read()
    assert set(found) == set(benchmark_numbers.NUMBERS)
    assert all(text.strip() for text in found.values())


def test_pages_use_only_defined_names_and_every_name_is_used():
    used = used_names() - SPHINX_NAMES
    assert used == set(benchmark_numbers.NUMBERS)


def test_the_prolog_defines_every_name_once():
    prolog = benchmark_numbers.rst_prolog()
    names = re.findall(r"^\.\. \|(\w+)\| replace:: \S", prolog, re.M)
    assert sorted(names) == sorted(benchmark_numbers.NUMBERS)


def test_no_page_types_a_measured_number():
    for page in PAGES:
        for line in page.read_text().splitlines():
            assert not MEASURED.search(line), f"{page.name}: {line}"


def test_a_missing_number_names_itself(tmp_path):
    results = tmp_path / "RESULTS.md"
    text = benchmark_numbers.RESULTS.read_text()
    results.write_text(text.replace("| pruning_curve (path) |", "| renamed |"))
    with pytest.raises(LookupError, match=r"\|path_wall_s\|"):
        benchmark_numbers.read(results)


def quotes_of(section):
    return {
        name: where
        for name, where in benchmark_numbers.NUMBERS.items()
        if isinstance(where, benchmark_numbers.Quote)
        and where.section.startswith(section)
    }


def test_tradeoff_quotes_read_the_aims_the_script_writes_now():
    import bench_tradeoff

    ratios = (4, 16, 32)
    rows = []
    for dataset in bench_tradeoff.STUDY_DATASETS:
        for seed in (0, 1, 2):
            accuracy = {"dense": {1: 0.95}, "default": dict.fromkeys(ratios, 0.93)}
            for method in bench_tradeoff.STUDY_METHODS[1:]:
                accuracy[method] = dict.fromkeys(ratios, 0.92 + seed / 100)
            rows += [
                {
                    "dataset": dataset,
                    "method": method,
                    "ratio": ratio,
                    "seed": seed,
                    "accuracy": value - seed / 200,
                    "sparsity": 0.0,
                    "compression": ratio,
                    "speedup": ratio,
                    "fit_cpu_s": 1.0 + (method == "default"),
                }
                for method, by_ratio in accuracy.items()
                for ratio, value in by_ratio.items()
            ]
    lines = bench_tradeoff.study_aims(
        bench_tradeoff.summarise(pd.DataFrame(rows)), ratios
    )
    text = "\n".join(lines)
    for name, quote in quotes_of(benchmark_numbers.TRADEOFF).items():
        assert re.search(quote.pattern, text), name


def test_sparse_input_quote_reads_the_aim_the_script_writes_now():
    import bench_sparse_input

    def row(seconds, accuracy):
        return {
            "epoch_s": seconds,
            "cpu_epoch_s": seconds / 2,
            "fit_s": 2 * seconds,
            "fit_cpu_s": seconds,
            "peak_mb": 1000.0,
            "accuracy": accuracy,
        }

    rows = {
        (20_000, "sklprune"): row(2.0, 0.73),
        (20_000, "skorch"): row(90.0, 0.73),
        (1_000_000, "sklprune"): row(24.0, 0.81),
    }
    text = "\n".join(bench_sparse_input.aims(rows, 20_000, 1_000_000))
    for name, quote in quotes_of(benchmark_numbers.SPARSE).items():
        assert re.search(quote.pattern, text).group(1) == "45.0x", name
