"""Issue 10's count measurement: negative-binomial against poisson on Bike Sharing (hourly).

``PYTHONPATH=$PWD python -m bench.studies.nb_bike_sharing [FAMILY ...]`` (not part of ``python -m bench``).

The same MLP (features standardised, hour / month / weekday / season / weather one-hot; two
hidden layers of 64 ReLU units; Adam, lr 1e-3, early stopping, at most 80 epochs; output
bias at the family's ``constant_raw``) is trained through ``probnn.network`` with each family
on a random 80% of the 17,379 hours (seed 0) and scored on the other 20%: the mean held-out
NLL with its standard error, and the share of held-out counts inside the predicted central
90% interval ``[icdf(0.05), icdf(0.95)]``.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from bench._data import load_csv
from probnn.families import get_family
from probnn.network import MLP
from probnn.network.training import Trainer


def main(names: list[str]) -> None:
    df = load_csv("bike-sharing/hour.csv")
    if df is None:
        sys.exit("bike-sharing/hour.csv not found under ../shared/data")
    y = df["cnt"].to_numpy(float)
    numeric = df[["temp", "atemp", "hum", "windspeed", "yr", "holiday", "workingday"]]
    categories = pd.get_dummies(df[["season", "mnth", "hr", "weekday", "weathersit"]].astype(str))
    X = np.column_stack([numeric.to_numpy(float), categories.to_numpy(float)])
    order = np.random.default_rng(0).permutation(len(y))
    test, train = order[: len(y) // 5], order[len(y) // 5:]
    X = ((X - X[train].mean(0)) / (X[train].std(0) + 1e-12)).astype(np.float32)
    for name in names:
        family = get_family(name)
        net = MLP([X.shape[1], 64, 64, family.n_outputs(y[train])], "relu", dtype=np.float32,
                  random_state=0)
        bias = np.asarray(family.constant_raw(y[train]), dtype=float)
        bias[~np.isfinite(bias)] = 0.0
        net.intercepts[-1][...] = bias
        start = time.process_time()
        trainer = Trainer(net, family, solver="adam", learning_rate_init=1e-3, max_iter=80,
                          early_stopping=True, n_iter_no_change=10, random_state=0)
        trainer.fit(X[train], y[train])
        cpu = time.process_time() - start
        raw = net.forward(X[test]).astype(np.float64)
        nll = family.nll(raw, y[test])
        dist = family.distribution(raw)
        inside = (y[test] >= dist.icdf(0.05)) & (y[test] <= dist.icdf(0.95))
        print(f"{name:18s} epochs {trainer.n_iter_:3d}  cpu {cpu:5.1f} s  held-out NLL "
              f"{nll.mean():.4f} +- {nll.std(ddof=1) / np.sqrt(len(nll)):.4f} (SE)  "
              f"90% interval holds {inside.mean():.3f}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["poisson", "negative-binomial"])
