"""
=============================
Grid search on a dask cluster
=============================

scikit-learn parallelises :class:`~sklearn.model_selection.GridSearchCV` with
joblib, and joblib can hand its tasks to a `dask.distributed
<https://distributed.dask.org>`_ cluster. A search over
:class:`~sklprune.PrunedClassifier` then runs on as many machines as the cluster
has, with no change to the estimator. Here the cluster is two worker processes on
this machine; on a real one, ``Client("tcp://scheduler:8786")`` connects to it
instead.

dask is an optional dependency: ``pip install sklprune[distributed]``. Without it
this example runs the same search on local processes.
"""

# %%
# The search
# ----------
import time

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklprune import PrunedClassifier

torch.set_num_threads(1)

X, y = load_digits(return_X_y=True)


def make_search():
    return GridSearchCV(
        make_pipeline(
            StandardScaler(),
            PrunedClassifier(
                hidden_layer_sizes=(64,),
                max_epochs=12,
                finetune_epochs=3,
                random_state=0,
            ),
        ),
        {"prunedclassifier__sparsity": [0.0, 0.8, 0.9, 0.95, 0.98]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        n_jobs=-1,
    )


# %%
# The cluster
# -----------
# Two worker processes with one thread each, and one torch thread: many torch
# threads per process on a machine shared by several workers slow all of them
# down. dask sets ``OMP_NUM_THREADS=1`` in the worker processes it starts;
# ``client.run(torch.set_num_threads, 1)`` makes sure of it on workers started
# elsewhere.
#
# dask starts local worker processes by re-importing this script, so everything
# that must run once, in this process only, sits under
# ``if __name__ == "__main__":``. Use processes, not threads
# (``LocalCluster(processes=False)`` or ``threads_per_worker`` above 1): fits that
# run in threads of one process share torch's random generator, and their results
# then depend on timing.
try:
    from dask.distributed import Client, LocalCluster
except ImportError:
    Client = LocalCluster = None


def search_on_cluster(search):
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(torch.set_num_threads, 1)
        n_workers = len(client.scheduler_info()["workers"])
        print(f"dask cluster with {n_workers} worker processes")
        with joblib.parallel_backend("dask"):
            search.fit(X, y)
    return search


if __name__ == "__main__":
    start = time.perf_counter()
    if Client is None:
        print("dask.distributed is not installed: searching on local processes.")
        search = make_search().fit(X, y)
    else:
        search = search_on_cluster(make_search())
    print(f"search took {time.perf_counter() - start:.1f} s")

# %%
# The results
# -----------
# Every task received a clone of the pipeline with its ``random_state``, so the
# search gives the scores of the same search run here, one fit after the other.
if __name__ == "__main__":
    local = make_search().set_params(n_jobs=None).fit(X, y)
    same = np.array_equal(
        local.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    print("same scores as one fit after the other in this process:", same)
    print("best:", search.best_params_)
    results = pd.DataFrame(search.cv_results_)
    results = results.rename(columns={"param_prunedclassifier__sparsity": "sparsity"})
    print(results[["sparsity", "mean_test_score", "std_test_score"]].round(3))

    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.errorbar(
        results["sparsity"].astype(float),
        results["mean_test_score"],
        results["std_test_score"],
        marker="o",
        capsize=3,
    )
    ax.set_xlabel("sparsity")
    ax.set_ylabel("mean CV accuracy")
    ax.set_title("GridSearchCV through joblib's dask backend")
    fig.tight_layout()
    plt.show()
