"""The one writer of ``benchmarks/RESULTS.md``: each script owns one ``## `` section.

A script builds its section's text (heading first) from what it measured in the same
run, and its aims with :func:`aim`, so every number and every verdict in the file is
written by code. Sections of other scripts are left as they are.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklprune.persistence._atomic import write_atomic

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(text, path=RESULTS):
    """Replace the ``## `` section that ``text`` starts with, or append it.

    Parameters
    ----------
    text : str
        The section, starting with its ``## `` heading line.
    path : path-like, default=RESULTS
        The markdown file.
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


def aim(description, met, detail):
    """One computed aim line: ``- **met** / **NOT MET**: description (detail)``."""
    verdict = "met" if met else "NOT MET"
    return f"- **{verdict}**: {description} ({detail})"
