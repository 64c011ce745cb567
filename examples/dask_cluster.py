"""probnn on a Dask cluster: a grid search through joblib, and a fit block by block.

Run it as a script (``python examples/dask_cluster.py``): a LocalCluster starts worker
processes, which import this file again, so the work must sit under
``if __name__ == "__main__":`` (without it: "RuntimeError: Nanny failed to start").
"""

import dask.dataframe as dd
import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster
from dask_ml.wrappers import Incremental
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV

from probnn import MLPClassifier, MLPRegressor, nll_scorer


def grid_search(X, y):
    """Three families, 3-fold cross-validated by held-out NLL, the fits on the cluster."""
    grid = {"family": ["normal", "laplace", "studentt"]}
    # random_state: each fit's seed, so the scores do not depend on which process ran it
    search = GridSearchCV(MLPRegressor(hidden_layer_sizes=(16,), max_iter=30, random_state=0),
                          grid, scoring=nll_scorer, cv=3, n_jobs=-1)
    with parallel_config(backend="dask"):
        search.fit(X, y)
    return search


def fit_by_blocks(X, y):
    """dask-ml's Incremental: partial_fit on each block of a Dask data frame in turn."""
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(
        label=np.where(y > 0, "up", "down")), npartitions=5)  # or dd.read_parquet("events/")
    model = Incremental(MLPClassifier(hidden_layer_sizes=(16,)), shuffle_blocks=False)
    for epoch in range(3):
        model.partial_fit(frame[["a", "b", "c", "d"]], frame["label"], classes=["down", "up"])
    return model.predict_proba(frame[["a", "b", "c", "d"]])  # a Dask array, computed lazily


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = X[:, 0] + rng.standard_t(3, size=500)
    # a LocalCluster runs on this machine; Client("tcp://10.0.0.5:8786") reaches a real one
    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
        search = grid_search(X, y)
        print(search.best_params_, -search.best_score_)  # the best held-out NLL, nats/example
        probs = fit_by_blocks(X, y)
        print(probs.compute()[:3])  # P(down), P(up) of the first three rows
