"""Helpers shared by scenarios 2-4: threads, timing, NLLs computed with scipy.stats, summaries.

Every peer's held-out NLL is computed here from its predictions with ``scipy.stats`` (or
scikit-learn's ``log_loss`` for classifiers), never by the peer itself; probnn's own
``score_nll`` is checked against the same scipy.stats formula (:func:`check_probnn_nll`), so
that a bug in either cannot hide.
"""
from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from scipy import special, stats

THREADS = 2


@contextlib.contextmanager
def two_threads():
    """BLAS / OpenMP pools (and torch, when imported) limited to 2 threads; warnings silenced.

    The peers' warnings (ConvergenceWarning at a fixed epoch budget, etc.) are expected in a
    benchmark with a fixed budget; they are counted in the results instead of printed.
    """
    from threadpoolctl import threadpool_limits

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(THREADS)
    with threadpool_limits(THREADS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def timed(fn):
    """(seconds, result) of ``fn()``."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def summary(xs) -> dict:
    """Median, min, max of a list of numbers (NaN-free; empty -> None)."""
    xs = [float(x) for x in xs if x is not None and np.isfinite(x)]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def fmt(s: dict | None, digits: int = 3, signed: bool = False) -> str:
    """'median [min, max]' of a :func:`summary`, or 'n/a'."""
    if not s:
        return "n/a"
    f = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    return f"{f.format(s['median'])} [{f.format(s['min'])}, {f.format(s['max'])}]"


# ---------------------------------------------------------------- NLLs with scipy.stats
def nll_normal(y, loc, scale) -> float:
    return float(-np.mean(stats.norm.logpdf(y, loc=loc, scale=scale)))


def nll_laplace(y, loc, scale) -> float:
    return float(-np.mean(stats.laplace.logpdf(y, loc=loc, scale=scale)))


def nll_studentt(y, df, loc, scale) -> float:
    return float(-np.mean(stats.t.logpdf(y, df, loc=loc, scale=scale)))


def nll_poisson(y, mu) -> float:
    return float(-np.mean(stats.poisson.logpmf(y, mu)))


def nll_bernoulli(y, p) -> float:
    return float(-np.mean(stats.bernoulli.logpmf(y, p)))


def nll_categorical(y, probs) -> float:
    """Mean -log probs[i, y_i] computed exactly (no clipping), via scipy.stats.multinomial(1, p)."""
    probs = np.asarray(probs, dtype=np.float64)
    onehot = np.zeros_like(probs)
    onehot[np.arange(len(y)), y] = 1.0
    # multinomial with n=1 is the categorical; scipy wants rows summing to 1 exactly
    probs = probs / probs.sum(axis=1, keepdims=True)
    return float(-np.mean(stats.multinomial.logpmf(onehot, 1, probs)))


def sklearn_log_loss(y, proba, labels) -> float:
    """scikit-learn's held-out NLL of a classifier: ``log_loss(y, predict_proba)``.

    Note: log_loss clips probabilities to [eps, 1 - eps] (eps of the dtype), so a confident
    wrong prediction costs at most -log(eps) ~ 36 nats (float64) instead of infinity.
    """
    from sklearn.metrics import log_loss

    return float(log_loss(y, proba, labels=labels))


def scipy_nll_of_dist(dist, y) -> float:
    """The NLL of a probnn distribution recomputed with scipy.stats from its parameters."""
    from probnn.distributions import (Bernoulli, Categorical, Laplace, Normal, Poisson,
                                      StudentT)

    f8 = lambda a: np.asarray(a, dtype=np.float64)  # noqa: E731
    if isinstance(dist, Normal):
        return nll_normal(y, f8(dist.loc), f8(dist.scale))
    if isinstance(dist, Laplace):
        return nll_laplace(y, f8(dist.loc), f8(dist.scale))
    if isinstance(dist, StudentT):
        return nll_studentt(y, f8(dist.df), f8(dist.loc), f8(dist.scale))
    # discrete families: parameters recomputed in float64 from the raw (log-) parameters, since
    # float32 probabilities near 0 or 1 lose the digits a confident wrong prediction is scored on
    if isinstance(dist, Poisson):
        return nll_poisson(y, np.exp(f8(dist.log_rate)))
    if isinstance(dist, Bernoulli):
        return nll_bernoulli(y, special.expit(f8(dist.logits)))
    if isinstance(dist, Categorical):
        return nll_categorical(y, special.softmax(f8(dist.logits), axis=-1))
    raise TypeError(f"no scipy.stats NLL for {type(dist).__name__}")


def check_probnn_nll(est, X, y, y_encoded=None, rtol: float = 2e-4, atol: float = 2e-4) -> float:
    """probnn's ``score_nll`` after asserting it agrees with scipy.stats on ``predict_dist``.

    ``y_encoded``: the labels as the distribution sees them (class indices), when they differ
    from ``y``. The tolerance allows float32 networks (probabilities rounded to float32).
    """
    ours = est.score_nll(X, y)
    ref = scipy_nll_of_dist(est.predict_dist(X), y if y_encoded is None else y_encoded)
    assert np.isfinite(ours) and abs(ours - ref) <= atol + rtol * abs(ref), (
        f"probnn score_nll {ours!r} disagrees with scipy.stats {ref!r} "
        f"for {type(est.predict_dist(X[:1])).__name__}")
    return float(ours)


# ---------------------------------------------------------------- child-process entry point
def child_main(run, argv=None) -> None:
    """``python -m bench.scenarioN [--quick] [--repeats R]``: log lines to stderr, JSON to stdout."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = run(quick=a.quick, repeats=a.repeats, log=log)
    print(json.dumps(res))


def cpu_name() -> str:
    """lscpu's model name (else /proc/cpuinfo's)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.strip().startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
