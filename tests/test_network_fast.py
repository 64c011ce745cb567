"""The compiled (numba) optimiser steps against the NumPy reference: bit-identical weights."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from probnn.network import _fast
from probnn.network.optimizers import SGD, Adam, AdamW, RMSprop

MAKERS = [
    ("adam", lambda n, dt: Adam(n, dt, 0.9, 0.999, 1e-8)),
    ("adam-betas", lambda n, dt: Adam(n, dt, 0.5, 0.9, 1e-3)),
    ("adamw", lambda n, dt: AdamW(n, dt, 0.9, 0.999, 1e-8, weight_decay=0.01)),
    ("sgd", lambda n, dt: SGD(n, dt, 0.0, False)),
    ("sgd-momentum", lambda n, dt: SGD(n, dt, 0.9, False)),
    ("sgd-nesterov", lambda n, dt: SGD(n, dt, 0.9, True)),
    ("rmsprop", lambda n, dt: RMSprop(n, dt, 0.9, 1e-8)),
]  # fmt: skip


def test_import_probnn_does_not_import_numba():
    code = ("import sys, probnn, probnn.network.training, probnn.estimators; "
            "assert 'numba' not in sys.modules, 'numba imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_engine_choice():
    assert _fast.engine_choice("NumPy") == "numpy"
    with pytest.raises(ValueError, match="engine must be"):
        _fast.engine_choice("fortran")
    opt = Adam(10, np.float32)
    assert not _fast.enable_for(opt, 10**12, "numpy")
    assert not _fast.enable_for(opt, 1, "auto")  # far too small to pay for compiling
    assert opt._kernels is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,make", MAKERS, ids=[m[0] for m in MAKERS])
def test_fused_steps_bit_identical_to_numpy(name, make, dtype):
    pytest.importorskip("numba")
    # a rarely lit input, so the state decays towards the subnormals and gets flushed
    n, steps = 3001, 300
    rng = np.random.default_rng(1)
    lit = rng.random(n) < 0.1
    start = rng.normal(scale=0.05, size=n).astype(dtype)
    p_np, p_nb = start.copy(), start.copy()
    o_np, o_nb = make(n, dtype), make(n, dtype)
    assert _fast.enable_for(o_nb, 1, "numba")
    for t in range(steps):
        g = rng.normal(size=n)
        if t:
            g = np.where(lit, g, 0.0)
        g = g.astype(dtype)
        lr = 1e-3 * (1 + t % 3)  # a changing rate, as under invscaling
        o_np.step(p_np, g, lr)
        o_nb.step(p_nb, g, lr)
    np.testing.assert_array_equal(p_nb, p_np)
    for s in o_np._state_names:
        if getattr(o_np, s) is not None:
            np.testing.assert_array_equal(getattr(o_nb, s), getattr(o_np, s))


def _fit_classifier(monkeypatch, engine, **kw):
    import warnings

    from probnn.estimators import MLPClassifier

    rng = np.random.default_rng(0)
    X = (rng.random((300, 20)) < 0.2).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0)
    monkeypatch.setenv("PROBNN_ENGINE", engine)
    m = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=5, batch_size=32, dtype="float32",
                      random_state=0, tol=0, n_iter_no_change=10**9, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.fit(X, y)
    assert (m._trainer._optimizer._kernels is not None) == (engine == "numba")
    return m


@pytest.mark.parametrize("ema_decay", [None, 0.9])
def test_training_with_compiled_optimiser_alone_bit_identical(monkeypatch, ema_decay):
    # the optimiser kernels alone (no fused relu layers, no fused loss) change no bit, nor
    # does the compiled moving average of the weights
    pytest.importorskip("numba")
    from probnn.network.mlp import MLP

    monkeypatch.setattr(_fast, "loss_kernel_for", lambda family: None)
    monkeypatch.setattr(MLP, "use_fused", lambda self, kernels: None)
    ref = _fit_classifier(monkeypatch, "numpy", ema_decay=ema_decay)
    got = _fit_classifier(monkeypatch, "numba", ema_decay=ema_decay)
    assert got.ema_decay_ == ema_decay
    for a, b in zip(ref.coefs_ + ref.intercepts_, got.coefs_ + got.intercepts_):
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_training_with_whole_compiled_path_agrees_with_numpy(monkeypatch, dropout):
    # fused relu layers change roundings only (bias gradients summed in float64): after 5
    # epochs the weights agree to ~float32 precision
    pytest.importorskip("numba")
    ref = _fit_classifier(monkeypatch, "numpy", dropout=dropout)
    got = _fit_classifier(monkeypatch, "numba", dropout=dropout)
    assert got._trainer.network._fused is not None
    assert got._trainer._fused_loss is not None
    for a, b in zip(ref.coefs_ + ref.intercepts_, got.coefs_ + got.intercepts_):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_average_kernel_bit_identical_to_numpy(dtype):
    pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    a = rng.normal(size=5000).astype(dtype)
    p = rng.normal(size=5000).astype(dtype)
    p[:4] = [0.0, -0.0, 1e-30, -1e30]
    c = dtype(1.0 - 0.995)
    expected = a.copy()
    tmp = np.subtract(p, expected)
    tmp *= c
    expected += tmp
    _fast.kernels()["average"](a, p, c)
    np.testing.assert_array_equal(a, expected)


# ----------------------------------------------------------- relu layer kernels
def _special_values(rng, shape, dtype):
    a = rng.normal(size=shape).astype(dtype)
    flat = a.reshape(-1)
    flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45]
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_bit_identical_to_numpy(dtype):
    pytest.importorskip("numba")
    rng = np.random.default_rng(2)
    z = _special_values(rng, (37, 19), dtype)
    b = rng.normal(size=19).astype(dtype)
    b[0] = 0.0
    want = np.maximum(z + b, 0)
    got = z.copy()
    _fast.kernels()["bias_relu"](got, b)
    np.testing.assert_array_equal(got, want)  # NaN where NumPy has NaN
    assert np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_mask_and_bias_gradient(dtype):
    pytest.importorskip("numba")
    import math

    rng = np.random.default_rng(3)
    n, h = 300, 23
    d = rng.normal(size=(n, h)).astype(dtype)
    a = np.maximum(_special_values(rng, (n, h), dtype), 0)
    a[np.isnan(a)] = 1.0  # activations are never NaN in a finite network
    want_d = np.multiply(d, a > 0)
    gb = np.empty(h, dtype)
    got_d = d.copy()
    _fast.kernels()["relu_mask_colsum"](got_d, a, gb)
    np.testing.assert_array_equal(got_d, want_d)
    assert np.array_equal(np.signbit(got_d), np.signbit(want_d))
    # oracle: the exact column sums (math.fsum); the kernel's float64 running sum may be off
    # by n float64 ulps of sum |d|, then rounds once to the dtype (half an ulp of the sum)
    cols = want_d.astype(np.float64).T
    exact = np.array([math.fsum(col) for col in cols])
    bound = np.finfo(dtype).eps * np.abs(exact) + n * np.finfo(np.float64).eps * np.abs(
        cols).sum(axis=1)
    assert np.all(np.abs(gb.astype(np.float64) - exact) <= bound)


def test_network_gradient_with_fused_relu_layers_agrees_with_numpy():
    pytest.importorskip("numba")
    from probnn.network.mlp import MLP

    rng = np.random.default_rng(4)
    X = rng.normal(size=(64, 12)).astype(np.float32)
    delta = rng.normal(size=(64, 3)).astype(np.float32)
    nets = [MLP([12, 20, 9, 3], random_state=0) for _ in range(2)]
    nets[1].use_fused(_fast.kernels())
    outs = [net.forward(X, training=True).copy() for net in nets]
    np.testing.assert_array_equal(outs[1], outs[0])
    grads = [net.backward(delta).copy() for net in nets]
    k = nets[0].n_coef_params
    np.testing.assert_array_equal(grads[1][:k], grads[0][:k])  # the same BLAS products
    np.testing.assert_allclose(grads[1][k:], grads[0][k:], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ fused losses
def _raw(rng, n, k, dtype):
    raw = (rng.normal(size=(n, k)) * 3).astype(dtype)
    raw[:4] = [[1e4], [-1e4], [30.0], [-30.0]]  # the extremes: no NaN, no overflow
    raw[4] = 0.0
    return raw


def _compare(family, raw, y):
    dtype = raw.dtype
    fn = _fast.loss_kernel_for(family)
    assert fn is not None
    want_loss, want_grad = family.loss_gradient(raw, y)
    yt = family.check_target(y)
    if yt.dtype.kind == "f":
        yt = yt.astype(dtype)
    got_loss, got_grad = fn(raw, yt, True)
    assert got_loss.dtype == dtype and got_grad.dtype == dtype
    assert got_grad.shape == raw.shape
    # the same operations in the same order, exp / log1p through NumPy's own loops: equal
    np.testing.assert_array_equal(got_loss, want_loss)
    np.testing.assert_array_equal(got_grad, np.reshape(want_grad, raw.shape))
    assert not np.isnan(got_loss).any() and not np.isnan(got_grad).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_categorical_loss_agrees_with_family(dtype):
    pytest.importorskip("numba")
    from probnn.families import get_family

    rng = np.random.default_rng(5)
    n, c = 200, 10
    raw = np.repeat(_raw(rng, n, 1, dtype), c, axis=1)
    raw[4:] = (rng.normal(size=(n - 4, c)) * 3).astype(dtype)
    raw[2, 3] = 1e4  # one class far ahead
    raw[3, 5] = -1e4
    y = rng.integers(0, c, size=n)
    y[2] = 3  # the label is the top class (pi_top - 1 without cancellation)
    y[3] = 5  # the label's logit is -1e4 (loss ~1e4, finite)
    _compare(get_family("categorical"), raw, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 3])
def test_fused_bernoulli_loss_agrees_with_family(dtype, k):
    pytest.importorskip("numba")
    from probnn.families import get_family

    rng = np.random.default_rng(6)
    raw = _raw(rng, 150, k, dtype)
    y = (rng.random((150, k)) < 0.4).astype(float)
    _compare(get_family("bernoulli"), raw, y[:, 0] if k == 1 else y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_normal_loss_agrees_with_family(dtype):
    pytest.importorskip("numba")
    from probnn.families import get_family

    rng = np.random.default_rng(7)
    n = 200
    raw = _raw(rng, n, 2, dtype)
    raw[5:10, 1] = [-19.0, -20.0, -21.0, -60.0, -200.0]  # the series side of log sigma
    y = rng.normal(size=n) * 2
    y[5:10] = raw[5:10, 0]  # zero residuals over tiny scales: 0 / 0 = 0
    fam = get_family("normal")
    fn = _fast.loss_kernel_for(fam)
    loss, grad = fn(raw, y.astype(dtype), True)
    want_loss, want_grad = fam.loss_gradient(raw, y)
    assert not np.isfinite(want_loss).all()  # the extremes reach +inf
    # bit for bit (+inf where NumPy has +inf): the same operations, NumPy's exp / log1p / log
    np.testing.assert_array_equal(loss, want_loss)
    np.testing.assert_array_equal(grad, want_grad)
    assert not np.isnan(loss).any() and not np.isnan(grad).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("min_scale", [0.0, 0.4, 1e-30])
def test_fused_mixture_normal_loss_agrees_with_family(dtype, k, min_scale):
    # the NumPy loss is the reference: extreme raws (+-1e4), scales on the series side of
    # log sigma, zero residuals over underflowed scales, rows whose every density underflows
    # (+inf, the responsibility to the nearest component, shared between exact ties); with
    # and without a floor on the scales
    pytest.importorskip("numba")
    _compare_mixture(dtype, k, min_scale, 11 + k)


def _compare_mixture(dtype, k, min_scale, seed):
    from probnn.families import get_family

    rng = np.random.default_rng(seed)
    n = 240
    raw = (rng.normal(size=(n, 3 * k)) * 3).astype(dtype)
    raw[:4] = np.array([1e4, -1e4, 30.0, -30.0])[:, None]
    raw[4] = 0.0
    y = rng.normal(size=n) * 2
    s = raw[:, 2 * k:]
    s[10:20] = rng.choice([-19.0, -20.0, -21.0, -60.0, -200.0], size=(10, k))
    y[10:15] = raw[10:15, k]  # zero residuals over tiny scales: 0 / 0 = 0
    s[20:40] = -1e4  # every density underflows: NLL +inf
    y[20:40] = 5e3
    raw[30:40, k:2 * k] = 0.0  # ... with every component equally near: shared equally
    raw[40:50, :k] = raw[40:50, :1]  # tied weights
    family = get_family("mixture-normal", n_components=k, min_scale=min_scale)
    want_loss, want_grad = family.loss_gradient(raw, y)
    if dtype(min_scale) == 0:  # (a floor makes every density positive somewhere)
        assert np.isinf(want_loss[20:40]).all() and np.isfinite(want_loss[40:]).all()
    fn = _fast.loss_kernel_for(family)
    loss, grad = fn(raw, family.check_target(y).astype(dtype), True)
    assert loss.dtype == dtype and grad.dtype == dtype and grad.shape == raw.shape
    # bit for bit: the same operations, NumPy's exp / log1p / log loops on the same vectors
    np.testing.assert_array_equal(loss, want_loss)
    np.testing.assert_array_equal(grad, want_grad)
    # (a floor of 1e-30: r^2 overflows where d log sigma / ds underflows; no NaN either)
    assert not np.isnan(grad).any()


def test_fused_mixture_normal_loss_with_any_floor():
    # sigma = min_scale + softplus(s): floors far above the scales (binding), far below
    # them, a float32 floor that rounds to 0 (no floor in that dtype) and subnormal ones;
    # bit for bit the family's NumPy loss
    pytest.importorskip("numba")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    floors = st.one_of(st.floats(1e-6, 1e3),
                       st.sampled_from([1e-320, 1e-46, 1e-40, 5e-324, 1e-30, 1e-300]))

    @settings(max_examples=30, deadline=None)
    @given(st.sampled_from([np.float32, np.float64]), st.integers(1, 4), floors,
           st.integers(0, 2**16))
    def check(dtype, k, min_scale, seed):
        _compare_mixture(dtype, k, min_scale, seed)

    check()


def test_fused_losses_only_for_the_listed_classes():
    from probnn.families import get_family
    from probnn.families.categorical import CategoricalFamily

    class Mine(CategoricalFamily):  # a subclass may change the loss: no fused kernel
        pass

    assert _fast.loss_kernel_for(Mine()) is None
    assert _fast.loss_kernel_for(get_family("poisson")) is None
    assert _fast.loss_kernel_for(get_family("categorical")) is not None
    # a mixture's floor on its scales is one of the kernel's arguments
    assert _fast.loss_kernel_for(get_family("mixture-normal", min_scale=0.1)) is not None

    said_no = get_family("mixture-normal")  # a family may say its kernel does not apply
    said_no.compiled_loss_applies = False
    assert _fast.loss_kernel_for(said_no) is None


def test_compiled_engine_trains_a_floored_mixture_as_numpy_does(monkeypatch):
    # the compiled epoch takes the mixture's floor (a kernel without it would train another
    # model): same BLAS, bit for bit, on a spike the floor holds a component at
    pytest.importorskip("numba")
    from probnn.estimators import MLPRegressor
    from probnn.families import get_family
    from probnn.network import _engine

    family = get_family("mixture-normal", min_scale=0.05)
    assert _engine.loss_code(family, np.zeros(3)) == _engine.Codes.LOSS_MIXTURE_NORMAL

    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = np.where(rng.random(300) < 0.3, 1.0, X[:, 0] + rng.normal(0, 0.5, 300))
    fits = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("PROBNN_ENGINE", engine)
        model = MLPRegressor(family="mixture-normal", family_params={"min_scale": 0.05},
                             hidden_layer_sizes=(8,), max_iter=5, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits[engine] = model.fit(X, y).predict_dist(X).log_prob(y)
    np.testing.assert_array_equal(fits["numba"], fits["numpy"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_loops_called_from_compiled_code_are_numpys(dtype):
    # the compiled losses and tanh call NumPy's own inner loops (read from the ufunc objects):
    # on any vector, extremes and NaN included, they must give the ufunc's results bit for bit
    pytest.importorskip("numba")
    from probnn.network._kernels import EXP, LOG, LOG1P, TANH, numpy_loop

    fns = _fast.numpy_loops(dtype)
    assert fns is not None
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(1003) * 10.0 ** rng.uniform(-8, 2, 1003)).astype(dtype)
    x[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, 88.8, -104.0]
    for code, ufunc, arg in [(EXP, np.exp, x), (LOG1P, np.log1p, np.abs(x)),
                             (LOG, np.log, np.abs(x)), (TANH, np.tanh, x)]:
        for n in (1003, 17, 1):
            out = np.full(n, 7.0, dtype)
            with np.errstate(all="ignore"):
                want = ufunc(arg[:n])
            numpy_loop(fns[code], np.ascontiguousarray(arg[:n]), out, n)
            np.testing.assert_array_equal(out, want)


def test_without_numpys_loops_the_numpy_losses_run(monkeypatch):
    # another NumPy whose ufunc objects are not laid out as read: no compiled loss, no
    # compiled tanh; training goes on with the families' NumPy losses
    pytest.importorskip("numba")
    from probnn.families import get_family
    from probnn.network import _engine
    from probnn.network.mlp import MLP
    from probnn.network.training import Trainer

    monkeypatch.setattr(_fast, "numpy_loops", lambda dtype: None)
    assert _fast.loss_kernel_for(get_family("normal")) is None
    t = Trainer(MLP([3, 4, 2], "tanh", random_state=0), get_family("normal"))
    assert "tanh" in _engine.unsupported(t)
    assert _fast._loop_address(np.exp, np.float32) is not None  # the reading itself works


@pytest.mark.parametrize("name, params", [("normal", {}), ("bernoulli", {}), ("categorical", {}),
                                          ("mixture-normal", {}),
                                          ("mixture-normal", {"min_scale": 0.4})])
def test_fused_losses_bit_identical_on_any_raw(name, params):
    # any finite raw outputs within +-1e4, any batch size and class count: the compiled loss
    # and gradient equal the family's NumPy ones bit for bit (a mixture with a floor too)
    pytest.importorskip("numba")
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    from probnn.families import get_family

    family = get_family(name, **params)
    fn = _fast.loss_kernel_for(family)
    values = st.floats(-1e4, 1e4, width=32)

    @settings(max_examples=40, deadline=None)
    @given(st.integers(1, 40), st.integers(2, 12), st.data())
    def check(n, c, data):
        k = {"normal": 2, "bernoulli": 1, "categorical": c, "mixture-normal": 9}[name]
        raw = data.draw(arrays(np.float32, (n, k), elements=values))
        if name in ("normal", "mixture-normal"):
            y = data.draw(arrays(np.float32, n, elements=values))
        elif name == "bernoulli":
            y = data.draw(arrays(np.float32, n, elements=st.sampled_from([0.0, 1.0])))
        else:
            y = data.draw(arrays(np.int64, n, elements=st.integers(0, c - 1)))
        want_loss, want_grad = family.loss_gradient(raw, y)
        got_loss, got_grad = fn(raw, family.check_target(y).astype(y.dtype), True)
        np.testing.assert_array_equal(got_loss, want_loss)
        np.testing.assert_array_equal(got_grad, np.reshape(want_grad, raw.shape))

    check()
