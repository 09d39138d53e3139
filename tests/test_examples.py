"""The example gallery, the user guide's code and the README's quick start work.

Every example is checked for the gallery's structure and for imports that resolve;
the fast ones are run as a user runs them, in a fresh process. The others run when
``make docs`` builds the gallery.
"""

import ast
import doctest
import importlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES_WITH_CODE = sorted(
    page
    for page in DOCS.rglob("*.rst")
    if "_build" not in page.parts
    and "generated" not in page.parts
    and "auto_examples" not in page.parts
    and ">>> " in page.read_text(encoding="utf-8")
)

# Run by the test suite: each takes a few seconds of training. The other examples
# take 5 to 25 s each and run in the docs build.
EXECUTED = ("plot_quickstart.py", "plot_compaction_speedup.py")


def _load_docs_module(name):
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_exist():
    assert len(EXAMPLES) >= 10
    assert {p.name for p in EXAMPLES} >= set(EXECUTED)


def test_gallery_order_lists_every_example():
    order = _load_docs_module("_gallery_order").ORDER
    assert sorted(order) == [p.name for p in EXAMPLES]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_a_gallery_script(path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    docstring = ast.get_docstring(tree, clean=False)
    assert docstring, "a gallery example starts with a docstring holding its title"
    lines = docstring.strip("\n").splitlines()
    over, title, under = lines[:3]
    assert set(over) == {"="} and over == under, "title needs = over- and underline"
    assert len(over) >= len(title), "the title's lines must be as long as the title"
    assert len(lines) > 4, "the title is followed by a description"
    assert source.count("\n# %%") >= 2, "split into # %% cells"
    assert "torch.set_num_threads(1)" in source
    assert re.search(r"plt\.show\(\)|\.round\(\d\)\s*$", source), (
        "ends in a plot or a table"
    )


def _imports(tree):
    """(module, names, optional) for every import; optional under except ImportError."""
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id == "ImportError"
            for h in node.handlers
        ):
            optional.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], id(node) in optional
        elif isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            yield node.module, names, id(node) in optional


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_imports_resolve(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module_name, names, optional in _imports(tree):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            if optional:
                continue
            raise
        for name in names:
            if not hasattr(module, name):
                importlib.import_module(f"{module_name}.{name}")


@pytest.mark.parametrize("name", EXECUTED)
def test_fast_example_runs_on_its_own(name, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-W", "error::FutureWarning", str(ROOT / "examples" / name)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(
    "page", PAGES_WITH_CODE, ids=lambda p: str(p.relative_to(DOCS))
)
def test_documentation_code_runs(page):
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    )
    report = io.StringIO()
    runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()
    assert runner.tries > 0


def test_readme_quick_start_runs(capsys):
    text = README.read_text(encoding="utf-8")
    match = re.search(r"## Quick start\n\n```python\n(.*?)```", text, re.S)
    assert match, "README has a python quick start"
    code = match.group(1)
    assert len(code.strip().splitlines()) <= 14
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(code, str(README), "exec"), {})
    ours = [w for w in caught if "sklprune" in str(w.filename)]
    assert not ours, [str(w.message) for w in ours]
    printed = capsys.readouterr().out
    assert "prunedclassifier__sparsity" in printed
    assert "total" in printed
    # Every column it selects is shown, none hidden behind "...".
    assert "..." not in printed and " columns]" not in printed
    for column in ["parameters", "nonzero", "macs", "mac_ratio"]:
        assert column in printed
    assert "ms per 1000 rows" in printed  # measured, beside the theoretical ratio


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    head = text.split("## ")[0]
    assert head.index("make demo") < head.index("make test") < head.index("sklprune ")


def test_readme_links_and_picture_exist():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)\)", text)
    assert targets
    for target in targets:
        assert not target.startswith("http"), "the README links into the repository"
        assert (ROOT / target).exists(), target
    picture = ROOT / "docs" / "_static" / "pruning_curve.png"
    assert "docs/_static/pruning_curve.png" in targets
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size < 100_000


@pytest.mark.parametrize(
    "name",
    [
        "plot_sparsity_and_mask",
        "plot_granularity",
        "plot_scope",
        "plot_schedules",
        "plot_compaction",
        "plot_coupled_units",
    ],
)
def test_user_guide_figure_draws(name):
    import matplotlib.pyplot as plt

    figures = _load_docs_module("figures")
    fig = getattr(figures, name)()
    try:
        assert fig.axes
        assert any(ax.has_data() for ax in fig.axes)
    finally:
        plt.close(fig)
