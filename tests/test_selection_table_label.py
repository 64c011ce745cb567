"""The candidates table's "within 1 SE" is the set the one-standard-error rule chose among.

Before s41 the label tested only each candidate's gap to the best (``gap_exceeds_se``),
while the rule (``one_standard_error_choice``) also leaves out a candidate clearly behind
one of lower mean, or dominated by one left out, and keeps one behind by less than the fits'
tolerance: the table could call "within 1 SE" a candidate the rule put out, and the reverse.
"""

from fractions import Fraction

import numpy as np

from probnn import defaults
from probnn._selection_scores import _Scores, _summary
from probnn.selection import one_standard_error_choice, within_noise

BEST = ("a", "network")
TIE = ("c", "network")  # behind the best by less than the fits' tolerance
GLM = ("b", "glm")  # within noise: the rule's choice
BEHIND = ("a", "glm")  # inside the best's SE, but clearly behind GLM
DOMINATED = ("d", "glm")  # inside every SE, but behind BEHIND, which is left out, no simpler
OUTPUTS = {BEST: 2, TIE: 2, GLM: 2, BEHIND: 2, DOMINATED: 3}

BASE = np.array([1.0, 1.0, 1.0, 1.0])
GAPS = {BEST: [0.0, 0.0, 0.0, 0.0], TIE: [1e-9] * 4, GLM: [0.4, -0.4, 0.4, -0.3],
        BEHIND: [0.5, -0.3, 0.5, -0.2], DOMINATED: [1.0, -0.6, 1.0, -0.8]}


def _behind(gaps, other) -> bool:
    """By hand, exactly: d = gaps - other is more than one SE above 0 iff sum(d) > 0 and
    sum(d)**2 > sum(d**2) (mean > sd / sqrt(n), squared and multiplied by n**2)."""
    d = [Fraction(a) - Fraction(b) for a, b in zip(gaps, other)]
    return sum(d) > 0 and sum(d) ** 2 > sum(v * v for v in d)


def test_the_hand_worked_case():
    g = {c: [Fraction(str(v)) if v else Fraction(0) for v in gaps] for c, gaps in GAPS.items()}
    g[TIE] = [Fraction(1, 10**9)] * 4
    # each against the best: TIE's constant 1e-9 is beyond its SE (0) but below the tolerance
    assert _behind(g[TIE], g[BEST]) and 1e-9 < defaults.REGRESSOR["tol"]
    for c in (GLM, BEHIND, DOMINATED):  # sums 0.1, 0.5, 0.6; squares 0.57, 0.63, 3.0
        assert not _behind(g[c], g[BEST])
    # BEHIND - GLM = +0.1 on every row: clearly behind a candidate of lower mean, so out
    assert _behind(g[BEHIND], g[GLM])
    # DOMINATED is behind none of lower mean by more than the SE (- BEHIND: sum 0.1,
    # squares 0.95) but BEHIND, left out, is as simple (a GLM, 2 outputs against 3) and
    # has a lower mean (1.125 < 1.15): dominated, so out
    assert not any(_behind(g[DOMINATED], g[c]) for c in (BEST, TIE, GLM, BEHIND))
    assert sum(g[BEHIND]) < sum(g[DOMINATED])


def _rows():
    return {c: BASE + np.array(gaps) for c, gaps in GAPS.items()}


def test_within_noise_is_the_hand_worked_set_and_the_choice_is_its_simplest():
    rows = _rows()
    assert set(within_noise(rows, OUTPUTS)) == {BEST, TIE, GLM}
    assert one_standard_error_choice(rows, OUTPUTS)[:2] == (GLM, BEST)


def test_the_table_labels_the_rules_set_not_the_gap_to_the_best():
    rows = _rows()
    scores = _Scores([(np.arange(0), np.arange(4))])
    for c, r in rows.items():
        scores.rows[c] = {0: r}
        scores.seconds[c] = 1.0
    chosen, best, se = one_standard_error_choice(rows, OUTPUTS)
    table = _summary(scores, chosen, best, se, list(rows), within_noise(rows, OUTPUTS))
    status = {(f, c): s for f, c, s in zip(table["family"], table["capacity"], table["status"])}
    # the gap to the best alone would say: TIE "scored", BEHIND and DOMINATED "within 1 SE"
    assert status == {BEST: "best", GLM: "chosen", TIE: "within 1 SE", BEHIND: "scored",
                      DOMINATED: "scored"}
