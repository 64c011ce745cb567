"""Optimiser steps against torch.optim and hand-worked cases; learning-rate schedules by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from probnn.network.optimizers import SGD, Adam, AdamW, RMSprop, make_optimizer
from probnn.network.training import learning_rate_at

LR = 0.05
CONFIGS = [
    ("adam", lambda n: Adam(n, np.float64, 0.9, 0.999, 1e-8),
     lambda t, p: t.optim.Adam(p, lr=LR, betas=(0.9, 0.999), eps=1e-8)),
    ("adam-betas", lambda n: Adam(n, np.float64, 0.5, 0.9, 1e-3),
     lambda t, p: t.optim.Adam(p, lr=LR, betas=(0.5, 0.9), eps=1e-3)),
    ("adamw", lambda n: AdamW(n, np.float64, 0.9, 0.999, 1e-8, weight_decay=0.1),
     lambda t, p: t.optim.AdamW(p, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    ("sgd", lambda n: SGD(n, np.float64, 0.0, False),
     lambda t, p: t.optim.SGD(p, lr=LR)),
    ("sgd-momentum", lambda n: SGD(n, np.float64, 0.9, False),
     lambda t, p: t.optim.SGD(p, lr=LR, momentum=0.9)),
    ("sgd-nesterov", lambda n: SGD(n, np.float64, 0.8, True),
     lambda t, p: t.optim.SGD(p, lr=LR, momentum=0.8, nesterov=True)),
    ("rmsprop", lambda n: RMSprop(n, np.float64, 0.9, 1e-8),
     lambda t, p: t.optim.RMSprop(p, lr=LR, alpha=0.9, eps=1e-8)),
]  # fmt: skip


@pytest.mark.parametrize("name,ours,theirs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_steps_match_torch_optim(name, ours, theirs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    p = rng.normal(size=10)
    tp = torch.tensor(p.copy(), requires_grad=True)
    opt_ours, opt_torch = ours(p.size), theirs(torch, [tp])
    for _ in range(4):  # several steps, so the state (moments, velocity) is exercised
        g = rng.normal(size=10)
        opt_ours.step(p, g, LR)
        tp.grad = torch.tensor(g.copy())
        opt_torch.step()
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_adam_first_step_by_hand():
    # after one step m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps)
    p = np.array([1.0, -2.0, 0.5])
    g = np.array([0.3, -4.0, 1e-3])
    Adam(3, np.float64, epsilon=1e-8).step(p, g, 0.1)
    np.testing.assert_allclose(p, [1.0, -2.0, 0.5] - 0.1 * g / (np.abs(g) + 1e-8))


def test_sgd_nesterov_two_steps_by_hand():
    p = np.array([1.0])
    opt = SGD(1, np.float64, momentum=0.5, nesterov=True)
    opt.step(p, np.array([2.0]), 0.1)  # v = 2; p -= 0.1 (2 + 0.5*2) = 0.3
    opt.step(p, np.array([1.0]), 0.1)  # v = 0.5*2 + 1 = 2; p -= 0.1 (1 + 1) = 0.2
    np.testing.assert_allclose(p, [0.5])


def test_float32_state_stays_float32():
    p = np.ones(5, np.float32)
    for solver in ("adam", "adamw", "sgd", "rmsprop", "gd"):
        opt = make_optimizer(solver, 5, np.float32, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                             weight_decay=0.01, momentum=0.9, nesterovs_momentum=True, rho=0.9)
        opt.step(p, np.full(5, 0.1, np.float32), 0.01)
        assert p.dtype == np.float32 and opt._tmp.dtype == np.float32


def test_float32_step_scalars_are_python_floats():
    # a NumPy float64 scalar (np.sqrt of a float, an np.float64 rate) would make the in-place
    # float32 ops compute in float64 and cast back: several times slower per pass
    opt = Adam(5, np.float32)
    opt.step(np.ones(5, np.float32), np.full(5, 0.1, np.float32), np.float64(0.01))
    assert type(opt._factor) is float and type(opt._eps_scaled) is float


@pytest.mark.parametrize("name,ours,theirs", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_float32_steps_match_torch_float32(name, ours, theirs):
    # the float32 path (Python-float scalars, float32 passes) stays within float32 rounding
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    p = rng.normal(size=1000).astype(np.float32)
    tp = torch.tensor(p.copy(), requires_grad=True)
    opt_ours = ours(p.size)
    opt_ours = type(opt_ours)(p.size, np.float32, **{
        k: getattr(opt_ours, k) for k in ("beta_1", "beta_2", "epsilon", "weight_decay",
                                          "momentum", "nesterov", "rho") if hasattr(opt_ours, k)
    })
    opt_torch = theirs(torch, [tp])
    for _ in range(30):
        g = rng.normal(size=1000).astype(np.float32)
        opt_ours.step(p, g, np.float64(LR))
        tp.grad = torch.tensor(g.copy())
        opt_torch.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=2e-5, atol=2e-5)


def test_make_optimizer_rejects_unknown_solvers():
    # the settings themselves are checked by the Trainer's table
    # (test_estimators_parameter_constraints)
    with pytest.raises(ValueError, match="solver must be one of"):
        make_optimizer("newton", 3, np.float64)


def test_schedules_by_hand():
    assert learning_rate_at("constant", 0.1, t=500, epoch=7) == 0.1
    assert learning_rate_at("adaptive", 0.1, t=500, epoch=7) == 0.1
    assert math.isclose(learning_rate_at("invscaling", 0.1, t=99, power_t=0.5), 0.01)
    assert math.isclose(learning_rate_at("invscaling", 0.2, t=7, power_t=1 / 3), 0.1)
    assert math.isclose(learning_rate_at("cosine", 0.1, epoch=0, max_iter=10), 0.1)
    assert math.isclose(learning_rate_at("cosine", 0.1, epoch=5, max_iter=10), 0.05)
    assert math.isclose(learning_rate_at("cosine", 0.1, epoch=10, max_iter=10), 0.0,
                        abs_tol=1e-15)  # fmt: skip
    with pytest.raises(ValueError, match="learning_rate must be one of"):
        learning_rate_at("step", 0.1)


def test_cosine_schedule_matches_torch():
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)
    for epoch in range(12):
        assert math.isclose(
            learning_rate_at("cosine", 0.3, epoch=epoch, max_iter=12),
            opt.param_groups[0]["lr"], rel_tol=1e-9, abs_tol=1e-12,
        )  # fmt: skip
        opt.step()
        sched.step()



FLOAT32_MAKERS = [
    ("adam", lambda n: Adam(n, np.float32, 0.9, 0.999, 1e-8)),
    ("adamw", lambda n: AdamW(n, np.float32, 0.9, 0.999, 1e-8, weight_decay=0.01)),
    ("sgd-momentum", lambda n: SGD(n, np.float32, 0.9, False)),
    ("sgd-nesterov", lambda n: SGD(n, np.float32, 0.9, True)),
    ("rmsprop", lambda n: RMSprop(n, np.float32, 0.9, 1e-8)),
]  # fmt: skip


@pytest.mark.parametrize("name,make", FLOAT32_MAKERS, ids=[c[0] for c in FLOAT32_MAKERS])
def test_flushing_tiny_state_changes_no_weight_and_leaves_no_subnormal(name, make):
    # A rarely lit input: most entries get a gradient at the first step only, so their
    # state decays geometrically into the subnormal floats, where x86 arithmetic is slow.
    n, steps = 4096, 1500
    rng = np.random.default_rng(0)
    lit = rng.random(n) < 0.02
    grads = [rng.normal(size=n).astype(np.float32)]
    for _ in range(steps - 1):
        g = np.where(lit, rng.normal(size=n), 0.0).astype(np.float32)
        grads.append(g)
    start = rng.normal(scale=0.05, size=n).astype(np.float32)
    params, reference = start.copy(), start.copy()
    flushed, plain = make(n), make(n)
    plain.FLUSH_EVERY = 0  # the reference: no flush at all
    for g in grads:
        flushed.step(params, g, 1e-3)
        plain.step(reference, g, 1e-3)
    tiny = np.finfo(np.float32).tiny

    def subnormal(opt):
        return sum(int(np.count_nonzero((getattr(opt, s) != 0) & (np.abs(getattr(opt, s)) < tiny)))
                   for s in opt._state_names if getattr(opt, s) is not None)

    assert subnormal(plain) > 0, "the case must produce subnormal state to test anything"
    assert subnormal(flushed) == 0
    np.testing.assert_array_equal(params, reference)


def test_subnormal_weights_are_flushed_to_zero_and_normal_ones_kept():
    # A Gaussian prior's gradient alone (a unit that never fires): once Adam's epsilon
    # dominates, the weight decays by a factor each step, and in subnormal float32 the decay
    # stalls (10 * 2**-149 * 0.955 rounds back to 10 * 2**-149), so without the flush the
    # weight stays subnormal for good and slows every product that reads it
    tiny = np.finfo(np.float32).tiny
    p = np.array([0.5, 1e-3, 20 * tiny, 10 * 2.0**-149, -(2.0**-149)], dtype=np.float32)
    opt = Adam(p.size, np.float32)
    for _ in range(Adam.FLUSH_EVERY):
        opt.step(p, np.float32(1.5e-7) * p, 0.003)
    assert np.all((p == 0) | (np.abs(p) >= tiny)), p  # nothing subnormal is left
    assert p[0] > 0.3 and p[1] != 0  # normal weights move by the update only
    # with the flush off, the subnormal weight is still there after the same steps
    q = np.array([10 * 2.0**-149], dtype=np.float32)
    opt_off = Adam(1, np.float32)
    opt_off.FLUSH_EVERY = 0
    for _ in range(200):
        opt_off.step(q, np.float32(1.5e-7) * q, 0.003)
    assert 0 < abs(float(q[0])) < tiny
