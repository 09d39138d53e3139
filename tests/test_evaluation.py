import itertools
import time

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklprune import (
    PrunedClassifier,
    PruningCurveDisplay,
    measure_latency,
    model_size,
    pruning_curve,
    sparsity_report,
)
from sklprune.masks import find_targets

matplotlib.use("Agg")


def small_classifier(**params):
    params = {
        "hidden_layer_sizes": (32,),
        "lr": 0.01,
        "max_epochs": 8,
        "finetune_epochs": 2,
        "random_state": 0,
        **params,
    }
    return PrunedClassifier(**params)


# ----------------------------------------------------------- sparsity_report


def hand_made_mlp():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        net[0].weight.copy_(torch.arange(1.0, 13.0).reshape(3, 4))
        net[0].weight[:, :2] = 0.0  # 6 of 12 pruned
        net[2].weight.fill_(1.0)
        net[2].weight[0, 0] = 0.0  # 1 of 6 pruned
    return net


def test_sparsity_report_counts_parameters_nonzeros_and_macs_exactly():
    report = sparsity_report(hand_made_mlp())
    assert list(report.index) == ["0.weight", "2.weight", "total"]
    assert list(report["layer"]) == ["Linear", "Linear", ""]
    assert list(report["shape"]) == [(3, 4), (2, 3), ()]
    assert list(report["parameters"]) == [12, 6, 18]
    assert list(report["nonzero"]) == [6, 5, 11]
    np.testing.assert_allclose(report["sparsity"], [0.5, 1 / 6, 7 / 18])
    assert list(report["dense_macs"]) == [12, 6, 18]
    assert list(report["macs"]) == [6, 5, 11]
    np.testing.assert_allclose(report["compression"], [2.0, 1.2, 18 / 11])
    np.testing.assert_allclose(report["mac_ratio"], [2.0, 1.2, 18 / 11])
    np.testing.assert_allclose(report["macs_sparsity"], [0.5, 1 / 6, 7 / 18])
    assert report.attrs == pytest.approx(
        {
            "sparsity": 7 / 18,
            "macs_sparsity": 7 / 18,
            "compression_ratio": 18 / 11,
            "mac_ratio": 18 / 11,
            "dense_macs": 18.0,
            "macs": 11.0,
        }
    )


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=3)
        self.fc = nn.Linear(2 * 3 * 3, 2)

    def forward(self, X):
        return self.fc(torch.relu(self.conv(X)).flatten(1))


def test_sparsity_report_names_its_ratio_of_multiply_adds_for_what_it_is():
    report = sparsity_report(hand_made_mlp())
    assert "speedup" not in report.columns and "speedup" not in report.attrs
    np.testing.assert_allclose(
        report["mac_ratio"], report["dense_macs"] / report["macs"]
    )
    assert report.attrs["mac_ratio"] == report.loc["total", "mac_ratio"]


def test_sparsity_report_counts_conv_macs_per_output_position():
    net = ConvNet()
    with torch.no_grad():
        net.conv.weight[0] = 0.0  # one of two output channels: 9 of 18 weights
    report = sparsity_report(net, input_shape=(1, 5, 5))
    # A 3x3 kernel over 5x5 gives 3x3 = 9 output positions per channel.
    assert report.loc["conv.weight", "dense_macs"] == 18 * 9
    assert report.loc["conv.weight", "macs"] == 9 * 9
    assert report.loc["fc.weight", "dense_macs"] == 36
    assert report.loc["total", "dense_macs"] == 162 + 36
    assert report.attrs["mac_ratio"] == pytest.approx((162 + 36) / (81 + 36))
    # An example batch gives the same counts as input_shape.
    same = sparsity_report(net, torch.randn(3, 1, 5, 5))
    pd.testing.assert_frame_equal(same, report)


def test_sparsity_report_leaves_conv_macs_unknown_without_an_example_input():
    report = sparsity_report(ConvNet())
    assert pd.isna(report.loc["conv.weight", "macs"])
    assert pd.isna(report.loc["total", "dense_macs"])
    assert np.isnan(report.attrs["mac_ratio"])
    assert report.loc["total", "parameters"] == 18 + 36  # counts still exact


def test_sparsity_report_counts_a_linear_layer_once_per_sequence_position():
    net = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 3))
    report = sparsity_report(net, torch.zeros(2, 7, dtype=torch.long))
    assert report.loc["0.weight", "layer"] == "Embedding"
    assert report.loc["0.weight", "dense_macs"] == 0  # lookups multiply nothing
    assert report.loc["1.weight", "dense_macs"] == 7 * 12


def test_sparsity_report_counts_the_shapes_that_are_there():
    # A compacted network (dead hidden units removed) is reported as it is.
    full = sparsity_report(nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2)))
    small = sparsity_report(nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)))
    assert full.loc["total", "parameters"] == 48
    assert small.loc["total", "parameters"] == 18
    assert small.attrs["compression_ratio"] == 1.0


def test_sparsity_report_reads_classifiers_nets_and_pipelines(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), small_classifier(sparsity=0.8)).fit(X, y)
    clf = pipe[-1]
    from_clf = sparsity_report(clf)
    assert from_clf.attrs["sparsity"] == pytest.approx(clf.sparsity_)
    assert from_clf.loc["total", "nonzero"] == sum(
        int((p != 0).sum()) for p in find_targets(clf.module_).values()
    )
    pd.testing.assert_frame_equal(sparsity_report(pipe), from_clf)
    pd.testing.assert_frame_equal(sparsity_report(clf.net_), from_clf)
    pd.testing.assert_frame_equal(sparsity_report(clf.module_), from_clf)


@pytest.mark.parametrize(
    "model, kwargs, error, match",
    [
        (small_classifier(), {}, NotFittedError, "call fit"),
        (LogisticRegression(), {}, NotFittedError, "call fit"),
        ("a string", {}, TypeError, "torch.nn.Module"),
        (ConvNet(), {"input_shape": (3, 5, 5)}, ValueError, "example input"),
        (ConvNet(), {"input_shape": "big"}, TypeError, "tuple of ints"),
    ],
)
def test_sparsity_report_errors_name_the_fix(model, kwargs, error, match):
    with pytest.raises(error, match=match):
        sparsity_report(model, **kwargs)


# ---------------------------------------------------------------- model_size


def test_model_size_compressed_sizes_shrink_when_pruned():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    dense = model_size(net)
    with torch.no_grad():
        for p in find_targets(net).values():
            threshold = p.abs().flatten().kthvalue(int(0.9 * p.numel())).values
            p[p.abs() <= threshold] = 0.0
    pruned = model_size(net)
    assert pruned.dense_bytes == dense.dense_bytes
    assert pruned.gzip_bytes < dense.gzip_bytes / 2
    assert pruned.sparse_bytes < dense.dense_bytes / 4
    assert pruned.pickle_bytes >= pruned.dense_bytes  # a bare module pickles dense
    assert pruned.skops_bytes is None
    # A dense network, or a tiny one, costs only the file's few labels more.
    assert dense.dense_bytes < dense.sparse_bytes <= dense.dense_bytes + 512
    tiny = nn.Linear(4, 2)
    with torch.no_grad():
        tiny.weight[0] = 0.0
    assert model_size(tiny).sparse_bytes <= model_size(tiny).dense_bytes + 512


def test_model_size_reports_the_files_of_a_fitted_classifier(fitted_sizes):
    dense, pruned = fitted_sizes
    for size in (dense, pruned):
        assert size.pickle_bytes > 0 and size.skops_bytes > 0
    assert pruned.pickle_bytes < dense.pickle_bytes / 4
    # skops adds the same JSON description of the objects to both files; the
    # tensors' bytes shrink in it as in the sparse file.
    saved_by_encoding = dense.dense_bytes - pruned.sparse_bytes
    assert dense.skops_bytes - pruned.skops_bytes > 0.9 * saved_by_encoding


@pytest.mark.parametrize("with_callback", [False, True])
def test_model_size_of_a_skorch_net_says_what_it_cannot_measure(blobs, with_callback):
    pytest.importorskip("skops")
    from skorch import NeuralNetClassifier

    from sklprune import PruningCallback

    X, y = blobs
    callbacks = [("prune", PruningCallback(sparsity=0.5))] if with_callback else []
    net = NeuralNetClassifier(
        nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3)),
        criterion=nn.CrossEntropyLoss,
        max_epochs=2,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
    ).fit(X, y)
    size = model_size(net)
    assert size.dense_bytes > 0 and size.sparse_bytes > 0 and size.pickle_bytes > 0
    assert size.skops_bytes is None
    assert set(size.missing) == {"skops_bytes"}
    assert "skops cannot write" in size.missing["skops_bytes"]
    assert "NeuralNetClassifier" in size.missing["skops_bytes"]


def test_model_size_says_why_a_size_is_missing(fitted_sizes, monkeypatch):
    import importlib.util

    module = nn.Linear(4, 2)
    assert "skops_bytes" in model_size(module).missing
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "skops" else real_find_spec(name, *a),
    )
    X, y = make_classification(n_samples=40, n_features=6, random_state=0)
    model = small_classifier(max_epochs=2, finetune_epochs=0).fit(X, y)
    size = model_size(model)
    assert size.skops_bytes is None
    assert "pip install 'sklprune[persist]'" in size.missing["skops_bytes"]
    assert all(size.missing == {} for size in fitted_sizes)


@pytest.fixture(scope="module")
def fitted_sizes():
    X, y = make_classification(n_samples=60, n_features=100, random_state=0)
    params = dict(hidden_layer_sizes=(128,), max_epochs=2, finetune_epochs=1)
    return [
        model_size(PrunedClassifier(sparsity=s, random_state=0, **params).fit(X, y))
        for s in (0.0, 0.95)
    ]


# ------------------------------------------------------------ measure_latency


class SlowModel(ClassifierMixin, BaseEstimator):
    """Predicts nothing, slowly: 10 ms per call."""

    def predict(self, X):
        time.sleep(0.01)
        return np.zeros(len(X))


def test_measure_latency_scales_to_1000_rows():
    X = np.zeros((500, 3), dtype=np.float32)
    # At least 10 ms per 500 rows is at least 20 ms per 1000 rows.
    assert measure_latency(SlowModel(), X, n_repeats=3, warmup=0) >= 0.02


def test_measure_latency_times_modules_and_estimators(blobs):
    X, y = blobs
    clf = small_classifier(max_epochs=3, finetune_epochs=1).fit(X, y)
    assert measure_latency(clf, X, n_repeats=2) > 0
    assert measure_latency(clf.module_, X, n_repeats=2) > 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_repeats": 0}, ValueError, "n_repeats must be >= 1"),
        ({"warmup": 1.5}, TypeError, "warmup must be an int"),
    ],
)
def test_measure_latency_rejects_bad_counts(kwargs, error, match):
    with pytest.raises(error, match=match):
        measure_latency(nn.Linear(3, 2), np.zeros((4, 3), np.float32), **kwargs)


def test_measure_latency_rejects_empty_input_and_non_models():
    with pytest.raises(ValueError, match="at least one row"):
        measure_latency(nn.Linear(3, 2), np.zeros((0, 3), np.float32))
    with pytest.raises(TypeError, match=r"predict or a torch\.nn\.Module"):
        measure_latency(object(), np.zeros((4, 3), np.float32))


# -------------------------------------------------------------- pruning_curve


class MaskRecorder:
    """A scorer that scores accuracy and records the model's state at each call."""

    def __init__(self):
        self.zeros, self.epochs, self.sparsity = [], [], []

    def __call__(self, estimator, X, y):
        clf = estimator[-1] if hasattr(estimator, "steps") else estimator
        self.zeros.append([p == 0 for p in find_targets(clf.module_).values()])
        self.epochs.append(clf.n_iter_)
        self.sparsity.append(clf.sparsity_)
        return float((estimator.predict(X) == y).mean())


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X[:300] / 16.0).astype(np.float32), y[:300]


def test_pruning_curve_scores_every_sparsity_on_every_fold(digits):
    X, y = digits
    curve = pruning_curve(
        small_classifier(), X, y, sparsities=[0.9, 0.0, 0.5, 0.5], cv=3
    )
    np.testing.assert_array_equal(curve.sparsities, [0.0, 0.5, 0.9])
    for key in ("test_scores", "train_scores", "achieved_sparsity", "fit_time"):
        assert curve[key].shape == (3, 3), key
    np.testing.assert_allclose(
        curve.achieved_sparsity[:, 0], [0.0, 0.5, 0.9], atol=0.01
    )
    np.testing.assert_allclose(
        curve.compression_ratio, 1 / (1 - curve.achieved_sparsity), rtol=1e-6
    )
    assert (curve.test_scores > 0.5).all()
    assert (np.diff(curve.achieved_sparsity, axis=0) > 0).all()
    frame = curve.frame
    assert len(frame) == 9
    assert {
        "sparsity",
        "fold",
        "test_score",
        "train_score",
        "achieved_sparsity",
    } <= set(frame)
    fold1 = frame[frame.fold == 1].sort_values("sparsity")
    np.testing.assert_allclose(fold1["test_score"], curve.test_scores[:, 1])
    assert curve.score_name == "Accuracy"


def test_pruning_curve_trains_once_then_prunes_monotonically(digits):
    X, y = digits
    recorder = MaskRecorder()
    clf = small_classifier(max_epochs=8, finetune_epochs=2)
    curve = pruning_curve(
        clf,
        X,
        y,
        sparsities=[0.0, 0.5, 0.8, 0.9],
        cv=2,
        scoring=recorder,
        finetune_epochs=1,
        return_train_score=False,
    )
    # One scorer call per point: fold 0's four points, then fold 1's.
    assert recorder.epochs == [8, 10, 12, 14] * 2
    np.testing.assert_allclose(recorder.sparsity, curve.achieved_sparsity.T.ravel())
    for fold in (0, 1):
        states = recorder.zeros[4 * fold : 4 * fold + 4]
        for before, after in itertools.pairwise(states):
            for z0, z1 in zip(before, after):
                assert not (z0 & ~z1).any()  # a pruned weight stays pruned
    assert "train_scores" not in curve
    assert curve.score_name == "Score"


def test_pruning_curve_first_point_is_an_ordinary_fit_of_the_pipeline(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), small_classifier())
    cv = StratifiedKFold(3)
    curve = pruning_curve(pipe, X, y, sparsities=[0.3, 0.7], cv=cv)
    train, test = next(cv.split(X, y))
    first = clone(pipe).set_params(prunedclassifier__sparsity=0.3)
    first.fit(X[train], y[train])
    assert curve.test_scores[0, 0] == first.score(X[test], y[test])
    assert curve.train_scores[0, 0] == first.score(X[train], y[train])
    assert pipe[-1].sparsity == 0.9  # the estimator passed in is untouched


def test_pruning_curve_handles_string_labels_early_stopping_and_sparse_input(
    digits,
):
    import scipy.sparse as sp

    X, y = digits
    names = np.array(list("abcdefghij"))[y]
    clf = small_classifier(early_stopping=True, validation_fraction=0.2)
    curve = pruning_curve(
        clf, sp.csr_matrix(X), names, sparsities=[0.0, 0.6], cv=2, scoring="f1_macro"
    )
    np.testing.assert_allclose(curve.achieved_sparsity[1], 0.6, atol=0.01)
    assert (curve.test_scores > 0.5).all()
    assert curve.score_name == "F1 macro"


def test_pruning_curve_runs_folds_in_parallel(digits):
    from joblib import parallel_backend

    X, y = digits
    with parallel_backend("threading"):  # processes would take seconds to start
        curve = pruning_curve(
            small_classifier(), X, y, sparsities=[0.0, 0.7], cv=2, n_jobs=2
        )
    assert curve.test_scores.shape == (2, 2)
    np.testing.assert_allclose(curve.achieved_sparsity[1], 0.7, atol=0.01)


@pytest.mark.parametrize(
    "estimator, kwargs, error, match",
    [
        (LogisticRegression(), {}, TypeError, "needs a PrunedClassifier"),
        (small_classifier(), {"sparsities": [0.5, 1.0]}, ValueError, r"\[0, 1\)"),
        (small_classifier(), {"sparsities": []}, ValueError, "at least one"),
        (small_classifier(), {"scoring": ["accuracy"]}, ValueError, "one metric"),
        (small_classifier(), {"finetune_epochs": -1}, ValueError, "finetune_epochs"),
    ],
)
def test_pruning_curve_rejects_bad_input(blobs, estimator, kwargs, error, match):
    X, y = blobs
    with pytest.raises(error, match=match):
        pruning_curve(estimator, X, y, **kwargs)


# ------------------------------------------------------------------- display

RESULTS = {
    "sparsities": np.array([0.0, 0.5, 0.9]),
    "test_scores": np.array([[0.90, 0.94], [0.91, 0.93], [0.80, 0.84]]),
    "train_scores": np.array([[0.99, 0.97], [0.98, 0.98], [0.90, 0.88]]),
    "achieved_sparsity": np.array([[0.0, 0.0], [0.5, 0.5], [0.9, 0.9]]),
    "score_name": "Accuracy",
}


def test_display_draws_error_bars_against_achieved_sparsity():
    import matplotlib.pyplot as plt

    display = PruningCurveDisplay.from_results(RESULTS)
    assert [c.get_label() for c in display.errorbar_] == ["Train", "Test"]
    assert display.lines_ is None and display.fill_between_ is None
    test_line = display.errorbar_[1].lines[0]
    np.testing.assert_allclose(test_line.get_xdata(), [0.0, 0.5, 0.9])
    np.testing.assert_allclose(test_line.get_ydata(), [0.92, 0.92, 0.82])
    bars = display.errorbar_[1].lines[2][0].get_segments()
    np.testing.assert_allclose([np.ptp(s[:, 1]) / 2 for s in bars], [0.02, 0.01, 0.02])
    assert display.ax_.get_ylabel() == "Accuracy"
    assert display.ax_.get_xscale() == "linear"
    assert display.figure_ is display.ax_.figure
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == [
        "Train",
        "Test",
    ]
    display.figure_.canvas.draw()
    plt.close(display.figure_)


def test_display_compression_axis_is_logarithmic():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    display = PruningCurveDisplay.from_results(
        RESULTS, ax=ax, x="compression", score_type="test", std_display_style=None
    )
    assert display.ax_ is ax
    assert display.ax_.get_xscale() == "log"
    assert len(display.lines_) == 1 and display.errorbar_ is None
    np.testing.assert_allclose(display.lines_[0].get_xdata(), [1.0, 2.0, 10.0])
    assert "Compression" in ax.get_xlabel()
    fig.canvas.draw()
    plt.close(fig)


def test_display_fill_between_and_negated_scores():
    import matplotlib.pyplot as plt

    display = PruningCurveDisplay(
        sparsities=RESULTS["sparsities"], test_scores=-RESULTS["test_scores"]
    ).plot(negate_score=True, std_display_style="fill_between", score_name="Acc")
    assert len(display.lines_) == len(display.fill_between_) == 1
    np.testing.assert_allclose(display.lines_[0].get_ydata(), [0.92, 0.92, 0.82])
    assert display.ax_.get_ylabel() == "Acc"
    plt.close(display.figure_)


@pytest.mark.parametrize(
    "score_name, negate_score, label",
    [
        ("R²", False, "R²"),
        ("Negative mean absolute error", False, "Negative mean absolute error"),
        ("Negative mean absolute error", True, "Mean absolute error"),
        ("Negative root mean squared error", True, "Root mean squared error"),
        ("R²", True, "Negative R²"),
    ],
)
def test_display_labels_regression_scores_and_negated_errors(
    score_name, negate_score, label
):
    import matplotlib.pyplot as plt

    results = {**RESULTS, "score_name": score_name}
    display = PruningCurveDisplay.from_results(results, negate_score=negate_score)
    assert display.ax_.get_ylabel() == label
    plt.close(display.figure_)


def test_display_reads_the_cv_results_of_pruned_classifier_cv():
    import matplotlib.pyplot as plt

    cv_results = {
        "sparsity": np.array([0.0, 0.8]),
        "split0_test_score": np.array([0.9, 0.8]),
        "split1_test_score": np.array([0.7, 0.8]),
        "split0_achieved_sparsity": np.array([0.0, 0.79]),
        "split1_achieved_sparsity": np.array([0.0, 0.81]),
        "mean_test_score": np.array([0.8, 0.8]),
    }
    display = PruningCurveDisplay.from_results(cv_results)
    line = display.errorbar_[0].lines[0]
    np.testing.assert_allclose(line.get_xdata(), [0.0, 0.8])
    np.testing.assert_allclose(line.get_ydata(), [0.8, 0.8])
    plt.close(display.figure_)


@pytest.mark.parametrize(
    "results, kwargs, match",
    [
        ({**RESULTS, "train_scores": None}, {"score_type": "both"}, "train scores"),
        (RESULTS, {"x": "density"}, "x must be"),
        (RESULTS, {"score_type": "valid"}, "score_type must be"),
        (RESULTS, {"std_display_style": "band"}, "std_display_style"),
        ({"scores": [1]}, {}, "results must be"),
    ],
)
def test_display_rejects_bad_options(results, kwargs, match):
    with pytest.raises(ValueError, match=match):
        PruningCurveDisplay.from_results(results, **kwargs)


def test_display_from_estimator_runs_the_curve(blobs):
    import matplotlib.pyplot as plt

    X, y = blobs
    display = PruningCurveDisplay.from_estimator(
        small_classifier(max_epochs=4, finetune_epochs=1),
        X,
        y,
        sparsities=[0.0, 0.8],
        cv=2,
        scoring="balanced_accuracy",
    )
    assert display.test_scores.shape == (2, 2)
    assert display.ax_.get_ylabel() == "Balanced accuracy"
    assert len(display.errorbar_) == 2
    plt.close(display.figure_)


def test_pruning_curve_takes_an_estimator_with_the_auto_budget(blobs):
    # max_epochs="auto" and finetune_epochs="auto" are PrunedClassifier's defaults.
    X, y = blobs
    clf = PrunedClassifier(hidden_layer_sizes=(8,), batch_size=256, random_state=0)
    assert clf.max_epochs == "auto" and clf.finetune_epochs == "auto"
    curve = pruning_curve(clf, X, y, sparsities=[0.0, 0.9], cv=2)
    assert curve.test_scores.shape == (2, 2)
    np.testing.assert_allclose(curve.achieved_sparsity[1], 0.9, atol=0.01)
