"""The benchmark harness, and every benchmark's ``--quick`` run.

A quick run is given a copy of ``benchmarks/RESULTS.md`` as ``--results``: it must
print its section and leave the copy, and the real file, byte-identical. Scripts
with a test module of their own (``tests/test_bench_<name>.py``) run there, through
:func:`run_quick`; the others run here.
"""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _harness import (
    BenchmarkParser,
    aim,
    check,
    publish,
    read_sections,
    read_tables,
    save_figure,
    write_section,
)

TESTS = Path(__file__).resolve().parent
BENCHMARKS = TESTS.parent / "benchmarks"
RESULTS = BENCHMARKS / "RESULTS.md"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("bench_*.py"))
AIM_LINE = r"^- \*\*(met|NOT MET)\*\*: .+\(.+\)$"


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def published():
    """Digests of the files the benchmarks publish: RESULTS.md and the figures."""
    files = [RESULTS, *sorted(BENCHMARKS.glob("*.png"))]
    return {path.name: digest(path) for path in files}


def run_quick(script, folder, *extra):
    """Run ``script --quick`` against a copy of RESULTS.md; return its stdout.

    Fails unless the run succeeds, prints the command line that ran, and leaves
    the copy, ``benchmarks/RESULTS.md`` and the published figures byte-identical.
    """
    before = published()
    copy = Path(folder) / "RESULTS.md"
    shutil.copyfile(RESULTS, copy)
    command = [sys.executable, str(BENCHMARKS / script), "--quick"]
    command += ["--results", str(copy), *extra]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=folder, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert digest(copy) == before[RESULTS.name] and published() == before
    assert f"`python benchmarks/{script} --quick --results {copy}" in done.stdout
    assert list(Path(folder).iterdir()) == [copy]  # nothing else written
    return done.stdout


def section_of(stdout, heading):
    """The section a run printed, from its heading to the end of the output."""
    assert stdout.count(heading) == 1, stdout[-3000:]
    return stdout[stdout.index(heading) :]


def own_test(script):
    return TESTS / f"test_{Path(script).stem}.py"


@pytest.mark.parametrize("script", [s for s in SCRIPTS if not own_test(s).exists()])
def test_quick_run_prints_its_section_and_writes_nothing(script, tmp_path):
    stdout = run_quick(script, tmp_path)
    heading = next(line for line in stdout.splitlines() if line.startswith("## "))
    assert heading[3:] in read_sections(RESULTS)
    section = section_of(stdout, heading)
    assert re.findall(AIM_LINE, section, re.M), section


@pytest.mark.parametrize("script", [s for s in SCRIPTS if own_test(s).exists()])
def test_every_other_script_runs_quick_in_its_own_test_module(script):
    assert "run_quick(" in own_test(script).read_text()


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_takes_the_common_flags(script):
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--help"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for flag in ("--quick", "--repeats", "--results", "--no-write"):
        assert flag in done.stdout


def test_every_section_of_results_names_the_script_that_wrote_it():
    for heading, body in read_sections(RESULTS).items():
        command = re.match(r"\s*`(?:python )?(benchmarks/bench_\w+\.py)[^`]*`", body)
        assert command, heading
        assert (BENCHMARKS.parent / command.group(1)).exists()


# ------------------------------------------------------------------ the harness


@pytest.mark.parametrize(
    "value, relation, bound, text, met",
    [
        (186, "<=", 172, "186 µs > 172 µs", False),
        (150, "<=", 172, "150 µs <= 172 µs", True),
        (186, "<", 186, "186 µs >= 186 µs", False),
        (3, ">=", 8, "3 µs < 8 µs", False),
        (9, ">", 8, "9 µs > 8 µs", True),
        (8, ">", 8, "8 µs <= 8 µs", False),
    ],
)
def test_a_check_prints_the_relation_that_holds(value, relation, bound, text, met):
    found = check(value, relation, bound, unit=" µs", fmt="{:.0f}")
    assert found.text == text and found.met is met and found.value == value


def test_a_check_formats_its_label_and_strings():
    found = check(
        "masked_fill_", "==", "bitwise_and_", label="fastest:", fmt="{}", bound_fmt="{}"
    )
    assert found.text == "fastest: masked_fill_ != bitwise_and_" and not found.met
    gap = check(-1.0, ">=", -0.5, unit=" points", fmt=lambda v: f"{v:+.2f} ± 0.58")
    assert gap.text == "-1.00 ± 0.58 points < -0.5 points"


def test_an_aim_is_met_only_when_every_check_holds():
    good, bad = check(2, ">", 1, fmt="{}"), check(0, ">", 1, fmt="{}")
    assert aim("claim", good) == "- **met**: claim (2 > 1)"
    assert aim("claim", [good, bad], "note") == (
        "- **NOT MET**: claim (2 > 1; 0 <= 1; note)"
    )
    assert aim("claim", []) == "- **not measured**: claim (not measured in this run)"
    assert aim("claim", [good, bad], failures_only=True) == (
        "- **NOT MET**: claim (1 of 2 hold; not held: 0 <= 1)"
    )
    assert aim("claim", [good], failures_only=True) == "- **met**: claim (1 of 1 hold)"


def parser(repeats=(7, 2)):
    return BenchmarkParser(BENCHMARKS / "bench_masking.py", "A benchmark.", repeats)


@pytest.mark.parametrize(
    "argv, write, repeats",
    [
        ([], True, 7),
        (["--quick"], False, 2),
        (["--no-write"], False, 7),
        (["--quick", "--repeats", "4"], False, 4),
    ],
)
def test_the_common_flags_mean_the_same_everywhere(argv, write, repeats):
    args = parser().parse_args(argv)
    assert args.write is write and args.repeats == repeats
    assert args.results == RESULTS
    assert args.command == " ".join(["python benchmarks/bench_masking.py", *argv])


def test_a_benchmark_that_times_nothing_accepts_repeats_and_says_so(capsys):
    assert parser(repeats=None).parse_args(["--repeats", "3"]).write
    with pytest.raises(SystemExit):
        parser(repeats=None).parse_args(["--help"])
    assert "no effect" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--repeats", "0"], "integer >= 1"),
        (["--results", "/no/such/folder/RESULTS.md"], "does not exist"),
    ],
)
def test_bad_common_flags_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(argv)
    assert message in capsys.readouterr().err


def test_publish_writes_only_a_run_that_writes(tmp_path, capsys):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## Other\n\nkeep me\n")
    for argv in (["--quick"], ["--no-write"]):
        args = parser().parse_args([*argv, "--results", str(path)])
        publish(args, "## Mine", "what was measured")
        assert "## Mine" not in path.read_text()
    args = parser().parse_args(["--results", str(path)])
    text = publish(args, "## Mine", "what was measured\n")
    assert text == f"## Mine\n\n`{args.command}`: what was measured\n"
    assert path.read_text().endswith(text) and "keep me" in path.read_text()
    assert text in capsys.readouterr().out


def test_save_figure_draws_in_every_run_and_writes_only_when_asked(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    png = tmp_path / "figure.png"
    save_figure(fig, png, parser().parse_args(["--quick"]))
    assert not png.exists()
    save_figure(fig, png, parser().parse_args(["--results", str(tmp_path / "R.md")]))
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    plt.close(fig)


def test_write_section_replaces_only_its_own_section(tmp_path):
    path = tmp_path / "RESULTS.md"
    write_section("## A\n\nfirst\n", path)
    write_section("## B\n\nother\n", path)
    write_section("## A\n\nsecond\n", path)
    text = path.read_text()
    assert "first" not in text
    assert text.index("## A") < text.index("second") < text.index("## B")
    assert "other" in text


def test_write_section_refuses_text_without_a_heading(tmp_path):
    with pytest.raises(ValueError, match="starts with a '## ' heading"):
        write_section("no heading\n", tmp_path / "RESULTS.md")


def test_sections_and_tables_read_back_what_was_written(tmp_path):
    path = tmp_path / "RESULTS.md"
    table = "| a | b |\n| --- | ---: |\n| x | **1.0** |\n| y | 2.0 |\n"
    write_section(f"## A\n\ntext\n\n{table}\nmore\n\n{table}", path)
    write_section("## B\n\nother\n", path)
    sections = read_sections(path)
    assert list(sections) == ["A", "B"]
    first, second = read_tables(sections["A"])
    assert first == ("text", ["a", "b"], [["x", "1.0"], ["y", "2.0"]])
    assert second == ("more", ["a", "b"], [["x", "1.0"], ["y", "2.0"]])
    assert read_tables("no table\n") == []


def test_file_size_table_has_a_row_per_width_and_sparsity(tmp_path):
    stdout = run_quick("bench_file_size.py", tmp_path)
    section = section_of(stdout, "## File size against sparsity")
    table = read_tables(section)[0]
    assert [row[:2] for row in table.rows] == [
        [width, sparsity]
        for width in ("32", "64-32")
        for sparsity in ("0", "0.9", "0.97", "0.99")
    ]
    ratios = [float(r) for r in re.findall(r"\((\d+\.\d)x\)", section.split("- **")[0])]
    assert len(ratios) == 2 * 15 and all(r >= 1.0 for r in ratios)
    aims = re.findall(AIM_LINE, section, re.M)
    assert len(aims) == 5
    aim_lines = [line for line in section.splitlines() if line.startswith("- **")]
    assert all(
        re.search(r"32: \d+\.\dx (>=|<) 8x; 64-32: ", line) for line in aim_lines[:4]
    )
    text = read_tables(section)[1]
    assert text.title.startswith("**TF-IDF pipeline** (as `sklprune run --text-column`")
    assert [row[0] for row in text.rows] == [
        "pickle, as fitted",
        "skops, deflate, as fitted",
        "model.pkl, as the command writes it",
        "model.skops, as the command writes it",
    ]
    entries = {row[0]: row[2] for row in text.rows}
    # skops writes each term's numpy integer as a zip entry of its own
    assert int(entries["skops, deflate, as fitted"]) > 300
    assert int(entries["model.skops, as the command writes it"]) < 30
    assert re.search(r"as fitted: [\d,]+ (<=|>) [\d,]+; as written: ", aim_lines[4])
