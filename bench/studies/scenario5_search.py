"""Configuration search behind the ensemble's member defaults (bench/studies/scenario5_search.md).

``python -m bench.studies.scenario5_search '{"label": {MLPRegressor params}, ...}' [K]``: for each
configuration, on each of concrete / energy / yacht and each of the first K (default 3) standard
splits, a random fifth of the *training* rows (seed 100 + split) is held out as validation, x is
standardised on the other four fifths, ``MLPRegressor(family="normal", random_state=split,
**params)`` is fit on them, and the validation NLL (mean, max over splits) and RMSE are printed.
Test rows are never read, so choosing by these figures does not tune on the test sets.
``python -m bench.studies.scenario5_search CONFIGS K N``: fit on only N rows of each fit part (x stays
standardised on the whole fit part), to see the rule on tiny data. A configuration's ``"_rule"`` entry sets the constants of MLPRegressor's "auto" size rule
(``probnn.defaults.AUTO_*``, e.g. ``{"AUTO_PATIENCE_STEPS": 1000}``) and
``"start_at_constant"`` (whether a fresh network starts as the constant model) for that row;
``{"_constant": true}`` scores the constant Normal fitted to the fit rows (the floor);
``"_ensemble": M`` fits ``EnsembleRegressor`` of M members with the row's parameters instead
(e.g. ``{"_ensemble": 5, "recalibrate": false}``).
"""
from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

from bench.scenario5 import SETS, read_split, standardised_pair


def validation_split(name: str, k: int):
    """A fit part and a validation fifth of split k's training rows (its test rows unread)."""
    X, y, tr, _ = read_split(name, k)
    p = np.random.default_rng(100 + k).permutation(tr)
    va, fit = p[: len(tr) // 5], p[len(tr) // 5:]
    return standardised_pair(X, y, fit, va)


def main(argv=None) -> None:
    from threadpoolctl import threadpool_limits

    from probnn.estimators import EnsembleRegressor, MLPRegressor

    argv = sys.argv[1:] if argv is None else argv
    configs, k_splits = json.loads(argv[0]), int(argv[1]) if len(argv) > 1 else 3
    # a third argument N: fit on only N rows of the fit part (the first N of its shuffled order),
    # to see what the rule does with tiny data; the validation fifth stays whole
    n_rows = int(argv[2]) if len(argv) > 2 else None
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        from probnn import defaults as module

        saved = {k: getattr(module, k) for k in dir(module) if k.startswith("AUTO_")}
        for label, kw in configs.items():
            rule = kw.pop("_rule", {})
            for k, v in {**saved, **rule}.items():
                if k == "start_at_constant":
                    continue
                setattr(module, k, tuple(v) if isinstance(v, list) else v)
            MLPRegressor._start_at_constant = bool(rule.get("start_at_constant", True))
            if isinstance(kw.get("hidden_layer_sizes"), list):
                kw["hidden_layer_sizes"] = tuple(kw["hidden_layer_sizes"])
            t0, parts, steps = time.time(), [], []
            for name in SETS:
                nll, rmse = [], []
                for k in range(k_splits):
                    Xf, yf, Xv, yv = validation_split(name, k)
                    if n_rows is not None:
                        Xf, yf = Xf[:n_rows], yf[:n_rows]
                    if kw.get("_constant"):  # the floor: Normal(mean, sd) of the fit rows
                        from scipy import stats

                        nll.append(float(-np.mean(stats.norm.logpdf(yv, yf.mean(), yf.std()))))
                        rmse.append(float(np.sqrt(np.mean((yf.mean() - yv) ** 2))))
                        steps.append(0)
                        continue
                    params = {key: v for key, v in kw.items() if key != "_ensemble"}
                    est = MLPRegressor(family="normal", random_state=k, **params)
                    if kw.get("_ensemble"):
                        est = EnsembleRegressor(est, n_members=int(kw["_ensemble"]),
                                                random_state=k)
                    est.fit(Xf, yf)
                    nll.append(est.score_nll(Xv, yv))
                    one = est.estimators_[0] if kw.get("_ensemble") else est
                    steps.append(one.t_ // max(1, getattr(one, "batch_size_", 200)))
                    rmse.append(float(np.sqrt(np.mean((est.predict(Xv) - yv) ** 2))))
                parts.append(f"{name}: val {np.mean(nll):.3f} (max {np.max(nll):.2f}) "
                             f"rmse {np.mean(rmse):.2f}")
            print(label, f"{time.time() - t0:.0f}s", f"steps~{int(np.median(steps))}",
                  " ".join(parts), flush=True)


if __name__ == "__main__":
    main()
