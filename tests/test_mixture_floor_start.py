"""A floored mixture's network starts where its floored components can move (wt-floorstart).

``MixtureNormalFamily.constant_raw`` leaves a component that EM shrank onto a tie at the
floor, ``sigma = min_scale + softplus(s)`` with ``softplus(s)`` ~ 1e-308: ``d sigma / ds =
sigmoid(s)`` is as small, so a network whose output biases start there never moves that
component (Adam's step is ~ g / eps). ``movable_start`` lifts such a raw scale to
``softplus^-1(min_scale)``.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from probnn.estimators import MLPRegressor
from probnn.families.mixture_normal import MixtureNormalFamily

UNIT_FLOOR = 1 / math.sqrt(2 * math.pi)


def _integers_with_a_tie(seed: int = 0, n: int = 31) -> np.ndarray:
    """Whole numbers around 40, two rows tied far out at 93: EM puts a component on the tie,
    shrunk to the floor (as tests/test_tabular_resolution.py's table)."""
    y = np.round(np.random.default_rng(seed).normal(40, 12, n))
    y[:2] = 93
    return y


def _relative_rate(family: MixtureNormalFamily, s: np.ndarray) -> np.ndarray:
    """``d log sigma / ds`` by a central finite difference of ``sigma = min_scale +
    log1p(exp(s))`` (scipy's ``logaddexp``, not probnn's softplus), step 1e-4."""
    def log_sigma(t):
        return np.log(family.min_scale + np.logaddexp(0.0, t))
    return (log_sigma(s + 1e-4) - log_sigma(s - 1e-4)) / 2e-4


def test_the_start_of_a_component_at_the_floor_can_move():
    family = MixtureNormalFamily(3, UNIT_FLOOR)
    constant = family.constant_raw(_integers_with_a_tie())
    s = constant[6:]
    at_floor = np.logaddexp(0.0, s) < 1e-9 * UNIT_FLOOR
    assert at_floor.any()  # the case: EM's component on the tie sits on the floor
    start = family.movable_start(constant)
    rate = _relative_rate(family, start[6:])
    # a free small component's rate -> 1; at sigma = 2 min_scale it is
    # (1 - exp(-m)) / (2 m), 0.41 at m = 0.40 (before: ~1e-307 / m)
    assert np.all(rate[at_floor] > 0.4), rate
    assert np.array_equal(start[:6], constant[:6])  # weights and means as fitted
    free = np.logaddexp(0.0, s) >= UNIT_FLOOR  # sigma >= 2 min_scale already: kept
    assert free.any() and np.array_equal(start[6:][free], s[free])


def test_no_floor_no_change():
    family = MixtureNormalFamily(3, 0.0)
    constant = family.constant_raw(_integers_with_a_tie())
    assert np.array_equal(family.movable_start(constant), constant)


def test_a_short_network_fit_moves_a_component_off_the_floor():
    y = _integers_with_a_tie()
    X = np.random.default_rng(1).normal(size=(y.size, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPRegressor((), family="mixture-normal", max_iter=30, random_state=0,
                             early_stopping=False, family_params={
                                 "n_components": 3, "min_scale": UNIT_FLOOR}).fit(X, y)  # fmt: skip
    scales = np.array([np.asarray(c.scale) for c in model.predict_dist(X).components])
    # before: the component on the tie kept exactly the floor (softplus(s) ~ 1e-307)
    assert np.all(scales / UNIT_FLOOR - 1 > 1e-3), scales.min(axis=1)


def test_an_intercept_only_fit_keeps_the_constants_floored_component():
    # inputs all 0 (TabularModel's constant model): the start is the constant's own fit, kept
    # as it is (a start lifted to 2 min_scale was kept by early stopping on cars' folds,
    # its training NLL 0.01-0.02 nats worse): the component on the tie stays at the floor
    y = _integers_with_a_tie()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPRegressor((), family="mixture-normal", max_iter=30, random_state=0,
                             early_stopping=False, family_params={
                                 "n_components": 3, "min_scale": UNIT_FLOOR}).fit(
            np.zeros((y.size, 1)), y)  # fmt: skip
    scales = np.array([np.asarray(c.scale) for c in model.predict_dist(np.zeros((1, 1))).components])
    assert scales.min() / UNIT_FLOOR - 1 < 1e-9, scales
