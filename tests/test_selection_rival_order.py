"""The one-SE rule's order between candidates of one capacity: nested families, rival laws.

h7-olive-eicosenoic (``bench/studies/olive_miss.md``, ``onese_order.md``): the rule took a
2-output normal GLM within one SE over the CV-better 9-output mixture-Student-t GLM, because
it ordered same-capacity families by their raw outputs. The one-SE rule guards a nested path
(a normal within the mixture of normals; a count law within its zero-inflated form) against
selection noise; between rival laws, neither a special case of the other, it now goes by the
CV mean (a tie within the fits' tolerance by the fewer raw outputs). The nesting is the
registry's (``Family.nests``), checked here against each family's own likelihood: the larger
family, given the smaller's raw outputs mapped in, scores every row as the smaller does.
Every expected choice is worked by hand below.
"""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn import defaults
from probnn._math import softplus_inverse
from probnn.families import FAMILIES, get_family
from probnn.selection import nested_families, one_standard_error_choice, within_noise

NORMAL, BETA, MST = ("normal", "glm"), ("beta", "glm"), ("mixture-studentt", "glm")
MIXN = ("mixture-normal", "glm")
OUTPUTS = {NORMAL: 2, BETA: 2, MST: 9, MIXN: 9, ("normal", "network"): 2}
BASE = np.array([-2.0, -2.5, -1.5, -2.0])


def _se_exceeded(d) -> bool:
    """By hand, exactly: mean(d) > sd(d, ddof=1) / sqrt(n) iff sum(d) > 0 and
    sum(d)**2 * (n - 1) > n * sum(d**2) - sum(d)**2 (all in rationals)."""
    d = [Fraction(str(v)) for v in d]
    n, s, q = len(d), sum(d), sum(v * v for v in d)
    return s > 0 and s * s * (n - 1) > n * q - s * s


def test_a_rival_law_with_the_lower_cv_mean_is_chosen_over_fewer_outputs():
    # olive seed 2 in miniature: the mixture-Student-t GLM best; the normal GLM 0.025 behind
    # (gaps 0.2, -0.15, 0.2, -0.15: sum 0.1, within one SE by hand); the beta GLM behind
    # the normal. Rivals of one capacity: the lowest mean, the mixture, not the 2 outputs
    gaps = {NORMAL: [0.2, -0.15, 0.2, -0.15], BETA: [0.4, -0.3, 0.3, -0.2]}
    assert not any(_se_exceeded(g) for g in gaps.values())
    assert not _se_exceeded(np.subtract(gaps[BETA], gaps[NORMAL]))  # (sum 0.1, in noise)
    rows = {NORMAL: BASE + gaps[NORMAL], BETA: BASE + gaps[BETA], MST: BASE}
    assert set(within_noise(rows, OUTPUTS)) == {NORMAL, BETA, MST}
    chosen, best, _ = one_standard_error_choice(rows, OUTPUTS)
    assert best == MST and chosen == MST


def test_a_nested_family_within_noise_is_still_preferred():
    # the mixture of normals nests the normal (one component's law): the normal GLM within
    # noise of it is chosen, as before; the mixture-Student-t GLM, a rival of both but
    # behind the normal on the mean, is not
    rows = {MIXN: BASE, NORMAL: BASE + [0.2, -0.15, 0.2, -0.15],
            MST: BASE + [0.3, -0.1, 0.3, -0.1]}  # fmt: skip
    assert one_standard_error_choice(rows, OUTPUTS)[0] == NORMAL
    # without the nesting (rivals all), the mixture's lower mean wins
    assert one_standard_error_choice(rows, OUTPUTS, nests={})[0] == MIXN


def test_nesting_is_closed_transitively():
    # the zero-inflated NB nests the NB, which nests the Poisson: the Poisson GLM within
    # noise of both is chosen, and the rival normal GLM (lower mean than the Poisson) is not
    zinb, nb, poisson = (("zero-inflated-negative-binomial", "glm"),
                         ("negative-binomial", "glm"), ("poisson", "glm"))  # fmt: skip
    rows = {zinb: BASE, nb: BASE + [0.1, -0.05, 0.1, -0.05],
            poisson: BASE + [0.2, -0.15, 0.2, -0.15], NORMAL: BASE + [0.2, -0.17, 0.2, -0.15]}
    outputs = {zinb: 3, nb: 2, poisson: 1, NORMAL: 2}
    assert set(within_noise(rows, outputs)) == set(rows)
    # the set's simplest: the Poisson (nested in both count laws) and the normal (a rival):
    # the normal's mean is 0.005 lower, beyond the tolerance
    assert one_standard_error_choice(rows, outputs)[0] == NORMAL
    rows[NORMAL] = BASE + [0.3, -0.15, 0.2, -0.15]  # now 0.025 above the Poisson
    assert one_standard_error_choice(rows, outputs)[0] == poisson


def test_rivals_tied_within_the_fits_tolerance_go_by_fewer_outputs():
    tol = defaults.REGRESSOR["tol"]
    rows = {MST: BASE, NORMAL: BASE + 0.5 * tol}  # behind on every row, by half the tolerance
    assert set(within_noise(rows, OUTPUTS)) == {MST, NORMAL}
    assert one_standard_error_choice(rows, OUTPUTS)[0] == NORMAL
    rows[NORMAL] = BASE + 2.0 * tol + np.array([0.2, -0.2, 0.2, -0.2])  # past it, in noise
    assert one_standard_error_choice(rows, OUTPUTS)[0] == MST


def test_a_steadier_rival_left_out_dominates_a_noisy_one():
    # the normal network best; the mixture-Student-t GLM 0.10 behind on every row +-0.05
    # (SE 0.029: out); the normal GLM 0.20 behind, +-0.8 (SE 0.46: alone, within noise).
    # The mixture is a rival of the normal GLM (as simple now, whatever its outputs) with a
    # lower mean, and left out: the normal GLM is dominated, and the network is chosen
    net = ("normal", "network")
    rows = {net: BASE, MST: BASE + [0.05, 0.15, 0.05, 0.15],
            NORMAL: BASE + [1.0, -0.6, 1.0, -0.6]}  # fmt: skip
    assert _se_exceeded([0.05, 0.15, 0.05, 0.15])
    assert not _se_exceeded([1.0, -0.6, 1.0, -0.6])
    assert not _se_exceeded([0.95, -0.75, 0.95, -0.75])
    assert within_noise(rows, OUTPUTS) == [net]
    assert one_standard_error_choice(rows, OUTPUTS)[0] == net


def test_the_registrys_nesting():
    nests = nested_families()
    assert set(nests) == set(FAMILIES)
    for name, inner in nests.items():
        assert name not in inner and inner <= set(FAMILIES)
    assert nests["zero-inflated-negative-binomial"] == {"negative-binomial", "poisson",
                                                         "zero-inflated-poisson"}
    assert nests["mixture-normal"] == {"normal", "normal-fixed"}
    assert nests["mixture-studentt"] == {"studentt"}  # df fixed: never the normal
    for rival in ("studentt", "laplace", "beta", "gamma", "ordinal", "categorical",
                  "hurdle-poisson", "poisson", "bernoulli"):  # fmt: skip
        assert not nests[rival] - {"normal-fixed"} or rival == "studentt"
    assert not nests["hurdle-poisson"] and not nests["categorical"]


# each declared pair (smaller, larger): the larger's raw outputs from the smaller's, exact or
# at a limit (a log-weight or a dispersion's softplus^-1 at -40: e^-40 ~ 4e-18)
FAR = -40.0
EMBED = {
    ("normal-fixed", "normal"): lambda z: np.column_stack(
        [z, np.full(len(z), float(softplus_inverse(np.float64(1.0))))]),
    ("normal", "mixture-normal"): lambda z: np.column_stack(
        [np.zeros((len(z), 3)), np.repeat(z[:, :1], 3, 1), np.repeat(z[:, 1:], 3, 1)]),
    ("studentt", "mixture-studentt"): lambda z: np.column_stack(
        [np.zeros((len(z), 3)), np.repeat(z[:, :1], 3, 1), np.repeat(z[:, 1:], 3, 1)]),
    ("poisson", "negative-binomial"): lambda z: np.column_stack([z, np.full(len(z), FAR)]),
    ("poisson", "zero-inflated-poisson"): lambda z: np.column_stack([z, np.full(len(z), FAR)]),
    # (the excess-zero families: the count law's columns, then the zero logit)
    ("negative-binomial", "zero-inflated-negative-binomial"): lambda z: np.column_stack(
        [z, np.full(len(z), FAR)]),
    ("zero-inflated-poisson", "zero-inflated-negative-binomial"): lambda z: np.column_stack(
        [z[:, :1], np.full(len(z), FAR), z[:, 1:]]),
    ("hurdle-poisson", "hurdle-negative-binomial"): lambda z: np.column_stack(
        [z[:, :1], np.full(len(z), FAR), z[:, 1:]]),
}


def test_every_declared_nesting_is_embedded():
    declared = {(small, name) for name, f in FAMILIES.items() for small in f.nests}
    assert declared == set(EMBED)


@pytest.mark.parametrize("pair", sorted(EMBED))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_the_larger_family_scores_the_smallers_law(pair, data):
    small, large = (get_family(p) for p in pair)
    count = "count" in small.target_kinds and "real" not in small.target_kinds
    n = 6
    width = small._n_outputs_for(np.zeros(n))
    z = np.array(data.draw(st.lists(st.floats(-2.0, 2.0), min_size=n * width,
                                    max_size=n * width))).reshape(n, width)  # fmt: skip
    y = np.array(data.draw(st.lists(st.integers(0, 12) if count else st.floats(-3.0, 3.0),
                                    min_size=n, max_size=n)), dtype=np.float64)  # fmt: skip
    if small.name == "normal-fixed":  # (scale 1: the normal's softplus(z2) = 1 above)
        small = get_family("normal-fixed", scale=1.0)
    np.testing.assert_allclose(large.nll(EMBED[pair](z), y), small.nll(z, y),
                               rtol=1e-9, atol=1e-9)  # fmt: skip
