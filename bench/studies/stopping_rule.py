"""The stopping rule behind MLPRegressor's defaults, chosen on validation rows only
(bench/studies/stopping_rule.md).

``python -m bench.studies.stopping_rule '{"label": {rule}, ...}' [SEEDS] [--sets a,b]``
(``--from FILE``: the tables again from an earlier run's printed JSON lines): each
rule is fitted as ``MLPRegressor(random_state=seed, **params)`` on the *fit* part of each task
and scored (NLL per row, y's units) on its *validation* part; test rows are never read. A rule
is a dict of MLPRegressor parameters plus ``"_rule"``: constants of ``probnn.defaults`` set for
that row (``AUTO_MAX_STEPS``, ``AUTO_PATIENCE_STEPS``, ``AUTO_MIN_PATIENCE``, ``PLATEAU_DROPS``,
``PLATEAU_FACTOR``). Tasks:

* ``concrete``, ``energy``, ``yacht``: a random fifth of split k's training rows held out as
  validation (``scenario5_search.validation_split``; k = seed), x standardised on the rest;
* ``bike`` (hourly ``cnt``) and ``california``: scenario 4's training part (its test fifth
  unread), of which a random fifth (seed 100 + seed) is the validation part;
* synthetic tasks with a known truth (``SYNTHETIC``), drawn afresh for each seed, 80 / 20:
  ``naval`` (11,934 rows, 16 correlated features from two latent factors, the target a smooth
  function of them with noise sd 1e-3 of its range), ``smooth`` (10,000 rows, a second nearly
  deterministic target built otherwise: 12 features mixing 3 continuous factors, see
  ``_smooth``), ``kin8nm`` (8,192 rows: the reach of an
  8-joint arm, noise sd 0.1 of the target's), ``power`` (9,568 rows, 4 correlated weather
  features, heteroscedastic noise) and ``wine`` (1,599 rows, 11 features, an integer
  quality 3-8 rounded from a noisy latent score).

Printed per rule and task: the validation NLL (mean over seeds), the epochs, and the fit's CPU
seconds (one BLAS thread, 2 worker processes); the synthetic tasks also print the truth's NLL
on the same validation rows (the floor no model beats in expectation).
"""
from __future__ import annotations

import json
import math
import sys
import time
import warnings

import numpy as np

from bench.studies import json_lines

TASKS = ("concrete", "energy", "yacht", "wine", "kin8nm", "power", "naval", "smooth", "bike",
         "california")


# ------------------------------------------------------------------ synthetic tasks with truth
def _naval(rng, n=11934):
    """Two latent factors (a lever at 9 settings, a decay coefficient in [0.95, 1]) seen
    through 16 smooth, strongly correlated features (2 of them constant, as in the real set);
    the target is the decay coefficient with noise sd 5e-5 (1e-3 of its range)."""
    lever = rng.integers(1, 10, n).astype(float)
    decay = rng.uniform(0.95, 1.0, n)
    u = (decay - 0.975) * 40.0  # in [-1, 1]
    a, b, c, e = (rng.uniform(0.5, 2.0, 16) for _ in range(4))
    X = (a * lever[:, None] + 0.1 * b * lever[:, None] ** 2 + np.exp(c * lever[:, None] / 9.0)) * (
        1.0 + 0.02 * e * u[:, None]) + 0.3 * e * u[:, None] * np.sin(lever[:, None])
    X *= 1.0 + 1e-5 * rng.standard_normal(X.shape)
    X[:, [3, 9]] = 1.0
    sd = 5e-5
    return X, decay + sd * rng.standard_normal(n), np.full(n, sd), decay


def _smooth(rng, n=10000):
    """A second nearly deterministic target, built differently from ``_naval``: three
    continuous latent factors seen through 12 features (linear and squared mixtures of them,
    no lever, no constant column), the target a smooth non-additive function of the factors
    (a product, a sine, a square) with noise sd 3e-3 (about 1e-3 of its range)."""
    z = rng.uniform(-1.0, 1.0, (n, 3))
    A, B = rng.normal(0, 1, (3, 8)), rng.normal(0, 1, (3, 4))
    X = np.column_stack([z @ A, 0.3 * (z @ B) ** 2])
    X *= 1.0 + 1e-5 * rng.standard_normal(X.shape)
    mean = z[:, 0] * z[:, 1] + np.sin(2.0 * z[:, 2]) + 0.5 * z[:, 0] ** 2
    sd = 3e-3
    return X, mean + sd * rng.standard_normal(n), np.full(n, sd), mean


def _kin8nm(rng, n=8192):
    theta = rng.uniform(-np.pi / 2, np.pi / 2, (n, 8))
    lengths = np.linspace(1.0, 0.3, 8)
    angle = np.cumsum(theta, axis=1)
    x, y = (lengths * np.cos(angle)).sum(1), (lengths * np.sin(angle)).sum(1)
    mean = np.hypot(x - 2.0, y) / 4.0
    sd = np.full(n, 0.1 * mean.std())
    return theta, mean + sd * rng.standard_normal(n), sd, mean


def _power(rng, n=9568):
    T = rng.uniform(2.0, 37.0, n)
    V = 25.0 + 1.2 * T + rng.normal(0, 6, n)
    AP = 1013.0 - 0.2 * T + rng.normal(0, 5, n)
    RH = np.clip(90.0 - 1.2 * T + rng.normal(0, 10, n), 20, 100)
    mean = (500.0 - 1.7 * T - 0.25 * V + 0.06 * (AP - 1013.0) - 0.15 * (RH - 70.0)
            - 0.01 * (T - 20.0) ** 2 + 3.0 * np.sin(V / 8.0))
    sd = 3.0 + 0.05 * T
    return np.column_stack([T, V, AP, RH]), mean + sd * rng.standard_normal(n), sd, mean


def _wine(rng, n=1599):
    L = rng.standard_normal((n, 4))
    X = L @ rng.normal(0, 1, (4, 11)) + 0.5 * rng.standard_normal((n, 11))
    latent = 5.6 + 0.35 * X[:, 0] - 0.25 * X[:, 1] + 0.2 * np.tanh(X[:, 2] * X[:, 3])
    noisy = latent + 0.65 * rng.standard_normal(n)
    return X, np.clip(np.round(noisy), 3, 8), None, latent


SYNTHETIC = {"naval": _naval, "smooth": _smooth, "kin8nm": _kin8nm, "power": _power, "wine": _wine}


def _standardised(X, fit, va):
    mu, sd = X[fit].mean(0), X[fit].std(0)
    sd[sd == 0] = 1.0
    return (X[fit] - mu) / sd, (X[va] - mu) / sd


def task(name: str, seed: int):
    """(X_fit, y_fit, X_val, y_val, truth NLL on the validation rows or None)."""
    if name in SYNTHETIC:
        rng = np.random.default_rng(1000 + seed)
        X, y, sd, mean = SYNTHETIC[name](rng)
        p = rng.permutation(len(y))
        va, fit = p[: len(y) // 5], p[len(y) // 5:]
        Xf, Xv = _standardised(X, fit, va)
        truth = None
        if sd is not None:
            from scipy import stats

            truth = float(-np.mean(stats.norm.logpdf(y[va], mean[va], sd[va])))
        return Xf, y[fit], Xv, y[va], truth
    if name in ("concrete", "energy", "yacht"):
        from bench.studies.scenario5_search import validation_split

        return (*validation_split(name, seed), None)
    from bench._data import load_csv
    from bench.scenario4 import _split

    if name == "bike":
        frame = load_csv("bike-sharing/hour.csv")
        Xtr, _, ytr, _, _ = _split(frame, "cnt", ["instant", "dteday", "casual", "registered"])
    else:
        frame = load_csv("california-housing/housing.csv")
        Xtr, _, ytr, _, _ = _split(frame, "median_house_value", [])
    Xtr, ytr = np.asarray(Xtr, np.float64), np.asarray(ytr, np.float64)
    p = np.random.default_rng(100 + seed).permutation(len(ytr))
    va, fit = p[: len(ytr) // 5], p[len(ytr) // 5:]
    Xf, Xv = _standardised(Xtr, fit, va)  # already standardised: a no-op up to rounding
    return Xf, ytr[fit], Xv, ytr[va], None


def fit_on_task(name: str, seed: int, rule: dict):
    """``MLPRegressor(random_state=seed, **rule)`` fitted on task ``name``'s fit part (one BLAS
    thread), with the ``probnn.defaults`` constants of ``rule["_rule"]`` set for the fit only;
    returns ``(estimator, validation NLL, fit CPU seconds, the truth's NLL or None)``."""
    from threadpoolctl import threadpool_limits

    from probnn import defaults
    from probnn.estimators import MLPRegressor

    rule = dict(rule)
    consts = rule.pop("_rule", {})
    saved = {k: getattr(defaults, k) for k in consts}
    for k, v in consts.items():
        setattr(defaults, k, v)
    try:
        Xf, yf, Xv, yv, truth = task(name, seed)
        with threadpool_limits(1):
            est = MLPRegressor(random_state=seed, **rule)
            c0 = time.process_time()
            est.fit(Xf, yf)
            cpu = time.process_time() - c0
        nll = float(est.score_nll(Xv, yv))
    finally:
        for k, v in saved.items():
            setattr(defaults, k, v)
    return est, nll, cpu, truth


def _one(job):
    label, rule, name, seed = job
    warnings.simplefilter("ignore")
    est, nll, cpu, truth = fit_on_task(name, seed, rule)
    return dict(label=label, task=name, seed=seed, nll=nll, truth=truth, epochs=int(est.n_iter_),
                cpu=cpu, drops=int(getattr(est._trainer, "_n_drops", 0)))


def paired_pairs(out, sets, labels):
    """Each rule's fits against the first rule's, paired over seeds: yields the task, the
    rule, both rules' records by seed, the seeds, the mean NLL difference, its standard error
    and the median over seeds of the fit CPU-time ratio."""
    base = labels[0]
    for name in sets:
        ref = {r["seed"]: r for r in out if r["task"] == name and r["label"] == base}
        for label in labels[1:]:
            rs = {r["seed"]: r for r in out if r["task"] == name and r["label"] == label}
            seeds = sorted(set(ref) & set(rs))
            if not seeds:
                continue
            d = np.array([rs[s]["nll"] - ref[s]["nll"] for s in seeds])
            se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
            ratio = np.median([rs[s]["cpu"] / ref[s]["cpu"] for s in seeds])
            yield name, label, ref, rs, seeds, d.mean(), se, ratio


def paired(out, sets, labels) -> None:
    """Each rule against the first, paired over seeds: mean difference of validation NLL with
    its standard error, and the median over seeds of the fit CPU-time ratio."""
    base = labels[0]
    print(f"| task | rule | {base} | rule | rule - {base} (SE) | truth | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, label, ref, rs, seeds, diff, se, ratio in paired_pairs(out, sets, labels):
        truths = [ref[s]["truth"] for s in seeds if ref[s]["truth"] is not None]
        truth = f"{np.mean(truths):.3f}" if truths else ""
        print(f"| {name} | {label} | {np.mean([ref[s]['nll'] for s in seeds]):.3f} | "
              f"{np.mean([rs[s]['nll'] for s in seeds]):.3f} | {diff:+.3f} ({se:.3f}) "
              f"| {truth} | {ratio:.2f} |")


def main(argv=None) -> None:
    from multiprocessing import get_context

    argv = sys.argv[1:] if argv is None else argv
    sets = TASKS
    if "--sets" in argv:
        i = argv.index("--sets")
        sets, argv = tuple(argv[i + 1].split(",")), argv[:i] + argv[i + 2:]
    if argv[0] == "--from":  # summarise the JSON lines of an earlier run: --from FILE
        out = json_lines(argv[1])
        labels = list(dict.fromkeys(r["label"] for r in out))
        paired(out, [t for t in TASKS if any(r["task"] == t for r in out)], labels)
        return
    rules, seeds = json.loads(argv[0]), int(argv[1]) if len(argv) > 1 else 2
    jobs = [(label, rule, name, s) for name in sets for s in range(seeds)
            for label, rule in rules.items()]
    out = []
    with get_context("spawn").Pool(2) as pool:
        for r in pool.imap_unordered(_one, jobs):
            out.append(r)
            print(json.dumps(r), flush=True)
    paired(out, sets, list(rules))
    print("| task | rule | validation NLL | truth | epochs | fit CPU s |")
    print("|---|---|---|---|---|---|")
    for name in sets:
        for label in rules:
            rs = [r for r in out if r["task"] == name and r["label"] == label]
            truth = [r["truth"] for r in rs if r["truth"] is not None]
            print(f"| {name} | {label} | {np.mean([r['nll'] for r in rs]):.3f} | "
                  f"{np.mean(truth):.3f} | " if truth else
                  f"| {name} | {label} | {np.mean([r['nll'] for r in rs]):.3f} | | ", end="")
            print(f"{np.median([r['epochs'] for r in rs]):.0f} | "
                  f"{np.median([r['cpu'] for r in rs]):.1f} |")


if __name__ == "__main__":
    main()
