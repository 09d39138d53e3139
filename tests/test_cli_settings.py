"""The settings of a ``sklprune`` run: resolved once, from the command line."""

import dataclasses
import sys
from pathlib import Path

import pytest

from sklprune.cli._errors import UsageError
from sklprune.cli._parser import build_parser
from sklprune.cli._settings import resolve_settings


def _settings(*argv):
    return resolve_settings(build_parser().parse_args(list(argv)))


def test_settings_are_frozen():
    settings = _settings("run")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.sparsity = 0.5


@pytest.mark.parametrize(
    "argv, n_epochs, n_finetune_epochs",
    [
        (["run", "--epochs", "8"], 8, 2),  # "auto" fine-tuning: a quarter
        (["run", "--epochs", "8", "--finetune-epochs", "3"], 8, 3),
        (["run", "--sparsity", "0.5"], 40, 10),  # "auto" epochs: 40 up to 8x
        (["run", "--sparsity", "0.96875"], 60, 15),  # 32x: 60
        (["run", "--sparsity", "0", "--epochs", "3", "--finetune-epochs", "5"], 3, 2),
        (["curve", "--sparsities", "0,0.5,0.96875"], 60, 15),  # the highest counts
    ],
)
def test_epochs_are_resolved_as_the_classifier_resolves_them(
    argv, n_epochs, n_finetune_epochs
):
    settings = _settings(*argv)
    assert (settings.n_epochs, settings.n_finetune_epochs) == (
        n_epochs,
        n_finetune_epochs,
    )


def test_classifier_parameters_are_kept_as_given():
    settings = _settings("run")
    assert settings.max_epochs == "auto"
    assert settings.finetune_epochs == "auto"  # the classifier's default
    assert _settings("run", "--finetune-epochs", "3").finetune_epochs == 3


def test_finetune_epochs_that_leave_no_epoch_to_prune_are_a_usage_error():
    with pytest.raises(UsageError, match="--finetune-epochs 4 must be smaller than"):
        _settings("run", "--epochs", "4", "--finetune-epochs", "4")


def test_each_command_has_its_own_sparsity_setting():
    run = _settings("run", "--sparsity", "0.8")
    curve = _settings("curve", "--sparsities", "0.9,0,0.5", "--cv", "4")
    assert (run.command, run.sparsity, run.sparsities, run.cv) == (
        "run",
        0.8,
        None,
        None,
    )
    assert (curve.command, curve.sparsity, curve.sparsities, curve.cv) == (
        "curve",
        None,
        (0.0, 0.5, 0.9),
        4,
    )


def test_data_options_are_gathered_in_the_data_source():
    settings = _settings(
        "run", "--train", "a.csv", "--target", "y", "--drop", "id", "--drop", "name"
    )
    assert settings.data.train == "a.csv"
    assert settings.data.target == "y"
    assert settings.data.drop == ("id", "name")
    assert settings.data.dataset is None
    assert settings.out == Path("results")


def test_progress_shows_only_on_a_terminal_and_not_when_quiet(monkeypatch):
    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    assert _settings("run").show_progress
    assert not _settings("run", "--quiet").show_progress


def test_extras_are_the_optional_packages_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert "matplotlib" not in _settings("run").extras


def test_onnx_is_installed_only_with_all_of_its_packages(monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    assert _settings("run").onnx
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert not _settings("run").onnx


def test_quantize_without_the_onnx_extra_is_a_usage_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(UsageError, match=r"--quantize int8 writes model.int8.onnx, "):
        _settings("run", "--quantize", "int8")
    assert _settings("run").quantize is None
