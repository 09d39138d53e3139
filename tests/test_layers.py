"""The house's rooms: lower ones never import higher ones (shared/DESIGN.md)."""

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]

# The engine: knows torch, not scikit-learn or skorch.
ENGINE = [
    "sklprune.masks",
    "sklprune.strategies",
    "sklprune.schedules",
    "sklprune.losses",
    "sklprune.optim",
    "sklprune.modules",
    "sklprune.compaction",
    "sklprune.inference",
    "sklprune.persistence",
]


def _modules_after_importing(modules):
    """The module names a fresh interpreter holds after importing ``modules``."""
    code = f"import sys, {', '.join(modules)}; print(' '.join(sys.modules))"
    process = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        cwd=REPOSITORY,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    return set(process.stdout.split())


def _packages(modules):
    return {name.split(".")[0] for name in modules}


def test_the_engine_imports_neither_scikit_learn_nor_skorch():
    modules = _modules_after_importing(ENGINE)
    assert set(ENGINE) <= modules
    assert "torch" in _packages(modules)
    assert _packages(modules).isdisjoint({"sklearn", "skorch"})


def test_the_callback_imports_none_of_the_rooms_above_it():
    modules = _modules_after_importing(["sklprune.callbacks"])
    assert "skorch" in _packages(modules)
    above = {"sklprune._estimator", "sklprune.classifier", "sklprune.regressor"}
    above |= {"sklprune.cli", "sklprune.onnx"}
    assert above.isdisjoint(modules)
