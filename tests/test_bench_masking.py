"""benchmarks/bench_masking.py: its quick run writes its own section."""

import bench_masking
import torch


def test_quick_run_writes_its_section_with_computed_aims(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Other\n\nkeep me\n")
    bench_masking.main(["--quick", "--results", str(results)])
    text = results.read_text()
    assert "## Other\n\nkeep me\n" in text
    section = text[text.index(bench_masking.HEADING) :]
    assert section == capsys.readouterr().out.strip() + "\n"
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]
    methods = bench_masking.methods(torch.ones(1, dtype=torch.bool), torch.float32)
    cases = len(bench_masking.QUICK_SHAPES) * len(bench_masking.SPARSITIES)
    assert len(rows) == cases * len(methods)
    exact = {row.split(" | ")[2]: row.rstrip(" |").endswith("yes") for row in rows}
    assert exact == {
        "mul_": False,
        "masked_fill_": True,
        "torch.where": True,
        "bitwise_and_": True,
    }
    assert section.count("- **") == 3
