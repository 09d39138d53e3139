"""The command line of ``sklprune``: built from its option tables, without torch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sklprune._defaults import ESTIMATOR_DEFAULTS
from sklprune.cli._parser import _commands, _option_groups, build_parser

REPOSITORY = Path(__file__).resolve().parents[1]


def _command_parsers():
    """``{command: its argparse parser}`` of the ``sklprune`` parser."""
    parser = build_parser()
    return next(a for a in parser._actions if a.dest == "command").choices


def _imported_modules(importtime_log):
    """The module names that ``python -X importtime`` logged on standard error."""
    return [
        line.rsplit("|", 1)[1].strip()
        for line in importtime_log.splitlines()
        if line.startswith("import time:") and "|" in line
    ]


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["curve", "--help"]])
def test_help_imports_neither_torch_nor_skorch(argv):
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    process = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sklprune", *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPOSITORY,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert "usage: sklprune" in process.stdout
    modules = _imported_modules(process.stderr)
    assert "sklprune.cli._parser" in modules
    heavy = [m for m in modules if m.split(".")[0] in {"torch", "skorch"}]
    assert heavy == []


def test_sparsity_default_is_the_estimators():
    from sklprune import PrunedClassifier

    args = build_parser().parse_args(["run"])
    assert args.sparsity == ESTIMATOR_DEFAULTS["sparsity"]
    assert args.sparsity == PrunedClassifier().get_params()["sparsity"]


def test_every_option_comes_from_an_option_table():
    assert "--sparsity" in _commands()["run"][1]
    assert {"--sparsities", "--cv"} <= set(_commands()["curve"][1])
    for name, command in _command_parsers().items():
        tables = [*_option_groups(name).values(), _commands()[name][1]]
        flags = {flag for options in tables for flag in options}
        parsed = {
            flag
            for action in command._actions
            for flag in action.option_strings
            if flag not in ("-h", "--help")
        }
        assert parsed <= flags


@pytest.mark.parametrize(
    "option, param",
    [
        ("strategy", "strategy"),
        ("granularity", "granularity"),
        ("scope", "scope"),
        ("schedule", "schedule"),
        ("loss", "loss"),
    ],
)
def test_choices_are_the_names_the_estimators_accept(option, param):
    from sklprune import PrunedClassifier, PrunedRegressor

    run = _command_parsers()["run"]
    action = next(a for a in run._actions if a.dest == option)
    accepted = {
        name
        for estimator in (PrunedClassifier, PrunedRegressor)
        for name in estimator._parameter_constraints[param][0].options
    }
    assert set(action.choices) == accepted


def _help(command):
    return " ".join(_command_parsers()[command].format_help().split())


def test_curve_help_says_that_without_test_it_cross_validates():
    text = _help("curve")
    assert "--test FILE test data with the same columns; the points are scored on " in (
        text
    )
    assert (
        "(default: --cv-fold cross-validation on --train, stratified by class for "
        "classification)" in text
    )
    assert "--test-size" not in text
    assert "hold out --test-size of --train" in _help("run")
