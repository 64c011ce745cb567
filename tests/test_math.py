"""Stable primitives against scipy.special, and finiteness at extreme raw values."""

import numpy as np
import pytest
from scipy import special

from probnn import _math
from probnn._validation import check_sample_weight, describe_rows, describe_values

RNG = np.random.default_rng(0)
Z = np.concatenate([RNG.normal(scale=30, size=200), [-1e4, -700.0, -50.0, 0.0, 50.0, 700.0, 1e4]])


def test_softplus_matches_logaddexp():
    np.testing.assert_allclose(_math.softplus(Z), np.logaddexp(0, Z), rtol=1e-14, atol=0)


def test_softplus_inverse_roundtrip():
    s = np.exp(RNG.uniform(-20, 5, size=100))
    np.testing.assert_allclose(_math.softplus(_math.softplus_inverse(s)), s, rtol=1e-10)


def test_sigmoid_and_log_sigmoid_match_scipy():
    np.testing.assert_allclose(_math.sigmoid(Z), special.expit(Z), rtol=1e-14)
    np.testing.assert_allclose(_math.log_sigmoid(Z), special.log_expit(Z), rtol=1e-14)
    assert np.all(np.isfinite(_math.log_sigmoid(Z)))


def test_logsumexp_softmax_match_scipy():
    x = RNG.normal(scale=50, size=(20, 7))
    x[0] = [1e4, -1e4, 0, 0, 0, 0, 0]
    np.testing.assert_allclose(_math.logsumexp(x, axis=1), special.logsumexp(x, axis=1), rtol=1e-13)
    np.testing.assert_allclose(_math.softmax(x, axis=1), special.softmax(x, axis=1), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(_math.log_softmax(x, axis=1), special.log_softmax(x, axis=1), rtol=1e-12)


@pytest.mark.parametrize("fn", [_math.softplus, _math.sigmoid, _math.log_sigmoid, _math.softmax])
def test_float32_stays_float32(fn):
    z = np.array([-1e4, 0.0, 1e4], dtype=np.float32)
    out = fn(z)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))


def test_xlogy_uses_zero_log_zero():
    np.testing.assert_array_equal(_math.xlogy([0.0, 0.0, 2.0], [0.0, 3.0, 1.0]), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(_math.xlogy([0.5], [0.25]), special.xlogy(0.5, 0.25))


def test_describe_helpers_name_rows_and_values():
    assert describe_rows([False, True, False, True]) == "rows [1, 3]"
    assert describe_rows(np.arange(15) >= 0, limit=3) == "rows [0, 1, 2] and 12 more"
    assert describe_values([2.0, -1.0, 2.0]) == "-1, 2"


def test_check_sample_weight_rejects_negative_with_rows():
    with pytest.raises(ValueError, match=r"found -1 at row \[2\]"):
        check_sample_weight([1.0, 1.0, -1.0], 3)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        check_sample_weight([1.0, 1.0], 3)
    np.testing.assert_array_equal(check_sample_weight(None, 2), [1.0, 1.0])


def test_log1mexp_matches_400_digit_arithmetic_at_both_ends():
    mpmath = pytest.importorskip("mpmath")
    from probnn._math import log1mexp

    x = np.array([-1e-300, -1e-20, -1e-8, -0.5, -np.log(2.0), -0.7, -1.0, -30.0, -700.0, -1e4])
    with mpmath.workdps(400):  # enough digits for the plain formula at x = -1e-300 and -700
        expected = np.array([float(mpmath.log(1 - mpmath.exp(mpmath.mpf(v)))) for v in x])
    np.testing.assert_allclose(log1mexp(x), expected, rtol=1e-14)
    assert log1mexp(np.array(0.0)) == -np.inf and log1mexp(np.array(-np.inf)) == 0.0
    assert log1mexp(np.float32(-0.1)).dtype == np.float32
