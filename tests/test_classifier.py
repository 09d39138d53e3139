import inspect
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from _helpers import documented_defaults
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_blobs
from sklearn.ensemble import BaggingClassifier, VotingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklprune import MagnitudeStrategy, PrunedClassifier
from sklprune._defaults import ESTIMATOR_DEFAULTS
from sklprune.datasets import load_rotten_tomatoes

FAST = {"max_epochs": 15, "finetune_epochs": 3, "hidden_layer_sizes": (64,), "lr": 0.01}


@pytest.fixture(scope="module")
def cancer_frame():
    data = load_breast_cancer(as_frame=True)
    X = pd.DataFrame(
        StandardScaler().fit_transform(data.data), columns=data.data.columns
    )
    y = np.where(data.target == 1, "benign", "malignant")
    return X, y


@pytest.fixture(scope="module")
def texts():
    X, y = load_rotten_tomatoes(return_X_y=True)
    rng = np.random.RandomState(0)
    index = rng.choice(len(X), 600, replace=False)
    return [X[i] for i in index], np.asarray(y)[index]


def test_pandas_in_string_labels_out(cancer_frame):
    X, y = cancer_frame
    clf = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    assert list(clf.classes_) == ["benign", "malignant"]
    assert list(clf.feature_names_in_) == list(X.columns)
    predictions = clf.predict(X)
    assert set(predictions) <= {"benign", "malignant"}
    assert clf.score(X, y) > 0.9
    assert clf.sparsity_ == pytest.approx(0.9, abs=0.005)
    assert 0 < clf.n_nonzero_ < clf.n_parameters_
    assert clf.n_iter_ == 15


def test_cross_val_score_on_frame_with_string_labels(cancer_frame):
    X, y = cancer_frame
    scores = cross_val_score(PrunedClassifier(random_state=0, **FAST), X, y, cv=3)
    assert scores.mean() > 0.9


def test_tfidf_pipeline_trains_on_csr_without_densifying_it_whole(texts, monkeypatch):
    X, y = texts
    densified_rows = []
    original = sp.csr_matrix.toarray

    def counting_toarray(self, *args, **kwargs):
        densified_rows.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", counting_toarray)
    pipe = make_pipeline(
        TfidfVectorizer(min_df=2),
        PrunedClassifier(batch_size=32, random_state=0, **FAST),
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.8
    assert pipe[-1].sparsity_ == pytest.approx(0.9, abs=0.005)
    # The default MLP multiplies sparse batches: nothing bigger than a batch is
    # ever made dense, in training or in prediction.
    assert max(densified_rows, default=0) <= 32


def test_a_dense_only_module_densifies_one_batch_at_a_time(texts, monkeypatch):
    X, y = texts
    X = TfidfVectorizer(min_df=2).fit_transform(X)
    densified_rows = []
    original = sp.csr_matrix.toarray

    def counting_toarray(self, *args, **kwargs):
        densified_rows.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", counting_toarray)
    PrunedClassifier(UserNet, batch_size=32, random_state=0, **FAST).fit(X, y)
    assert max(densified_rows) == 32


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
def test_sparse_matrices_and_arrays_give_the_dense_result(container, blobs):
    X, y = blobs
    dense = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    sparse = PrunedClassifier(random_state=0, **FAST).fit(container(X), y)
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(container(X)), atol=1e-5
    )


def test_grid_search_over_sparsity_strategy_and_loss_in_parallel(texts):
    X, y = texts
    pipe = make_pipeline(
        TfidfVectorizer(min_df=2),
        PrunedClassifier(
            random_state=0, max_epochs=6, finetune_epochs=2, hidden_layer_sizes=(32,)
        ),
    )
    grid = {
        "prunedclassifier__sparsity": [0.5, 0.9],
        "prunedclassifier__strategy": ["magnitude", "gradient", "fisher"],
        "prunedclassifier__loss": ["cross_entropy", "mse"],
    }
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 12
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_[-1]
    assert best.sparsity_ == pytest.approx(best.sparsity, abs=0.005)


def test_same_random_state_gives_same_predictions(blobs):
    X, y = blobs
    a = PrunedClassifier(random_state=7, strategy="random", **FAST).fit(X, y)
    b = PrunedClassifier(random_state=7, strategy="random", **FAST).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters()):
        assert torch.equal(pa, pb)


def test_fit_leaves_the_global_torch_generator_alone(blobs):
    X, y = blobs
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    PrunedClassifier(random_state=0, **FAST).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_clone_pickle_and_skops_round_trips_give_identical_predictions(blobs, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    X, y = blobs
    clf = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), expected
    )
    refit = clone(clf).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), expected)
    path = tmp_path / "model.skops"
    skops_io.dump(clf, path)
    loaded = skops_io.load(path, trusted=skops_io.get_untrusted_types(file=path))
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-6)


def test_ensembles_of_pruned_nets(blobs):
    X, y = blobs
    params = {**FAST, "sparsity": 0.5}
    bagging = BaggingClassifier(
        PrunedClassifier(**params), n_estimators=3, random_state=0
    ).fit(X, y)
    voting = VotingClassifier(
        [
            ("a", PrunedClassifier(random_state=0, **params)),
            ("b", PrunedClassifier(random_state=1, strategy="fisher", **params)),
        ],
        voting="soft",
    ).fit(X, y)
    assert bagging.score(X, y) > 0.8 and voting.score(X, y) > 0.8


def test_html_repr_shows_parameters():
    html = PrunedClassifier(sparsity=0.8)._repr_html_()
    assert "PrunedClassifier" in html and "0.8" in html


def test_every_documented_default_is_the_one_of_the_defaults_table():
    documented = documented_defaults(PrunedClassifier)
    signature = {
        name: parameter.default
        for name, parameter in inspect.signature(PrunedClassifier).parameters.items()
    }
    assert list(documented) == list(signature) == list(ESTIMATOR_DEFAULTS)
    for name, default in ESTIMATOR_DEFAULTS.items():
        assert type(documented[name]) is type(default), name
        assert documented[name] == default, name
        assert signature[name] is default, name


class UserNet(nn.Module):
    def __init__(self, n_features, n_classes, width=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, width), nn.Tanh())
        self.head = nn.Linear(width, n_classes)

    def forward(self, X):
        return self.head(self.body(X))


def test_a_module_class_is_built_with_data_sizes_and_module_kwargs(blobs):
    X, y = blobs
    clf = PrunedClassifier(UserNet, module_kwargs={"width": 24}, random_state=0, **FAST)
    clf.fit(X, y)
    assert isinstance(clf.module_, UserNet)
    assert clf.module_.body[0].weight.shape == (24, X.shape[1])
    assert clf.module_.head.weight.shape == (3, 24)


def test_a_module_instance_is_copied_and_never_pruned_in_place(blobs):
    X, y = blobs
    instance = UserNet(X.shape[1], 3)
    before = {k: v.clone() for k, v in instance.state_dict().items()}
    clf = PrunedClassifier(instance, random_state=0, **FAST).fit(X, y)
    assert clf.module_ is not instance
    for key, value in instance.state_dict().items():
        assert torch.equal(value, before[key])


def test_early_stopping_stops_after_the_schedule_and_restores_the_best_weights(blobs):
    X, y = blobs
    clf = PrunedClassifier(
        early_stopping=True,
        n_iter_no_change=2,
        max_epochs=40,
        finetune_epochs=30,
        hidden_layer_sizes=(64,),
        lr=0.05,
        random_state=0,
    ).fit(X, y)
    stopper = dict(clf.net_.callbacks_)["early_stopping"]
    # The schedule ends at epoch 10; patience counts from there; it did stop.
    assert 10 + 2 <= clf.n_iter_ < 40
    assert clf.n_iter_ == stopper.best_epoch_ + 2
    assert clf.sparsity_ == pytest.approx(0.9, abs=0.005)
    valid = clf.net_.train_split.keywords["valid_ds"]
    with torch.no_grad():
        logits = clf.module_.eval()(torch.as_tensor(valid.X))
    valid_loss = nn.functional.cross_entropy(logits, torch.as_tensor(valid.y)).item()
    best_loss = clf.history_[stopper.best_epoch_ - 1, "valid_loss"]
    assert valid_loss == pytest.approx(best_loss, abs=1e-5)
    assert valid_loss != pytest.approx(clf.history_[-1, "valid_loss"], abs=1e-5)


@pytest.mark.parametrize(
    ("n_features", "expected"), [(16, "fisher"), (49, "fisher"), (50, "magnitude")]
)
def test_auto_strategy_follows_the_width_of_the_input(n_features, expected):
    X, y = make_blobs(n_samples=120, n_features=n_features, centers=3, random_state=0)
    clf = PrunedClassifier(
        hidden_layer_sizes=(8,), sparsity=0.5, max_epochs=2, random_state=0
    ).fit(X, y)
    assert clf.strategy == "auto" and clf.strategy_ == expected
    callback = dict(clf.net_.callbacks_)["prune"]
    assert callback.strategy == expected
    # The statistics of "fisher" are gathered only where it is the choice.
    gathered = ("grad_sq",) if expected == "fisher" else ()
    assert callback.strategy_.statistics == gathered


def test_a_strategy_given_is_used_whatever_the_width_of_the_input(blobs):
    X, y = blobs
    strategy = MagnitudeStrategy()
    clf = PrunedClassifier(
        hidden_layer_sizes=(8,), strategy=strategy, max_epochs=2, random_state=0
    ).fit(X, y)
    assert clf.strategy_ is strategy
    assert PrunedClassifier(strategy="gradient", **FAST).fit(X, y).strategy_ == (
        "gradient"
    )


@pytest.mark.parametrize(
    "sparsity, epochs, last_pruning_epoch",
    [
        (0.0, 40, None),
        (0.875, 40, 30),
        (0.9375, 50, 38),
        (0.96875, 60, 45),
        (0.99, 60, 45),
    ],
)
def test_auto_budget_grows_with_the_compression_ratio(
    blobs, sparsity, epochs, last_pruning_epoch
):
    X, y = blobs
    clf = PrunedClassifier(
        sparsity=sparsity, hidden_layer_sizes=(8,), batch_size=240, random_state=0
    ).fit(X, y)
    assert clf.n_iter_ == epochs
    pruned = [i + 1 for i, row in enumerate(clf.history_) if row["event_prune"]]
    assert (pruned[-1] if pruned else None) == last_pruning_epoch
    assert clf.sparsity_ == pytest.approx(sparsity, abs=0.01)


def test_auto_finetune_is_a_quarter_of_a_given_max_epochs(blobs):
    X, y = blobs
    clf = PrunedClassifier(
        max_epochs=8, hidden_layer_sizes=(8,), batch_size=240, random_state=0
    ).fit(X, y)
    pruned = [i + 1 for i, row in enumerate(clf.history_) if row["event_prune"]]
    assert clf.n_iter_ == 8 and pruned[-1] == 6


class WrongOutput(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.fc = nn.Linear(n_features, n_classes + 1)

    def forward(self, X):
        return self.fc(X)


class NoLayers(nn.Module):
    def __init__(self, n_features, n_classes):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(n_features, n_classes))

    def forward(self, X):
        return X @ self.scale


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"sparsity": 1.0}, ValueError, "'sparsity' parameter"),
        ({"sparsity": -0.5}, ValueError, "'sparsity' parameter"),
        ({"strategy": "snip"}, ValueError, "'strategy' parameter"),
        ({"loss": "hinge"}, ValueError, "'loss' parameter"),
        ({"optimizer": "lbfgs"}, ValueError, "'optimizer' parameter"),
        ({"finetune_epochs": 15}, ValueError, "finetune_epochs=15 must be smaller"),
        ({"finetune_epochs": "half"}, ValueError, "'finetune_epochs' parameter"),
        ({"class_weight": "even"}, ValueError, "'class_weight' parameter"),
        (
            {"class_weight": "balanced", "loss": lambda logits, target: logits.sum()},
            TypeError,
            "cannot weight samples",
        ),
        ({"max_epochs": "long"}, ValueError, "'max_epochs' parameter"),
        ({"finetune_epochs": "half"}, ValueError, "'finetune_epochs' parameter"),
        ({"module": WrongOutput}, ValueError, "one logit per class"),
        ({"module": NoLayers}, ValueError, "no prunable target"),
        (
            {"module": UserNet, "module_kwargs": {"depth": 3}},
            TypeError,
            "must accept the keyword arguments n_features and n_classes",
        ),
    ],
)
def test_bad_parameters_raise_before_training(blobs, params, error, match):
    X, y = blobs
    with pytest.raises(error, match=match):
        PrunedClassifier(**{**FAST, **params}).fit(X, y)


def test_bad_data_raises_clear_errors(blobs):
    X, y = blobs
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        PrunedClassifier(**FAST).fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        PrunedClassifier(**FAST).fit(X_inf, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        PrunedClassifier(**FAST).fit(X, np.zeros(len(X)))
    clf = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])


class InterruptingLoss(nn.Module):
    """Cross-entropy that raises KeyboardInterrupt at its n-th call, like Ctrl-C."""

    def __init__(self, at_call):
        super().__init__()
        self.at_call = at_call
        self.calls = 0

    def forward(self, logits, target):
        self.calls += 1
        if self.calls == self.at_call:
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(logits, target)


@pytest.mark.parametrize("at_call", [2, 8], ids=["mid-epoch", "later"])
def test_an_interrupted_fit_raises_instead_of_returning_half_trained(blobs, at_call):
    X, y = blobs
    clf = PrunedClassifier(loss=InterruptingLoss(at_call), **FAST)
    with pytest.raises(KeyboardInterrupt, match="interrupted after"):
        clf.fit(X, y)
    assert not hasattr(clf, "module_")


def test_pickled_history_keeps_epochs_but_not_batches(blobs):
    X, y = blobs
    clf = pickle.loads(pickle.dumps(PrunedClassifier(random_state=0, **FAST).fit(X, y)))
    assert len(clf.history_) == FAST["max_epochs"]
    assert "batches" not in clf.history_[-1]
    assert clf.history_[-1, "sparsity"] == pytest.approx(clf.sparsity_)


# ------------------------------------------------------------ finetune_epochs


@pytest.mark.parametrize("max_epochs", [1, 2, 3, 4, 8])
def test_short_training_works_with_the_default_finetune_epochs(blobs, max_epochs):
    X, y = blobs
    clf = PrunedClassifier(max_epochs=max_epochs, hidden_layer_sizes=(16,))
    clf.fit(X, y)
    assert clf.n_iter_ == max_epochs
    assert clf.finetune_epochs_ == max_epochs // 4
    assert clf.sparsity_ == pytest.approx(0.9, abs=0.005)


def test_auto_finetune_epochs_is_a_quarter_of_max_epochs(blobs):
    X, y = blobs
    clf = PrunedClassifier(max_epochs=9, hidden_layer_sizes=(16,)).fit(X, y)
    assert clf.finetune_epochs_ == 2
    assert dict(clf.net_.callbacks_)["prune"].end_epoch == 7
    assert clf.history_[6, "sparsity"] == pytest.approx(0.9, abs=0.005)


@pytest.mark.parametrize("max_epochs, finetune_epochs", [(1, "auto"), (1, 10), (3, 3)])
def test_a_dense_fit_never_refuses_finetune_epochs(blobs, max_epochs, finetune_epochs):
    X, y = blobs
    clf = PrunedClassifier(
        sparsity=0.0,
        max_epochs=max_epochs,
        finetune_epochs=finetune_epochs,
        hidden_layer_sizes=(16,),
    ).fit(X, y)
    assert clf.n_iter_ == max_epochs
    assert clf.sparsity_ == 0.0


def test_short_training_on_odd_shapes_and_fitted_then_cloned(blobs):
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
    y = np.array([0, 0, 1, 1, 1])
    clf = PrunedClassifier(max_epochs=2, hidden_layer_sizes=(3,), sparsity=0.5)
    clf.fit(X, y)
    assert clf.predict_proba(X).shape == (5, 2)
    refit = clone(clf).fit(*blobs)
    assert refit.n_iter_ == 2 and refit.finetune_epochs == "auto"


# -------------------------------------------------- sample_weight, class_weight


def test_sample_weight_changes_the_model(blobs):
    X, y = blobs
    weights = np.random.RandomState(0).uniform(0, 3, size=len(y))
    plain = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    weighted = PrunedClassifier(random_state=0, **FAST).fit(X, y, sample_weight=weights)
    assert np.abs(plain.predict_proba(X) - weighted.predict_proba(X)).max() > 1e-3


@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_equal_sample_weights_change_nothing(blobs, scale):
    X, y = blobs
    plain = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    weighted = PrunedClassifier(random_state=0, **FAST).fit(
        X, y, sample_weight=np.full(len(y), scale)
    )
    np.testing.assert_array_equal(plain.predict_proba(X), weighted.predict_proba(X))


def test_zero_weights_silence_samples(blobs):
    X, y = blobs
    # Half the samples of class 0 relabelled as class 1: the net learns the wrong
    # labels, unless their weight is zero.
    noisy = y.copy()
    flipped = np.flatnonzero(y == 0)[::2]
    noisy[flipped] = 1
    weights = np.ones(len(y))
    weights[flipped] = 0.0
    clf = PrunedClassifier(random_state=0, **FAST)
    learnt = clone(clf).fit(X, noisy).predict(X[flipped])
    silenced = clone(clf).fit(X, noisy, sample_weight=weights).predict(X[flipped])
    assert (learnt == 1).mean() > 0.8
    assert (silenced == 1).mean() < 0.3


def test_balanced_class_weight_raises_the_recall_of_a_rare_class():
    from sklearn.datasets import make_classification
    from sklearn.metrics import recall_score

    X, y = make_classification(
        n_samples=400,
        n_features=8,
        n_informative=3,
        weights=[0.93, 0.07],
        class_sep=0.5,
        flip_y=0.0,
        random_state=0,
    )
    params = {**FAST, "random_state": 0}
    plain = PrunedClassifier(**params).fit(X, y)
    balanced = PrunedClassifier(class_weight="balanced", **params).fit(X, y)
    as_dict = PrunedClassifier(class_weight={0: 1.0, 1: 13.0}, **params).fit(X, y)
    recall = [recall_score(y, m.predict(X)) for m in (plain, balanced, as_dict)]
    assert recall[1] > recall[0] + 0.1
    assert recall[2] > recall[0] + 0.1


def test_adaboost_boosts_pruned_classifiers(blobs):
    from sklearn.ensemble import AdaBoostClassifier

    X, y = blobs
    boost = AdaBoostClassifier(
        PrunedClassifier(**{**FAST, "sparsity": 0.5}), n_estimators=3, random_state=0
    ).fit(X, y)
    assert len(boost.estimators_) >= 2
    assert boost.score(X, y) > 0.8


def test_weights_reach_the_validation_loss_of_early_stopping(blobs):
    X, y = blobs
    weights = np.random.RandomState(0).uniform(0, 3, size=len(y))
    params = {**FAST, "early_stopping": True, "random_state": 0}
    plain = PrunedClassifier(**params).fit(X, y)
    weighted = PrunedClassifier(**params).fit(X, y, sample_weight=weights)
    assert weighted.history_[0, "valid_loss"] != plain.history_[0, "valid_loss"]
    assert 0 <= weighted.history_[-1, "valid_acc"] <= 1


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.zeros(240), "at least one non-zero"),
        (-np.ones(240), "Negative values in data"),
        (np.ones(10), "shape"),
    ],
)
def test_bad_sample_weight_raises_clear_errors(blobs, sample_weight, match):
    X, y = blobs
    with pytest.raises(ValueError, match=match):
        PrunedClassifier(**FAST).fit(X, y, sample_weight=sample_weight)


# ------------------------------------------------------------------- devices


def test_a_model_unpickled_without_its_device_predicts_where_the_module_is(
    blobs, monkeypatch
):
    X, y = blobs
    clf = PrunedClassifier(random_state=0, **FAST).fit(X, y)
    expected = clf.predict_proba(X)
    # As if trained on a GPU and loaded on a machine without one.
    clf.set_params(device="cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = pickle.loads(pickle.dumps(clf))
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)


@pytest.mark.parametrize("strategy", ["fisher", "gradient"])
def test_zero_weights_act_as_removed_samples_in_the_pruning_statistics(blobs, strategy):
    X, y = blobs
    # One batch per epoch, so a zero weight is exactly a sample left out.
    params = {
        "strategy": strategy,
        "batch_size": 256,
        "max_epochs": 4,
        "hidden_layer_sizes": (16,),
        "lr": 0.01,
        "random_state": 0,
    }
    weights = np.ones(len(y))
    weights[:80] = 0.0
    weighted = PrunedClassifier(**params).fit(X, y, sample_weight=weights)
    removed = PrunedClassifier(**params).fit(X[80:], y[80:])
    everything = PrunedClassifier(**params).fit(X, y)

    def zeros(clf):
        return [p.detach() == 0 for p in clf.module_.parameters()]

    assert all(map(torch.equal, zeros(weighted), zeros(removed)))
    assert not all(map(torch.equal, zeros(weighted), zeros(everything)))
    np.testing.assert_allclose(
        weighted.predict_proba(X), removed.predict_proba(X), atol=1e-5
    )


def test_integer_sample_weights_equal_repeated_rows_up_to_float_rounding():
    # scikit-learn's own check of this asks for rtol=1e-7 on the probabilities;
    # the two fits sum their losses in a different order, so they agree to about
    # 1e-8, at the edge of that tolerance (see tests/test_common.py).
    rng = np.random.RandomState(0)
    X = rng.randn(15, 4).astype(np.float32)
    y = np.arange(15) % 3
    weights = np.array([0, 1, 2] * 5)
    rng.shuffle(weights)
    X_repeated, y_repeated = np.repeat(X, weights, axis=0), np.repeat(y, weights)
    params = {"max_epochs": 20, "random_state": 0}
    weighted = PrunedClassifier(**params).fit(X, y, sample_weight=weights)
    repeated = PrunedClassifier(**params).fit(X_repeated, y_repeated)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-5, atol=1e-7
    )
    different = PrunedClassifier(**params).fit(X, y)
    assert not np.allclose(different.predict_proba(X), repeated.predict_proba(X))


def test_compacting_classifiers_fit_side_by_side_in_threads(blobs):
    from joblib import parallel_backend

    X, y = blobs
    clf = PrunedClassifier(
        hidden_layer_sizes=(32, 16),
        granularity="neuron",
        sparsity=0.5,
        compact=True,
        max_epochs=6,
        lr=0.01,
        random_state=0,
    )
    # Compaction and the output-layer finder of the default MLP build its graph
    # without torch.fx tracing, which would patch nn.Module calls in every thread.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: inside every compaction
    try:
        with parallel_backend("threading", n_jobs=2):
            result = cross_validate(clf, X, y, cv=4, return_estimator=True)
    finally:
        sys.setswitchinterval(interval)
    assert result["test_score"].min() > 0.5
    for fitted in result["estimator"]:
        assert fitted.module_[0].out_features < 32
        assert fitted.module_[2].out_features < 16
        np.testing.assert_allclose(fitted.predict_proba(X).sum(axis=1), 1, rtol=1e-5)


def test_fits_in_threads_give_the_numbers_of_sequential_fits():
    from joblib import parallel_backend
    from sklearn.model_selection import cross_val_predict

    X, y = make_blobs(n_samples=240, n_features=6, centers=3, random_state=0)
    clf = PrunedClassifier(
        hidden_layer_sizes=(16,),
        module_kwargs={"dropout": 0.2},  # draws from torch's generator every batch
        strategy="random",  # and so does this strategy
        max_epochs=4,
        random_state=0,
    )
    sequential = cross_val_predict(clf, X, y, cv=4, method="predict_proba")
    with parallel_backend("threading", n_jobs=4):
        threaded = cross_val_predict(clf, X, y, cv=4, method="predict_proba")
    np.testing.assert_array_equal(threaded, sequential)
