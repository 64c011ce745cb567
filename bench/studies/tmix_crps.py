"""The CRPS of a mixture-studentt Laplace predictive (300 pooled t components of df 3): the
closed-form pairs against the integral of F (1 - F) they replace and against scipy quad
(issue 22, stop 42; results in tmix_crps.md).

Usage: ``python -m bench.studies.tmix_crps MODEL.safetensors TABLE.csv TARGET [ROWS]``: the
model's predictive on the table's first ROWS rows (default 16); CPU seconds (process_time,
one process) of ``crps`` (the pairs) and of the old integral
(``_crps_mixture.quadrature_half_gini`` at the rule ``scoring_rules`` gave it), their largest
absolute and relative differences, and both against scipy quad of ``(F - 1{x >= y})^2`` on
the first 3 rows (F from scipy.stats.t; split at 21 quantiles of the locations, tails in
1/x). The model: ``probnn fit bike300.csv --target cnt --drop instant,casual,registered
--family mixture-studentt --posterior laplace`` (bike300 = the first 300 rows of
bike-sharing day.csv).
"""

from __future__ import annotations

import sys
import time
import warnings
from functools import partial

import numpy as np


def _quad_crps(w, m, s, y) -> float:
    from scipy import integrate, stats

    def cdf(x):
        return float(np.sum(w * stats.t.cdf(x, 3, m, s)))

    def sf(x):
        return float(np.sum(w * stats.t.sf(x, 3, m, s)))

    def quad(f, a, b):
        return integrate.quad(f, a, b, epsabs=0, epsrel=1e-12, limit=1000)[0]

    pts = sorted(set(np.quantile(m, np.linspace(0, 1, 21)).tolist() + [y]))
    lo, hi = min(pts[0] - 1e4 * s.max(), -1.0), max(pts[-1] + 1e4 * s.max(), 1.0)
    below = [lo] + [p for p in pts if p <= y]
    above = [p for p in pts if p >= y] + [hi]
    return (quad(lambda u: cdf(1 / u) ** 2 / (u * u), 1 / lo, 0)
            + sum(quad(lambda x: cdf(x) ** 2, a, b) for a, b in zip(below[:-1], below[1:]))
            + sum(quad(lambda x: sf(x) ** 2, a, b) for a, b in zip(above[:-1], above[1:]))
            + quad(lambda u: sf(1 / u) ** 2 / (u * u), 0, 1 / hi))


def main() -> None:
    import pandas as pd

    from probnn import _crps_mixture
    from probnn._crps_base import _tanh_sinh_rule
    from probnn._crps_continuous import _MEAN_ABS
    from probnn.distributions import Mixture
    from probnn.model_file import load_model
    from probnn.scoring_rules import _MIXTURE_TS_LEVELS, _flattened, crps

    model_path, table, target = sys.argv[1:4]
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    frame = pd.read_csv(table).iloc[:rows]
    dist = load_model(model_path).predict_dist(frame)
    y = frame[target].to_numpy(float)
    flat = _flattened(dist) if any(isinstance(c, Mixture) for c in dist.components) else dist
    comps = flat.components
    t0 = time.process_time()
    new = np.asarray(crps(dist, y), float)
    t_new = time.process_time() - t0
    w = np.exp(flat._w_for(1))
    t0 = time.process_time()
    first = sum(w[i] * _MEAN_ABS[type(c)](c, y) for i, c in enumerate(comps))
    old = first - _crps_mixture.quadrature_half_gini(
        comps, flat._w_for(1), flat.batch_shape, partial(_tanh_sinh_rule,
                                                         levels=_MIXTURE_TS_LEVELS))
    t_old = time.process_time() - t0
    print(f"{len(comps)} components, {rows} rows; CPU s: pairs {t_new:.2f}, integral {t_old:.2f}")
    print(f"pairs - integral: max abs {np.max(np.abs(new - old)):.3g}, "
          f"max rel {np.max(np.abs(new - old) / old):.3g}")
    loc = np.stack([np.broadcast_to(c._loc, flat.batch_shape) for c in comps])
    scale = np.stack([np.broadcast_to(c._scale, flat.batch_shape) for c in comps])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in range(min(rows, 3)):
            want = _quad_crps(w[:, j], loc[:, j], scale[:, j], y[j])
            print(f"row {j}: quad {want:.12g}; pairs rel {abs(new[j] - want) / want:.2g}, "
                  f"integral rel {abs(old[j] - want) / want:.2g}")


if __name__ == "__main__":
    main()
