"""The Laplace approximation on the UCI protocol (issue 24): does it beat the plain network?

For each split of concrete, energy and yacht (scenario 5's loading and splits), one default
``MLPRegressor(random_state=split)`` is fitted, then wrapped with ``prefit=True`` (the same
network, so the comparison is paired):

* ``plain``: the network's own predictive (``score_nll``);
* ``laplace alpha``: ``LaplaceApproximation(subset="last-layer")``, lambda = the network's
  alpha (0.01 on the summed NLL);
* ``laplace evidence``: the same, lambda chosen by the evidence;
* ``laplace all diag``: every weight, ``hessian="ggn-diag"``, lambda by the evidence.

Test NLL per example in y's units (nats), mean and standard error over the splits, and the
paired difference against ``plain`` (mean and its SE). ``make bench`` runs the variant that
``probnn fit --posterior laplace`` uses (:func:`laplace_score`) as scenario 5's peer ``probnn
laplace``, beside the plain network and the ensemble; this study runs every variant, by hand:

    python -m bench.studies.laplace_uci --splits 20 > bench/studies/laplace_uci.md
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np

from bench.scenario5 import SETS, load_split

VARIANTS = {
    "laplace alpha": dict(subset="last-layer"),
    "laplace evidence": dict(subset="last-layer", prior_precision="evidence"),
    "laplace all diag": dict(subset="all", hessian="ggn-diag", prior_precision="evidence"),
}


def laplace_score(est, Xtr, ytr, Xte, yte) -> dict:
    """The fitted default network ``est`` wrapped in ``probnn fit --posterior laplace``'s
    posterior (``defaults.TABLE_LAPLACE``, ``prefit=True``: the same network, so the
    comparison with ``est`` is paired): test NLL (scipy.stats' Normal density at the
    predictive's parameters, asserted equal to ``score_nll``), RMSE, seconds, lambda."""
    from probnn import LaplaceApproximation
    from probnn.defaults import TABLE_LAPLACE
    from scipy import stats

    start = time.perf_counter()
    la = LaplaceApproximation(est, prefit=True, **TABLE_LAPLACE).fit(Xtr, ytr)
    seconds = time.perf_counter() - start
    dist = la.predict_dist(Xte)
    loc, scale = np.asarray(dist.loc, np.float64), np.asarray(dist.scale, np.float64)
    nll = float(-np.mean(stats.norm.logpdf(yte, loc, scale)))
    ours = la.score_nll(Xte, yte)
    assert abs(ours - nll) <= 1e-6 + 1e-6 * abs(nll), (ours, nll)
    return {"nll": nll, "rmse": float(np.sqrt(np.mean((yte - loc) ** 2))), "seconds": seconds,
            "lambda": float(la.prior_precision_)}


def run_split(name: str, k: int) -> dict:
    from probnn import LaplaceApproximation, MLPRegressor

    Xtr, ytr, Xte, yte = load_split(name, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPRegressor(random_state=k).fit(Xtr, ytr)
    out = {"plain": est.score_nll(Xte, yte)}
    for label, settings in VARIANTS.items():
        start = time.perf_counter()
        la = LaplaceApproximation(est, prefit=True, **settings).fit(Xtr, ytr)
        out[label] = la.score_nll(Xte, yte)
        out[label + " seconds"] = time.perf_counter() - start
        out[label + " lambda"] = la.prior_precision_
    return out


def _mean_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    args = parser.parse_args(argv)
    print("# The Laplace approximation on the UCI protocol (issue 24)\n")
    print(f"`python -m bench.studies.laplace_uci --splits {args.splits}`: the first "
          f"{args.splits} of the 20 splits; one default `MLPRegressor(random_state=split)` per "
          "split, wrapped with `prefit=True` (paired). Test NLL in nats per example, mean (SE) "
          "over the splits; `diff` is the variant minus `plain`, paired, mean (SE); "
          "negative is better.\n")
    print("| set | plain | " + " | ".join(f"{v} | diff" for v in VARIANTS) + " |")
    print("|---|---|" + "---|---|" * len(VARIANTS))
    notes = []
    for name in args.sets:
        rows = []
        for k in range(args.splits):
            rows.append(run_split(name, k))
            print(f"{name} split {k}: {rows[-1]}", file=sys.stderr, flush=True)
        plain = [r["plain"] for r in rows]
        cells = ["%.3f (%.3f)" % _mean_se(plain)]
        for v in VARIANTS:
            cells.append("%.3f (%.3f)" % _mean_se([r[v] for r in rows]))
            cells.append("%+.3f (%.3f)" % _mean_se([r[v] - r["plain"] for r in rows]))
            notes.append(f"{name}, {v}: lambda median {np.median([r[v + ' lambda'] for r in rows]):.3g}, "
                         f"{np.mean([r[v + ' seconds'] for r in rows]):.2f} s per posterior")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
