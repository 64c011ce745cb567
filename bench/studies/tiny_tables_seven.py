"""7-row tables under ``--family auto`` (``probnn.selection.select_model``): what it chooses,
and what that costs on fresh rows against the constant model, the normal GLM (the evidence's
prior, ``--hidden none``) and what a statistician fits to 7 rows of one feature: ordinary
least squares with its exact predictive, Student-t with n - 2 degrees of freedom and scale
``s sqrt(1 + h)`` (``s^2`` the residuals' unbiased variance, ``h`` the new row's leverage),
scored by ``scipy.stats.t``. Laws ``y = b x + N(0, 1)``, ``x ~ U(-2, 2)``, b = 3 ("strong"),
1 ("linear"), 0 ("null"), 5,000 fresh rows; and 7-row subsamples of UCI energy and concrete
(1,000 other rows held out; no OLS there: 8 features on 7 rows).

Run: ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m bench.studies.tiny_tables_seven 7
strong,linear,null,energy,concrete 10 > F.jsonl``; ``--summarise F.jsonl``.
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from bench.studies import json_lines
from bench.studies.tiny_tables import _large

SLOPES = {"null": 0.0, "linear": 1.0, "strong": 3.0}


def _ols_t(A_train, y_train, A_new, y_new) -> float:
    n, p = A_train.shape
    beta = np.linalg.lstsq(A_train, y_train, rcond=None)[0]
    s2 = float(np.sum((y_train - A_train @ beta) ** 2)) / (n - p)
    h = np.einsum("ij,jk,ik->i", A_new, np.linalg.inv(A_train.T @ A_train), A_new)
    return float(-stats.t.logpdf(y_new, n - p, A_new @ beta, np.sqrt(s2 * (1 + h))).mean())


def run(n: int, kind: str, seed: int) -> dict:
    import probnn.selection as S
    from probnn import MLPRegressor
    from probnn.evidence import fit_by_evidence

    rng = np.random.default_rng(5000 + seed)
    truth = ols = None
    if kind in SLOPES:
        X = rng.uniform(-2, 2, size=(n + 5000, 1))
        y = SLOPES[kind] * X[:, 0] + rng.normal(size=n + 5000)
        tr, te = np.arange(n), np.arange(n, n + 5000)
        truth = float(-stats.norm.logpdf(y[te], SLOPES[kind] * X[te, 0], 1.0).mean())
        A = np.column_stack([np.ones(len(y)), X[:, 0]])
        ols = _ols_t(A[tr], y[tr], A[te], y[te])
    else:
        X, y = _large(kind)
        idx = rng.permutation(len(y))
        tr, te = idx[:n], idx[n:n + 1000]
    cols = [f"x{i}" for i in range(X.shape[1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = S.select_model(pd.DataFrame(X[tr], columns=cols), pd.Series(y[tr], name="y"),
                             seed=seed)  # fmt: skip
        mu, sd = X[tr].mean(0), X[tr].std(0)
        sd[sd == 0] = 1.0
        glm = fit_by_evidence(MLPRegressor(hidden_layer_sizes=(), solver="lbfgs",
                                           random_state=seed), (X[tr] - mu) / sd, y[tr])
    test = pd.DataFrame(X[te], columns=cols).assign(y=y[te])
    return dict(kind=kind, seed=seed, n=n, truth=truth, ols_t=ols,
                chosen=f"{sel.family} {sel.capacity}",
                best=f"{sel.table.iloc[0].family} {sel.table.iloc[0].capacity}",
                sel=float(sel.model.evaluate(test)["nll_nats"]),
                constant=float(-stats.norm.logpdf(y[te], y[tr].mean(), y[tr].std()).mean()),
                glm=float(glm.score_nll((X[te] - mu) / sd, y[te])))


def summarise(rows) -> str:
    df = pd.DataFrame(rows)

    def ms(s):
        s = s.dropna()
        return "" if s.empty else f"{s.mean():.3g} ± {s.std(ddof=1) / np.sqrt(len(s)):.2g} " \
            f"({s.max():.3g})"

    lines = ["| table | cases | constant chosen | best on the folds a constant | chosen | "
             "constant | GLM | OLS, predictive t | truth |", "|" + "---|" * 9]
    for kind, g in df.groupby("kind", sort=False):
        lines.append(f"| {kind} | {len(g)} | {g.chosen.str.endswith('constant').sum()} | "
                     f"{g.best.str.endswith('constant').sum()} | {ms(g.sel)} | "
                     f"{ms(g.constant)} | {ms(g.glm)} | {ms(g.ols_t)} | {ms(g.truth)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--summarise"]:
        print(summarise(json_lines(*sys.argv[2:])))
        sys.exit(0)
    n, kinds, seeds = int(sys.argv[1]), sys.argv[2].split(","), int(sys.argv[3])
    for kind in kinds:
        for seed in range(seeds):
            print(json.dumps(run(n, kind, seed)), flush=True)
