"""The report's label of the best constant model says how it was fitted: "maximum likelihood
on the training targets" where it is the MLE, the Krichevsky-Trofimov rule where that is what
scores (a hurdle's P(0) on training targets with no zero or only zeros, a class model with a
class no training row holds), not the MLE's words for both.

Oracles: which rule applies, by the targets as written (a zero among them or not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from probnn.families import get_family
from probnn.report.card import MAXIMUM_LIKELIHOOD, constant_rule
from probnn.report.model_card import baseline_table, constant_model
from probnn.tables.model import TabularModel

POSITIVE = np.array([1.0, 2.0, 3.0, 5.0, 1.0, 2.0, 4.0])


@pytest.mark.parametrize("name", ["hurdle-poisson", "hurdle-negative-binomial"])
def test_a_hurdle_without_zeros_is_labelled_krichevsky_trofimov(name):
    said = constant_rule(get_family(name), POSITIVE)
    assert "Krichevsky-Trofimov" in said and "(1/2) / (n + 1): no training target is 0" in said
    said = constant_rule(get_family(name), np.zeros(7))
    assert "(n + 1/2) / (n + 1): every training target is 0" in said


@pytest.mark.parametrize("name, y", [("hurdle-poisson", np.array([0.0, 1, 2, 0, 3])),
                                     ("zero-inflated-poisson", POSITIVE),
                                     ("normal", np.array([0.5, 1.5, 2.0])),
                                     ("poisson", POSITIVE)])  # fmt: skip
def test_a_maximum_likelihood_constant_keeps_its_label(name, y):
    assert constant_rule(get_family(name), y) == MAXIMUM_LIKELIHOOD


def test_a_class_model_with_pseudo_rows_is_labelled_so():
    said = constant_rule(get_family("categorical"), np.array([0, 1, 1, 2]), np.ones(4))
    assert "half a pseudo-count of every class" in said
    assert constant_rule(get_family("categorical"), np.array([0, 1, 1, 2])) == MAXIMUM_LIKELIHOOD


def test_the_report_table_label_of_a_hurdle_fitted_on_positive_counts():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=30), "y": rng.poisson(4.0, size=30) + 1.0})
    train, held_out = frame.iloc[:20], frame.iloc[20:]
    model = TabularModel.fit(train, "y", family="hurdle-poisson", hidden=(), solver="lbfgs",
                             constant=True, seed=0)  # fmt: skip
    constant = constant_model(model, train, held_out)
    label = baseline_table(model, constant, 10, {"nll_nats": 2.0}, train).rows[0][0]
    assert label.startswith("best constant model (ignores the features; maximum likelihood on "
                            "the training targets, but P(0) by the Krichevsky-Trofimov rule")
    plain = baseline_table(model, constant, 10, {"nll_nats": 2.0}).rows[0][0]
    assert plain.startswith(f"best constant model (ignores the features; {MAXIMUM_LIKELIHOOD}):")
