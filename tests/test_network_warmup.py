"""The "plateau" schedule's warm-up (MLPRegressor's default): the rate rises linearly over the
first ``defaults.PLATEAU_WARMUP_STEPS`` optimiser steps, one factor per epoch.

The oracle is the "constant" schedule, which trains at the rate it is given: an epoch of
"plateau" at rate r must be, weight for weight, the same epoch of "constant" at r times the
hand-worked factor (steps taken by the epoch's end / the warm-up's steps).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from probnn import defaults
from probnn.families import get_family
from probnn.network import _fast
from probnn.network.mlp import MLP
from probnn.network.schedules import warming_up, warmup_factor
from probnn.network.training import Trainer

ENGINES = ["numpy", pytest.param("numba", marks=pytest.mark.skipif(
    not _fast.numba_available(), reason="needs numba"))]  # fmt: skip


def test_the_factor_by_hand(monkeypatch):
    monkeypatch.setattr(defaults, "PLATEAU_WARMUP_STEPS", 1000)
    assert warmup_factor("plateau", 0, 50, 20) == 50 / 1000
    assert warmup_factor("plateau", 500, 50, 20) == 550 / 1000
    assert warmup_factor("plateau", 980, 50, 20) == 1.0  # the last epoch reaches the full rate
    assert warmup_factor("plateau", 10**6, 7, 143) == 1.0
    # at most one patience or a tenth of the budget: 2 epochs of 50 steps warm up over 100
    # steps, not 1,000
    assert warmup_factor("plateau", 0, 50, 2) == 50 / 100
    assert warmup_factor("plateau", 50, 50, 2) == 1.0
    for schedule in ("constant", "adaptive", "invscaling", "cosine"):
        assert warmup_factor(schedule, 0, 50, 20) == 1.0  # only "plateau" warms up
    monkeypatch.setattr(defaults, "PLATEAU_WARMUP_STEPS", 0)
    assert warmup_factor("plateau", 0, 50, 20) == 1.0  # no warm-up
    assert warming_up(0.5) and not warming_up(1.0)
    monkeypatch.setattr(defaults, "PLATEAU_WAIT_AFTER_WARMUP", False)
    assert not warming_up(0.5)


class _Stop(Exception):
    pass


def _fit(engine, schedule, rate, epochs=1):
    """``epochs`` epochs of a fit whose budget is 1,000 epochs (a tenth of the budget, 100
    epochs, and the patience do not shorten the warm-up)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.standard_normal(80)).astype(np.float32)
    family = get_family("normal")
    net = MLP([5, 9, 8, family.n_outputs(y)], "relu", random_state=0)
    t = Trainer(net, family, learning_rate=schedule, learning_rate_init=rate, batch_size=16,
                max_iter=1000, tol=0, n_iter_no_change=10**6, random_state=0,
                ema_decay=0.9)  # fmt: skip
    t.engine = engine

    def stop(epoch, loss, score):
        if epoch == epochs:
            raise _Stop

    with pytest.raises(_Stop):
        t.run([(X, family.check_target(y), None)], None, on_epoch=stop)
    return t


@pytest.mark.parametrize("engine", ENGINES)
def test_a_warming_epoch_trains_at_its_share_of_the_rate(engine, monkeypatch):
    monkeypatch.setattr(defaults, "PLATEAU_WARMUP_STEPS", 100)
    got = _fit(engine, "plateau", 0.01)
    assert got._optimizer.t == 5  # 80 rows in batches of 16: 5 steps
    want = _fit(engine, "constant", 0.01 * 5 / 100)  # the factor by hand: 5 steps of 100
    np.testing.assert_array_equal(got.network.params, want.network.params)
    # and not the full rate (the schedule before the warm-up)
    full = _fit(engine, "constant", 0.01)
    assert not np.allclose(got.network.params, full.network.params)


@pytest.mark.parametrize("engine", ENGINES)
def test_past_the_warm_up_the_full_rate(engine, monkeypatch):
    monkeypatch.setattr(defaults, "PLATEAU_WARMUP_STEPS", 5)  # over by the first epoch's end
    got = _fit(engine, "plateau", 0.01, epochs=3)
    want = _fit(engine, "constant", 0.01, epochs=3)
    np.testing.assert_array_equal(got.network.params, want.network.params)
    monkeypatch.setattr(defaults, "PLATEAU_WARMUP_STEPS", 0)  # no warm-up at all
    np.testing.assert_array_equal(_fit(engine, "plateau", 0.01, 3).network.params,
                                  want.network.params)  # fmt: skip


def test_warming_epochs_are_not_waited_out():
    from probnn.network.stopping import DROP, IMPROVED, STOP, WAIT, PlateauRule

    rule = PlateauRule(patience=2, tol=0.0, drops=1)
    # by hand: 1.0 improves; 5 warming epochs without improvement wait but are not counted;
    # 0.5 (warming) still improves; then the full rate's 2 epochs of patience, the plateau
    # (a drop), 2 more and the stop
    assert rule.update(1.0, warming=True) == IMPROVED
    assert [rule.update(2.0, warming=True) for _ in range(5)] == [WAIT] * 5
    assert rule.waited == 0
    assert rule.update(0.5, warming=True) == IMPROVED and rule.best == 0.5
    assert [rule.update(2.0) for _ in range(3)] == [WAIT, WAIT, DROP]
    assert [rule.update(2.0) for _ in range(3)] == [WAIT, WAIT, STOP]


@pytest.mark.parametrize("wait", [True, False])
def test_the_first_plateau_waits_for_the_full_rate(wait, monkeypatch):
    # a rate so small that no epoch improves by tol: the warm-up is min(20 steps, a patience
    # of 4 epochs of 5 steps) = 20 steps, epochs 1-3 (steps 5, 10, 15) below the full rate
    monkeypatch.setattr(defaults, "PLATEAU_WARMUP_STEPS", 20)
    monkeypatch.setattr(defaults, "PLATEAU_WAIT_AFTER_WARMUP", wait)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5)).astype(np.float32)
    y = X[:, 0].astype(np.float32)
    family = get_family("normal")
    t = Trainer(MLP([5, 4, 2], "relu", random_state=0), family, learning_rate="plateau",
                learning_rate_init=1e-12, batch_size=16, max_iter=40, tol=1.0,
                n_iter_no_change=4, random_state=0)  # fmt: skip
    t.engine = "numpy"

    def stop(epoch, loss, score):  # a budget of 40 epochs (its tenth is the patience); the
        if epoch == 12:  # rule decides after epochs 1-11 (this call comes before its decision)
            raise _Stop

    with pytest.raises(_Stop):
        t.run([(X, family.check_target(y), None)], None, on_epoch=stop)
    # by hand, epochs 1-11: the first improves on the starting loss (inf), no later one by
    # tol. Not waiting: epochs 2-6 make the first plateau (a drop at 6), 7-11 the second (a
    # drop at 11): 2. Waiting: epochs 2 and 3 are not counted; 4-8 make the first plateau (a
    # drop at 8), and 9-11 are not yet the second: 1
    assert t._n_drops == (1 if wait else 2)
