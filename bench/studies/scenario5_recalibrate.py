"""``python -m bench.studies.scenario5_recalibrate [SETS] [SPLITS]``: what ``recalibrate`` changes.

On scenario 5's protocol (the standard UCI splits, x standardised on the training rows), each
split's ``MLPRegressor(random_state=split)`` is fitted twice, with ``recalibrate=False`` and with
the default ``"auto"`` (the same network: the factor is fitted after training), and scored with
scipy.stats. Also printed: the unconstrained maximum-likelihood factor's result (``ML factor``,
which may sharpen) next to the default (``widen-only``, factor at least 1), so the choice can be
re-checked. Paired figures: mean ± standard error over the splits, and the worst split.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from bench.scenario5 import SETS, load_split


def _nll(dist, y, factor=1.0) -> float:
    return float(-np.mean(stats.norm.logpdf(y, np.asarray(dist.loc, np.float64),
                                            factor * np.asarray(dist.scale, np.float64))))


def main(argv=None) -> None:
    from probnn import MLPRegressor

    argv = sys.argv[1:] if argv is None else argv
    sets = argv[0].split(",") if argv else list(SETS)
    splits = int(argv[1]) if len(argv) > 1 else 20
    print("| data | recalibrate=False | ML factor | default (widen-only) | factor < 1 on |")
    print("|---|---|---|---|---|")
    for name in sets:
        off, ml, auto, below = [], [], [], 0
        for k in range(splits):
            Xtr, ytr, Xte, yte = load_split(name, k)
            model = MLPRegressor(random_state=k, recalibrate=False).fit(Xtr, ytr)
            dist = model.predict_dist(Xte)
            # the unconstrained factor, by the Normal's closed form on early stopping's rows
            held = model._trainer.held_out_index_
            d_val = model.predict_dist(Xtr[held])
            z = (ytr[held] - np.asarray(d_val.loc, np.float64)) / np.asarray(d_val.scale,
                                                                              np.float64)
            factor = float(np.sqrt(np.mean(z**2)))
            below += factor < 1
            off.append(_nll(dist, yte))
            ml.append(_nll(dist, yte, factor))
            auto.append(_nll(MLPRegressor(random_state=k).fit(Xtr, ytr).predict_dist(Xte), yte))
            print(f"  {name} split {k}: factor {factor:.3f}, NLL {off[-1]:.3f} / {ml[-1]:.3f} / "
                  f"{auto[-1]:.3f}", file=sys.stderr, flush=True)

        def fmt(a):
            a = np.asarray(a)
            return f"{a.mean():.3f} ± {a.std(ddof=1) / np.sqrt(a.size):.3f} (max {a.max():.2f})"

        print(f"| {name} | {fmt(off)} | {fmt(ml)} | {fmt(auto)} | {below} of {splits} |")


if __name__ == "__main__":
    main()
