"""A grid search over PrunedClassifier on a dask cluster gives the local results."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier

distributed = pytest.importorskip("dask.distributed")
joblib = pytest.importorskip("joblib")
torch = pytest.importorskip("torch")


def _search(n_jobs):
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:240], y[:240]
    pipeline = make_pipeline(
        StandardScaler(),
        PrunedClassifier(
            hidden_layer_sizes=(16,),
            max_epochs=6,
            finetune_epochs=2,
            random_state=0,
        ),
    )
    search = GridSearchCV(
        pipeline,
        {"prunedclassifier__sparsity": [0.5, 0.9, 0.99]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=n_jobs,
    )
    return search, X, y


def _worker_state():
    import os

    return os.getpid(), torch.get_num_threads()


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,  # errors only
    )
    client = distributed.Client(cluster)
    client.run(torch.set_num_threads, 1)
    yield client
    client.close()
    cluster.close()


def test_grid_search_on_dask_cluster_matches_local_run(client):
    local, X, y = _search(n_jobs=None)
    local.fit(X, y)

    remote, X, y = _search(n_jobs=-1)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote.fit(X, y)
    # the 9 fits of the search (3 candidates x 3 folds) ran on the cluster
    workers = {task["worker"] for task in tasks.data}
    assert len(tasks.data) >= 9
    assert workers <= set(client.scheduler_info()["workers"])

    assert remote.best_params_ == local.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    for split in range(3):
        key = f"split{split}_test_score"
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))
    # the sparsities differ, so the scores do: the comparison above is not vacuous
    assert len(set(local.cv_results_["mean_test_score"])) > 1


def test_dask_workers_are_separate_processes_with_one_torch_thread(client):
    import os

    states = client.run(_worker_state)
    assert len(states) == 2
    pids = {pid for pid, _ in states.values()}
    assert len(pids) == 2
    assert os.getpid() not in pids
    assert {threads for _, threads in states.values()} == {1}
