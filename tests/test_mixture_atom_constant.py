"""The mixture-normal's constant model on a target with an atom (a third of its values at
0.99, as R's ReadingSkills' accuracy): one component shrinks onto the atom, whose NLL has no
floor, and the L-BFGS polish used to run off along that direction, dragging the other
components' raw outputs to 1e12-1e24 (``constant_raw``), so ``check_resolution`` refused the
fit ("one float32 step moves the predicted mean by 1.41e+14") or a network started there.

Oracles: scipy's Normal log-densities of the components with weight above 0 (their
mixture's NLL by ``scipy.special.logsumexp``), the targets' range (every mean of a stationary
point is a responsibility-weighted average of the targets).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from probnn.estimators._target import check_resolution
from probnn.families import get_family


def _atom_target(seed: int, n: int = 34, atom: int = 10) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.r_[np.round(rng.uniform(0.45, 0.99, n - atom), 5), np.full(atom, 0.99)]


# seeds whose polish ran off on the old code (raw outputs 1e12 to 1e24)
@pytest.mark.parametrize("seed", [2, 15, 18, 47, 51])
def test_the_constant_mixture_on_an_atom_stays_in_the_targets_range(seed):
    family = get_family("mixture-normal")
    y = _atom_target(seed)
    w = np.ones(y.size)
    raw = family.constant_raw(y, w)
    k = family.n_components
    log_w, loc = raw[:k], raw[k : 2 * k]
    scale = np.logaddexp(0.0, raw[2 * k :])  # softplus, by numpy
    assert np.all(np.isfinite(raw))
    assert np.all((loc >= y.min()) & (loc <= y.max()))
    # its NLL at those raw outputs: scipy's mixture of the components of non-zero weight
    live = np.exp(log_w) > 0
    terms = log_w[live] + stats.norm.logpdf(y[:, None], loc[live], scale[live])
    expected = -special.logsumexp(terms, axis=1)
    found = family.nll(np.broadcast_to(raw, (y.size, 3 * k)), y)
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9)
    # and float32 training resolves it: the check returns the constant model it fitted
    constant = check_resolution(y, w, family, np.float32)
    np.testing.assert_array_equal(constant, raw)
