"""``python -m sklprune``: the ``sklprune`` command; see :mod:`sklprune.cli`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
