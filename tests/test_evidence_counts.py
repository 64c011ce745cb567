"""The evidence search warm-starts each fit from the last; the fit it returns reports its own
iterations, not the sum over the search ("L-BFGS converged after 401 iterations (budget
200)" on h8 GLMs: the counts of every fit up to the chosen one, against one fit's budget).

Oracle: scipy's own ``nit`` of the L-BFGS-B call whose result is the returned weights
(spied on ``scipy.optimize.minimize``), and the sum of every call's ``nit``.
"""

from __future__ import annotations

import numpy as np

from probnn import MLPClassifier
from probnn.evidence import fit_by_evidence
from probnn.network import lbfgs
from probnn.report.card import stop_reason


def test_the_chosen_fit_reports_its_own_iterations(monkeypatch):
    calls = []
    minimize = lbfgs.optimize.minimize

    def spy(*args, **kwargs):
        result = minimize(*args, **kwargs)
        calls.append((int(result.nit), np.array(result.x)))
        return result

    monkeypatch.setattr(lbfgs.optimize, "minimize", spy)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 8))
    y = (rng.random(1000) < 1 / (1 + np.exp(-(X @ rng.normal(size=8))))).astype(int)
    fitted = fit_by_evidence(MLPClassifier(hidden_layer_sizes=(), solver="lbfgs",
                                           random_state=0), X, y)  # fmt: skip
    weights = np.concatenate([np.ravel(a) for pair in zip(fitted.coefs_, fitted.intercepts_)
                              for a in pair])  # fmt: skip
    chosen = [i for i, (_, x) in enumerate(calls)
              if x.size == weights.size and np.allclose(x, weights, rtol=0, atol=1e-6)]
    assert len(chosen) == 1
    own = calls[chosen[0]][0]
    # this case's chosen fit is not the search's first: the sum up to it is not its count
    assert sum(nit for nit, _ in calls[: chosen[0] + 1]) > own
    assert fitted.n_iter_ == own <= fitted.max_iter
    assert len(fitted.loss_curve_) == own
    assert stop_reason(fitted) == f"L-BFGS converged after {own} iterations (budget 200)"
