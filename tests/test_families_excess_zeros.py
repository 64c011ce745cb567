"""The zero-inflated families evaluate their count law at 0 on the rows that hold a zero only.

Oracle: the families' mixing (``ExcessZerosFamily._mix``) fed the count law's NLL and
gradient at 0 on every row, as the kernel computed them before (two full evaluations of the
count law); the results must be the same to the bit on every row, zero or not.
"""

from __future__ import annotations

import numpy as np
import pytest

from probnn.families import get_family

ZERO_INFLATED = ["zero-inflated-poisson", "zero-inflated-negative-binomial"]


def _every_row(family, raw, y, need_gradient):
    """The kernel as it was: the count law at y and at 0 on every row, then the mixing."""
    count = family._count
    zc = raw[:, :-1]
    loss_y, grad_y = count._loss_gradient(zc, y, need_gradient)
    loss_0, grad_0 = count._loss_gradient(zc, np.zeros_like(y), need_gradient)
    return family._mix(raw, y == 0, loss_y, grad_y, loss_0, grad_0, need_gradient)


def _cases(family, dtype, seed):
    rng = np.random.default_rng(seed)
    n = 257
    k = family._n_outputs_for(np.zeros(1))
    raw = rng.normal(0.0, 2.0, size=(n, k)).astype(dtype)
    counts = rng.poisson(3.0, size=n).astype(np.float64)
    counts[rng.random(n) < 0.3] = 0.0
    yield raw, counts  # some zeros
    yield raw, counts + 1.0  # none
    yield raw, np.zeros(n)  # all
    # a constant model's objective: one row of raw outputs broadcast over the targets
    yield np.broadcast_to(raw[0], raw.shape), counts


@pytest.mark.parametrize("name", ZERO_INFLATED)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need_gradient", [True, False])
def test_zero_rows_only_gives_every_rows_numbers(name, dtype, need_gradient):
    family = get_family(name)
    for raw, y in _cases(family, dtype, seed=3):
        loss, grad = family._loss_gradient(raw, y, need_gradient)
        want_loss, want_grad = _every_row(family, raw, y, need_gradient)
        assert loss.dtype == want_loss.dtype
        np.testing.assert_array_equal(loss, want_loss)
        if need_gradient:
            assert grad.dtype == want_grad.dtype
            np.testing.assert_array_equal(grad, want_grad)
        else:
            assert grad is None


@pytest.mark.parametrize("name", ZERO_INFLATED)
def test_a_target_without_zeros_evaluates_the_count_law_once(name, monkeypatch):
    family = get_family(name)
    count = type(family._count)
    calls = []
    original = count._loss_gradient

    def counted(self, raw, y, need_gradient):
        calls.append(raw.shape[0])
        return original(self, raw, y, need_gradient)

    monkeypatch.setattr(count, "_loss_gradient", counted)
    raw, y = next(_cases(family, np.float64, seed=4))
    family._loss_gradient(raw, y + 1.0, True)
    assert calls == [raw.shape[0]]
    calls.clear()
    family._loss_gradient(raw, y, True)
    assert calls == [raw.shape[0], int(np.sum(y == 0))]
