"""The compiled negative binomial loss (network/_kernels_counts) against the family's NumPy
loss: bit for bit; and a fit through it writes the NumPy engine's model file byte for byte."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from probnn.network import _fast


def _numpy_and_compiled(raw, y, name="negative-binomial"):
    from probnn.families import get_family

    family = get_family(name)
    with np.errstate(all="ignore"):
        want = family._loss_gradient(raw, y, True)
    fn = _fast.loss_kernel_for(family)
    assert fn is not None
    with np.errstate(all="ignore"):
        got = fn(raw, y, True)
    return want, got


def _assert_bits_equal(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes()  # bit for bit: -0.0 and NaN payloads included


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, k", [("negative-binomial", 2), ("hurdle-negative-binomial", 3)])
def test_compiled_nb_loss_is_the_numpy_loss_bit_for_bit(dtype, name, k, monkeypatch):
    # any raw outputs within +-1e4 (mean from underflow to overflow, dispersion on either side
    # of the series thresholds alpha = 0.01 and z2 = -20), counts 0..1e9: the compiled loss
    # and gradient are the NumPy ones' bits; batches with a count from the saddle-point
    # threshold (2^20) are handed to the NumPy loss whole; the hurdle's count part likewise
    pytest.importorskip("numba")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    if _fast.special_functions() is None:
        pytest.skip("scipy's C gammaln / digamma differ from its ufuncs here")
    ran = []
    run = _fast._run
    monkeypatch.setattr(_fast, "_run", lambda name, *args: (ran.append(name), run(name, *args)))
    raws = st.floats(-1e4, 1e4, width=32) | st.sampled_from(
        [0.0, -0.0, -20.0, -19.99, -4.6, -4.61, 709.0, 710.0, -745.0, 1e4, -1e4])
    counts = st.integers(0, 10**9) | st.integers(0, 30)

    @settings(max_examples=100, deadline=None)
    @given(st.integers(1, 40), st.data())
    def check(n, data):
        raw = data.draw(arrays(dtype, (n, k), elements=raws))
        y = np.array(data.draw(st.lists(counts, min_size=n, max_size=n)), dtype)
        (want_loss, want_grad), (loss, grad) = _numpy_and_compiled(raw, y, name)
        _assert_bits_equal(loss, want_loss)
        _assert_bits_equal(grad, want_grad)
        # the project's standard for a loss: no NaN, +inf only where it is honest
        assert not np.isnan(loss).any() and not np.isnan(grad).any()

    check()
    assert "negative_binomial" in ran  # the compiled kernel ran, not only the fallback


def test_compiled_nb_loss_is_the_nbinom_log_mass():
    # the oracle: scipy.stats.nbinom(n = 1/alpha, p = 1/(1 + alpha mu)) on ordinary rows
    pytest.importorskip("numba")
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    raw = np.column_stack([rng.uniform(-3, 5, 300), rng.uniform(-8, 4, 300)])
    y = rng.integers(0, 400, 300).astype(np.float64)
    _, (loss, grad) = _numpy_and_compiled(raw, y)
    mu, alpha = np.exp(raw[:, 0]), np.logaddexp(0.0, raw[:, 1])
    ref = -stats.nbinom.logpmf(y, 1 / alpha, 1 / (1 + alpha * mu))
    np.testing.assert_allclose(loss, ref, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grad[:, 0], (mu - y) / (1 + alpha * mu), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["negative-binomial", "hurdle-negative-binomial"])
def test_numba_engine_writes_the_numpy_engines_model_file(name, tmp_path, monkeypatch):
    # a fit on a count table with sample weights through the compiled NB loss writes the
    # NumPy engine's model file byte for byte
    pytest.importorskip("numba")
    from probnn import MLPRegressor
    from probnn.model_file import save_model

    if _fast.special_functions() is None:
        pytest.skip("scipy's C gammaln / digamma differ from its ufuncs here")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    mu = np.exp(0.8 + X[:, 0] - 0.5 * X[:, 1])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(np.float64)
    y[rng.random(150) < 0.2] = 0.0  # excess zeros
    sw = rng.uniform(0.5, 2.0, size=150)
    ran = []
    run = _fast._run
    monkeypatch.setattr(_fast, "_run", lambda name, *args: (ran.append(name), run(name, *args)))
    files = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("PROBNN_ENGINE", engine)
        model = MLPRegressor(family=name, hidden_layer_sizes=(8,), max_iter=8,
                             batch_size=32, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y, sample_weight=sw)
        files[engine] = save_model(model, tmp_path / f"{engine}.probnn").read_bytes()
        assert ("negative_binomial" in ran) == (engine == "numba")
    assert files["numba"] == files["numpy"]
