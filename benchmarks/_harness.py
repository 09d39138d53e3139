"""The one harness of the benchmark scripts: common flags, aims, RESULTS.md sections.

Every ``bench_*.py`` builds its command line with :class:`BenchmarkParser`, so all
of them take the same common flags with the same meaning:

* ``--quick``: a small smoke run, for the tests; it writes no file;
* ``--repeats N``: interleaved repeats of every timing (the section reports
  medians); a benchmark that repeats no measurement says so in ``--help``;
* ``--results PATH``: the markdown file whose section a run rewrites (default
  ``benchmarks/RESULTS.md``);
* ``--no-write``: print the section, write no file.

One rule for files: a run writes its section into ``--results`` (and its figure,
if it draws one) unless it is ``--quick`` or ``--no-write``; every run prints the
section. The section is written by :func:`publish`, whose first line after the
heading is the command line that ran. Every aim is stated by :func:`aim` from
comparisons built by :func:`check`, which prints each comparison the way it came
out (``186 µs > 172 µs`` for a failed "at most 172 µs") and computes the verdict.
"""

import argparse
import io
import operator
import re
import shlex
import sys
from collections import namedtuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklprune.persistence._atomic import write_atomic

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("RESULTS.md")

# relation -> (test, the relation that holds instead when the test fails)
RELATIONS = {
    "<": (operator.lt, ">="),
    "<=": (operator.le, ">"),
    ">": (operator.gt, "<="),
    ">=": (operator.ge, "<"),
    "==": (operator.eq, "!="),
}

Check = namedtuple("Check", "met text value", defaults=(None,))
Check.__doc__ = """One comparison of an aim: whether it holds, how it reads, its value.

``value`` is None where nothing was measured.
"""


# ------------------------------------------------------------------ the flags


def positive_int(text):
    """An integer of at least 1, for ``--repeats`` and other counts."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}.")
    return value


class BenchmarkParser(argparse.ArgumentParser):
    """The command line of one benchmark script: the common flags, then its own.

    Parameters
    ----------
    script : path-like
        The script's file (``__file__``), shown in the command line of its section.
    doc : str
        The script's docstring; its first line describes it in ``--help``.
    repeats : tuple of (int, int) or None, default=None
        Default ``--repeats`` of a full run and of a quick run. None: the script
        repeats no measurement, whatever ``--repeats`` says.
    """

    def __init__(self, script, doc, repeats=None):
        self.script = Path(script).resolve()
        super().__init__(prog=display_path(self.script), description=doc.split("\n")[0])
        self.default_repeats = repeats
        self.add_argument(
            "--quick", action="store_true", help="a small smoke run; writes no file"
        )
        if repeats is None:
            repeats_help = "no effect here: this benchmark repeats no measurement"
        else:
            repeats_help = (
                "interleaved repeats of every timing; the section gives medians "
                f"(default {repeats[0]}; {repeats[1]} with --quick)"
            )
        self.add_argument("--repeats", type=positive_int, help=repeats_help)
        self.add_argument(
            "--results",
            type=Path,
            default=RESULTS,
            help="the markdown file whose section a run rewrites (default "
            "benchmarks/RESULTS.md)",
        )
        self.add_argument(
            "--no-write", action="store_true", help="print the section, write no file"
        )

    def parse_args(self, args=None, namespace=None):
        """Parse the command line; add ``write`` and ``command`` to the result.

        ``write`` is whether this run writes files (neither ``--quick`` nor
        ``--no-write``); ``command`` is the command line that ran, as its section
        shows it. Sets torch to one thread, as every benchmark runs.
        """
        import torch

        argv = sys.argv[1:] if args is None else list(args)
        parsed = super().parse_args(argv, namespace)
        if parsed.repeats is None and self.default_repeats is not None:
            parsed.repeats = self.default_repeats[1 if parsed.quick else 0]
        parsed.write = not (parsed.quick or parsed.no_write)
        if parsed.write and not parsed.results.resolve().parent.is_dir():
            self.error(f"--results: the folder of {parsed.results} does not exist.")
        parsed.command = " ".join(["python", self.prog, *map(shlex.quote, argv)])
        torch.set_num_threads(1)
        return parsed


def display_path(path):
    """``path`` relative to the repository root when it is inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------- aims


def check(value, relation, bound, label="", unit="", fmt="{:.2f}", bound_fmt="{:g}"):
    """One comparison of an aim, printed the way it came out.

    Parameters
    ----------
    value : float or str
        The measured value.
    relation : {"<", "<=", ">", ">=", "=="}
        What the aim asks of ``value`` against ``bound``.
    bound : float or str
        The bound the aim sets.
    label : str, default=""
        What was measured, printed before the comparison.
    unit : str, default=""
        Printed after the value and after the bound (``"x"``, ``" µs"``).
    fmt, bound_fmt : str or callable, default="{:.2f}", "{:g}"
        Format strings (or functions) of the value and of the bound.

    Returns
    -------
    Check
        ``met``, and the comparison as text with the relation that holds: a failed
        ``value <= bound`` prints ``value > bound``.

    Examples
    --------
    >>> check(186, "<=", 172, label="weight 90%", unit=" µs", fmt="{:.0f}").text
    'weight 90% 186 µs > 172 µs'
    >>> check(5.9, ">=", 2.5, unit="x")
    Check(met=True, text='5.90x >= 2.5x', value=5.9)
    """
    test, negation = RELATIONS[relation]
    met = bool(test(value, bound))
    value, bound = _no_negative_zero(value), _no_negative_zero(bound)
    shown = f"{_format(fmt, value)}{unit} {relation if met else negation} "
    shown += f"{_format(bound_fmt, bound)}{unit}"
    return Check(met, f"{label} {shown}" if label else shown, value)


def _no_negative_zero(number):
    """``-0.0`` as ``0.0``, so that no bound prints as ``-0``."""
    return number + 0.0 if isinstance(number, float) else number


def _format(fmt, value):
    """``value`` through a format string or a function."""
    return fmt(value) if callable(fmt) else fmt.format(value)


def aim(claim, checks, note="", failures_only=False):
    """One aim line: ``- **met**: claim (comparisons; note)``, or ``**NOT MET**``.

    An aim with nothing measured reads ``- **not measured**: claim (...)``.

    Parameters
    ----------
    claim : str
        What the aim asks, in words.
    checks : Check or list of Check
        The comparisons it rests on; it is met when every one holds. None measured
        (an empty list) is neither met nor failed: the line says so.
    note : str, default=""
        More numbers behind the verdict, printed after the comparisons.
    failures_only : bool, default=False
        Print how many comparisons held and only those that did not, for aims of
        many comparisons.

    Returns
    -------
    str
        The markdown line.

    Examples
    --------
    >>> aim("at least 8x smaller", check(19.9, ">=", 8, unit="x", fmt="{:.1f}"))
    '- **met**: at least 8x smaller (19.9x >= 8x)'
    """
    checks = [checks] if isinstance(checks, Check) else list(checks)
    if not checks:
        extra = f"; {note}" if note else ""
        return f"- **not measured**: {claim} (not measured in this run{extra})"
    met = all(c.met for c in checks)
    if failures_only:
        failed = [c.text for c in checks if not c.met]
        parts = [f"{len(checks) - len(failed)} of {len(checks)} hold"]
        parts += [f"not held: {', '.join(failed)}"] if failed else []
    else:
        parts = [c.text for c in checks]
    parts += [note] if note else []
    return f"- **{'met' if met else 'NOT MET'}**: {claim} ({'; '.join(parts)})"


# ------------------------------------------------------------------- sections


def markdown_table(header, rows, align=None):
    """A markdown table; ``align`` holds ``"l"`` or ``"r"`` per column (default l)."""
    align = align or "l" * len(header)
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---:" if a == "r" else "---" for a in align) + " |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def publish(args, heading, body):
    """Print a section; write it into ``args.results`` when the run writes.

    Parameters
    ----------
    args : argparse.Namespace
        What :meth:`BenchmarkParser.parse_args` returned.
    heading : str
        The section's ``## `` heading.
    body : str
        The section after the command line, starting with what the run measured.

    Returns
    -------
    str
        The section: the heading, then the command line that ran, then ``body``.
    """
    text = f"{heading}\n\n`{args.command}`: {body.strip()}\n"
    print(text)
    if args.write:
        write_section(text, args.results)
        print(f"wrote {args.results}")
    return text


def save_figure(figure, path, args):
    """Save ``figure`` as a PNG at ``path`` when the run writes.

    A run that writes no file (``--quick``, ``--no-write``) still renders the
    figure, into memory, so it is drawn in full either way.
    """
    if args.write:
        write_atomic(path, lambda f: figure.savefig(f, format="png", dpi=110))
        print(f"wrote {path}")
    else:
        figure.savefig(io.BytesIO(), format="png", dpi=110)


def write_section(text, path=RESULTS):
    """Replace the ``## `` section that ``text`` starts with, or append it.

    Parameters
    ----------
    text : str
        The section, starting with its ``## `` heading line.
    path : path-like, default=RESULTS
        The markdown file; other sections are left as they are.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    heading = text.splitlines()[0]
    if not heading.startswith("## "):
        raise ValueError(f"A section starts with a '## ' heading; got {heading!r}.")
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    body = text.rstrip("\n") + "\n"
    if pattern.search(old):
        new = pattern.sub(lambda _: body + "\n", old, count=1).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + body
    write_atomic(path, lambda f: f.write(new), binary=False)
    return path


def read_sections(path=RESULTS):
    """The ``## `` sections of a results file: heading (without ``## ``) to text."""
    text = Path(path).read_text()
    parts = re.split(r"^## (.+)\n", text, flags=re.M)
    return {heading: body for heading, body in zip(parts[1::2], parts[2::2])}


def read_subsection(section, heading):
    """The text of a section's ``### heading`` subsection, up to the next one."""
    match = re.search(
        rf"^### {re.escape(heading)}\n(.*?)(?=^### |\Z)", section, re.S | re.M
    )
    if match is None:
        raise KeyError(f"no subsection '### {heading}'")
    return match.group(1)


Table = namedtuple("Table", "title header rows")
Table.__doc__ = (
    """A markdown table: the line above it, its header, its rows of cells."""
)


def read_tables(section):
    """The markdown tables of a section, in order, as :class:`Table`.

    A table's title is the last non-empty line before it; the alignment row is
    left out, and bold markers are taken off the cells.
    """
    tables, rows, title = [], [], ""
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
            continue
        if rows:
            tables.append(Table(title, rows[0], rows[1:]))
            rows = []
        if line.strip():
            title = line.strip()
    return tables
