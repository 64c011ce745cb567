"""The one-standard-error rule and a family nested in another at its boundary.

On counts with no excess zero a zero-inflated negative binomial GLM is the negative binomial
GLM (its inflation at 0, its weights fixed by the Laplace saturation rule, its evidence's
prior strength the NB's), and its folds' NLL beat the NB's by 5e-5 nats on every row (h3-
warpbreaks, seed 0): a paired SE of 2e-5 made the NB "clearly behind" and the rule passed
over it to the normal GLM (held out 3.84 nats against the NB GLM's 3.64). A gap below the
fits' own tolerance (``tol``, the improvement training counts) is no gap. Worked by hand.
"""

import numpy as np

from probnn import defaults
from probnn.selection import one_standard_error_choice


def test_a_gap_below_the_fits_tolerance_does_not_put_a_family_clearly_behind():
    rng = np.random.default_rng(0)
    inflated = 3.9 + 0.5 * rng.standard_normal(43)
    gap = 0.5 * defaults.REGRESSOR["tol"]  # behind on every row, by less than tol
    rows = {("zero-inflated-negative-binomial", "glm"): inflated,
            ("negative-binomial", "glm"): inflated + gap * (1.0 + 0.1 * rng.random(43)),
            ("normal", "glm"): inflated + 0.01 + 0.3 * rng.standard_normal(43)}
    outputs = {("zero-inflated-negative-binomial", "glm"): 3, ("negative-binomial", "glm"): 2,
               ("normal", "glm"): 2}
    # by hand: the normal is within one SE of the best, and the NB is behind by < tol, so
    # both are within noise; of the two-output GLMs the lower mean NLL, the NB
    d = rows[("normal", "glm")] - inflated
    assert d.mean() <= d.std(ddof=1) / np.sqrt(43)
    assert rows[("negative-binomial", "glm")].mean() < rows[("normal", "glm")].mean()
    chosen, best, _ = one_standard_error_choice(rows, outputs)
    assert best == ("zero-inflated-negative-binomial", "glm")
    assert chosen == ("negative-binomial", "glm")


def test_a_gap_above_the_tolerance_and_its_se_still_counts():
    rng = np.random.default_rng(1)
    inflated = 3.9 + 0.5 * rng.standard_normal(43)
    rows = {("zero-inflated-negative-binomial", "glm"): inflated,
            ("negative-binomial", "glm"): inflated + 0.02 * (1.0 + 0.1 * rng.random(43)),
            ("normal", "glm"): inflated + 0.01 + 0.3 * rng.standard_normal(43)}
    outputs = {("zero-inflated-negative-binomial", "glm"): 3, ("negative-binomial", "glm"): 2,
               ("normal", "glm"): 2}
    # the NB is behind on every row by 0.02 nats (SE ~ 0): clearly behind, not chosen
    assert one_standard_error_choice(rows, outputs)[0] == ("normal", "glm")
