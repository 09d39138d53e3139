"""Files written by an earlier layout of the package still load and predict."""

import pickle
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris

DATA = Path(__file__).parent / "data" / "before_house_move"
NAMES = ["classifier", "classifier_neuron_compact", "classifier_cv", "feature_pruner"]


def _outputs(model, X):
    return (
        model.predict_proba(X)
        if hasattr(model, "predict_proba")
        else (model.transform(X))
    )


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)[0].astype(np.float32)


@pytest.fixture(scope="module")
def expected():
    with np.load(DATA / "expected.npz") as stored:
        return dict(stored)


@pytest.mark.parametrize("name", NAMES)
def test_a_pickle_written_before_the_house_move_predicts_as_it_did(
    name, iris, expected
):
    with open(DATA / f"{name}.pkl", "rb") as file:
        model = pickle.load(file)
    assert_allclose(_outputs(model, iris), expected[name], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_a_skops_file_written_before_the_house_move_predicts_as_it_did(
    name, iris, expected
):
    sio = pytest.importorskip("skops.io")
    path = DATA / f"{name}.skops"
    untrusted = sio.get_untrusted_types(file=path)
    assert all(t.startswith(("sklprune.", "torch.nn.modules.")) for t in untrusted), (
        untrusted
    )
    model = sio.load(path, trusted=untrusted)
    assert_allclose(_outputs(model, iris), expected[name], rtol=1e-6, atol=1e-7)
