"""The compiled mixture-studentt loss against the family's NumPy loss: bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from probnn.network import _fast


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 3, 9])
@pytest.mark.parametrize("df, min_scale", [(0.5, 0.0), (3.0, 0.0), (1e6, 0.0), (3.0, 0.3),
                                           (0.5, 1e-3)])
def test_fused_mixture_studentt_loss_is_the_numpy_loss(dtype, k, df, min_scale):
    # the NumPy loss is the reference: extreme raws (+-1e4), scales on the series side of
    # log sigma, zero residuals (log|mu - y| = -inf), rows whose every density underflows
    # (+inf, equal responsibilities), tied weights; k = 9: NumPy's pairwise row sums; with
    # and without the floor on the scales
    pytest.importorskip("numba")
    from probnn.families import get_family

    rng = np.random.default_rng(5 + k)
    n = 240
    raw = (rng.normal(size=(n, 3 * k)) * 3).astype(dtype)
    raw[:4] = np.array([1e4, -1e4, 30.0, -30.0])[:, None]
    raw[4] = 0.0
    y = rng.normal(size=n) * 2
    s = raw[:, 2 * k:]
    s[10:20] = rng.choice([-19.0, -20.0, -21.0, -60.0, -200.0], size=(10, k))
    y[10:15] = raw[10:15, k]  # zero residuals over tiny scales
    y[15:20] = raw[15:20, k] + 1e-3  # far outside tiny scales
    s[20:30] = -1e4  # tiny scales, far targets: the t's log|r| tail
    y[20:30] = 5e3
    raw[30:40, :k] = raw[30:40, :1]  # tied weights
    y[40:45] = np.inf  # no finite term: +inf, equal shares
    family = get_family("mixture-studentt", n_components=k, df=df, min_scale=min_scale)
    with np.errstate(all="ignore"):
        want_loss, want_grad = family._loss_gradient(raw, y.astype(dtype), True)
    assert np.isinf(want_loss[40:45]).all() and np.isfinite(want_loss[45:]).all()
    fn = _fast.loss_kernel_for(family)
    assert fn is not None
    loss, grad = fn(raw, y.astype(dtype), True)
    assert loss.dtype == dtype and grad.dtype == dtype and grad.shape == raw.shape
    # bit for bit: the same operations, NumPy's exp / log1p / log loops on the same vectors
    np.testing.assert_array_equal(loss, want_loss)
    np.testing.assert_array_equal(grad, want_grad)
    # and the loss is the mixture's density (scipy.stats.t), on the ordinary rows
    stats = pytest.importorskip("scipy.stats")
    from scipy.special import logsumexp, softmax, softplus

    r = raw[45:].astype(np.float64)
    w = softmax(r[:, :k], axis=1)
    logpdf = stats.t.logpdf(y[45:, None], df, loc=r[:, k:2 * k], scale=softplus(r[:, 2 * k:]) + min_scale)
    ref = -logsumexp(logpdf + np.log(w), axis=1)
    tol = 2e-3 if dtype == np.float32 else 1e-9
    ok = np.isfinite(ref)
    np.testing.assert_allclose(loss[45:][ok], ref[ok], rtol=tol, atol=tol)


def test_compiled_engine_trains_the_t_mixture_as_numpy_does(monkeypatch):
    # the compiled loss in training (the compiled epoch's forward and backward around it), a
    # floored family on a heap: the same model as NumPy's, bit for bit (same BLAS), and the
    # kernel did run
    pytest.importorskip("numba")
    from probnn.estimators import MLPRegressor

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    y = np.where(rng.random(300) < 0.5, -2.0, 2.0) + X[:, 0] + rng.standard_t(3, 300) * 0.3
    y[::4] = 1.0  # a heap: a floored family's spike there
    ran = []
    run = _fast._run
    monkeypatch.setattr(_fast, "_run", lambda name, *args: (ran.append(name), run(name, *args)))
    fits = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("PROBNN_ENGINE", engine)
        model = MLPRegressor(family="mixture-studentt", family_params={"min_scale": 0.05},
                             hidden_layer_sizes=(8,), max_iter=5, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[engine] = model.fit(X, y).predict_dist(X).log_prob(y)
        assert ("mixture_studentt" in ran) == (engine == "numba")
    np.testing.assert_array_equal(fits["numba"], fits["numpy"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_mixture_studentt_bit_identical_on_any_raw(dtype):
    # any finite raw outputs and targets within +-1e4, any batch size, component count, df
    # and floor: the compiled loss and gradient equal the family's NumPy ones bit for bit
    pytest.importorskip("numba")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    from probnn.families import get_family

    values = st.floats(-1e4, 1e4, width=32)

    @settings(max_examples=40, deadline=None)
    @given(st.integers(1, 40), st.integers(1, 10), st.sampled_from([0.3, 1.0, 3.0, 30.0]),
           st.sampled_from([0.0, 1e-3, 0.5]), st.data())
    def check(n, k, df, min_scale, data):
        family = get_family("mixture-studentt", n_components=k, df=df, min_scale=min_scale)
        raw = data.draw(arrays(dtype, (n, 3 * k), elements=values))
        y = data.draw(arrays(dtype, n, elements=values))
        with np.errstate(all="ignore"):
            want_loss, want_grad = family._loss_gradient(raw, y, True)
        got_loss, got_grad = _fast.loss_kernel_for(family)(raw, y, True)
        np.testing.assert_array_equal(got_loss, want_loss)
        np.testing.assert_array_equal(got_grad, want_grad)

    check()
