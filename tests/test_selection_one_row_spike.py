"""The one-standard-error rule where one held-out row's NLL dwarfs the others'.

A target with a sentinel value (99999999 among values about 10) gave a Weibull GLM a fold
NLL of about 1e48 on that row; the paired differences ``d`` were then that one row's ``L`` and
O(1) elsewhere, where ``mean(d)`` and ``std(d, ddof=1) / sqrt(n)`` are both ``L / n`` to
float64's precision: whatever the other rows said, a candidate with one such row was never
"clearly behind" and ``probnn fit`` chose it (held out 3.79 nats against the Student-t
network's 1.50, exit 0). ``gap > se`` is, squared and multiplied out, ``sum(d) > 0`` and
``sum(d)**2 > sum(d**2)``: decided in exact rationals where float64 cannot tell.

Oracles: the mean and the sample variance of the differences in exact rationals
(``fractions.Fraction``), compared as ``mean > 0 and mean**2 > variance / n``; hand-worked
cases (behind by 1 nat on every row plus a spike: clearly behind; level on every row but
the spike: the two sides are exactly equal, not clearly behind).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.compare import gap_exceeds_se
from probnn.selection import one_standard_error_choice


def _exact(rows, other) -> bool:
    d = [Fraction(a) - Fraction(b) for a, b in zip(rows, other)]
    n = len(d)
    mean = sum(d) / n
    variance = sum((v - mean) ** 2 for v in d) / (n - 1)
    return mean > 0 and mean * mean > variance / n


def _rows(spike: float, behind: float, n: int = 159, seed: int = 0):
    rng = np.random.default_rng(seed)
    other = 1.5 + 0.3 * rng.standard_normal(n)
    rows = other + behind
    rows[7] += spike
    return rows, other


def test_behind_on_every_row_and_a_spike_is_clearly_behind():
    for spike in (1e3, 1e20, 1e40, 1e300):
        rows, other = _rows(spike, behind=1.0)
        assert _exact(rows, other) and gap_exceeds_se(rows, other)


def test_level_but_for_the_spike_is_not():
    for spike in (1e3, 1e20, 1e300):
        rows, other = _rows(spike, behind=0.0)
        assert not _exact(rows, other) and not gap_exceeds_se(rows, other)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40),
       st.floats(-1e300, 1e300), st.floats(-2.0, 2.0), st.integers(0, 39))  # fmt: skip
def test_agrees_with_exact_arithmetic(noise, spike, behind, where):
    other = np.zeros(len(noise))
    rows = np.asarray(noise) * 1e-6 + behind
    rows[where % len(noise)] += spike
    d = rows - other
    if np.ptp(d) == 0:  # (a zero SE: float and exact alike)
        return
    assert gap_exceeds_se(rows, other) == _exact(rows, other)


def test_the_rule_passes_over_a_constant_with_one_catastrophic_row():
    rows, glm = _rows(1e47, behind=1.0)
    nll = {("studentt", "glm"): glm, ("weibull", "constant"): rows}
    chosen, best, _ = one_standard_error_choice(nll, {("studentt", "glm"): 3,
                                                      ("weibull", "constant"): 2})  # fmt: skip
    assert best == ("studentt", "glm") and chosen == ("studentt", "glm")
