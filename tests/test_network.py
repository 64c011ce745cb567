"""MLP forward / backward against finite differences, PyTorch autograd and hand-worked cases."""

from __future__ import annotations

import pickle
import zlib

import numpy as np
import pytest

from probnn.families import FAMILIES, get_family
from probnn.network import ACTIVATIONS, MLP

ACT_NAMES = sorted(ACTIVATIONS)


def targets(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Valid targets for a registered family (skip the ones this file does not know)."""
    if name == "bernoulli":
        return rng.integers(0, 2, n)
    if name == "categorical":
        return np.arange(n) % 3
    if name == "poisson":
        return rng.poisson(2.0, n)
    if name in ("normal-fixed", "normal", "laplace", "studentt"):
        return rng.normal(size=n)
    if name in ("mixture-normal", "mixture-studentt"):
        return rng.normal(size=n)
    if name == "ordinal":
        return np.arange(n) % 3
    # fam1 (issue 10 part 2)
    if name == "negative-binomial":
        return rng.negative_binomial(2.0, 0.4, n)
    if name in ("gamma", "log-normal"):
        return rng.gamma(2.0, 1.0, n)
    if name == "beta":
        return rng.beta(2.0, 3.0, n)
    # issue 25: survival times, excess zeros
    if name in ("weibull", "log-logistic"):
        return rng.weibull(1.5, n) * 2.0
    if name in ("zero-inflated-poisson", "zero-inflated-negative-binomial", "hurdle-poisson",
                "hurdle-negative-binomial"):
        return np.where(rng.random(n) < 0.3, 0, rng.poisson(3.0, n))
    pytest.skip(f"no target generator for the new family {name!r}; add one here")


def numeric_grad(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of scalar f at x (float64)."""
    g = np.zeros_like(x)
    for i in range(x.size):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


def weighted_mean_nll(net, family, X, y, w, training=False, seed=None):
    rng = None if seed is None else np.random.default_rng(seed)
    raw = net.forward(X, training=training, rng=rng)
    return float(family.nll(raw, y, w).sum() / w.sum())


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("activation", ACT_NAMES)
@pytest.mark.parametrize("family_name", sorted(FAMILIES))
def test_backward_matches_finite_differences(family_name, activation, depth):
    rng = np.random.default_rng(zlib.crc32(f"{family_name}/{activation}/{depth}".encode()))
    family = get_family(family_name)
    n = 6
    y = family.check_target(targets(family_name, n, rng))
    sizes = [3, *([4, 3, 4][:depth] if depth != 1 else [4]), family.n_outputs(y)]
    net = MLP(sizes, activation, dtype=np.float64, random_state=1)
    net.params[...] = rng.normal(scale=0.7, size=net.params.size)
    X = rng.normal(size=(n, 3))
    w = rng.uniform(0.5, 2.0, n)

    raw = net.forward(X, training=True)
    _, g = family.loss_gradient(raw, y, w)
    grad = net.backward(g.reshape(raw.shape) / w.sum()).copy()
    fd = numeric_grad(lambda: weighted_mean_nll(net, family, X, y, w), net.params)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


def test_backward_with_dropout_matches_finite_differences_for_a_fixed_mask():
    rng = np.random.default_rng(3)
    family = get_family("normal-fixed")
    X, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    w = np.ones(8)
    net = MLP([3, 5, 4, 1], "tanh", dtype=np.float64, random_state=0, dropout=0.4)
    raw = net.forward(X, training=True, rng=np.random.default_rng(7))
    grad = net.backward(family.gradient(raw, y).reshape(raw.shape) / 8).copy()
    # the same seed gives the same masks at every evaluation
    fd = numeric_grad(
        lambda: weighted_mean_nll(net, family, X, y, w, training=True, seed=7), net.params
    )
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)
    assert np.any(net._mask[0][:8] == 0)  # some units really were dropped


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu", "softplus", "logistic",
                                        "leaky_relu", "identity"])  # fmt: skip
def test_forward_and_backward_match_torch_autograd(activation):
    torch = pytest.importorskip("torch")
    fn = {"tanh": torch.tanh, "relu": torch.relu, "gelu": torch.nn.functional.gelu,
          "softplus": torch.nn.functional.softplus, "logistic": torch.sigmoid,
          "leaky_relu": torch.nn.functional.leaky_relu, "identity": lambda t: t}[activation]
    rng = np.random.default_rng(0)
    net = MLP([4, 6, 5, 3], activation, dtype=np.float64, random_state=2)
    X = rng.normal(size=(7, 4))
    R = rng.normal(size=(7, 3))  # objective sum(raw * R): d/d raw = R
    raw = net.forward(X, training=True).copy()
    grad = net.backward(R).copy()

    Ws = [torch.tensor(W, requires_grad=True) for W in net.coefs]
    bs = [torch.tensor(b, requires_grad=True) for b in net.intercepts]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W + b
        if i < len(Ws) - 1:
            h = fn(h)
    (h * torch.tensor(R)).sum().backward()
    np.testing.assert_allclose(raw, h.detach().numpy(), rtol=1e-12, atol=1e-12)
    for gW, W in zip(net.coef_grads, Ws):
        np.testing.assert_allclose(gW, W.grad.numpy(), rtol=1e-10, atol=1e-12)
    for gb, b in zip(net.intercept_grads, bs):
        np.testing.assert_allclose(gb, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, net.grad)


@pytest.mark.parametrize("name", ACT_NAMES)
def test_activation_derivative_matches_finite_differences(name):
    act = ACTIVATIONS[name]
    z = np.linspace(-4, 4, 41) + 0.013  # off the relu kink at 0
    a = act.forward(z.copy())
    h = 1e-6
    fd = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(z, a), fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ACT_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_backprop_in_place_matches_finite_differences(name, dtype):
    # backprop(d, z, a) is what training runs: d *= a'(z) in place
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(3)
    z = (np.linspace(-4, 4, 24) + 0.013).reshape(4, 6)  # off the relu kink at 0
    d = rng.normal(size=z.shape)
    h = 1e-6
    expected = d * (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    zt, dt = z.astype(dtype), d.astype(dtype)
    a = act.forward(zt.copy())
    out = dt.copy()
    act.backprop(out, zt if act.uses == "z" else None, a if act.uses == "a" else None)
    assert out.dtype == dtype
    tol = 1e-5 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", ACT_NAMES)
def test_activation_keeps_float32_and_is_finite_at_extremes(name):
    act = ACTIVATIONS[name]
    z = np.array([-1e4, -30.0, 0.5, 30.0, 1e4], dtype=np.float32)
    a = act.forward(z.copy())
    d = act.derivative(z, a)
    assert a.dtype == np.float32 and d.dtype == np.float32
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d))


def test_activation_forward_in_place():
    for name in ACT_NAMES:
        z = np.array([-1.5, 0.3, 2.0])
        expected = ACTIVATIONS[name].forward(z.copy())
        buf = z.copy()
        assert ACTIVATIONS[name].forward(buf, out=buf) is buf
        np.testing.assert_allclose(buf, expected)


def test_known_activation_values_by_hand():
    z = np.array([-2.0, 0.0, 1.0])
    np.testing.assert_allclose(ACTIVATIONS["relu"].forward(z), [0, 0, 1])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].forward(z), [-0.02, 0, 1])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].forward(z), 1 / (1 + np.exp(-z)))
    from scipy.stats import norm

    np.testing.assert_allclose(ACTIVATIONS["gelu"].forward(z), z * norm.cdf(z))
    np.testing.assert_allclose(ACTIVATIONS["softplus"].forward(z), np.log1p(np.exp(z)))


def test_two_unit_softmax_equals_one_unit_sigmoid_of_the_logit_difference():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, 20)
    net2 = MLP([3, 4, 2], "tanh", dtype=np.float64, random_state=0)
    raw2 = net2.forward(X)
    cat, bern = get_family("categorical"), get_family("bernoulli")
    diff = (raw2[:, 1] - raw2[:, 0])[:, None]
    np.testing.assert_allclose(cat.nll(raw2, y), bern.nll(diff, y), rtol=1e-12)
    # and a net whose single output is that difference gives it directly
    net1 = MLP([3, 4, 1], "tanh", dtype=np.float64)
    net1.coefs[0][...] = net2.coefs[0]
    net1.intercepts[0][...] = net2.intercepts[0]
    net1.coefs[1][...] = net2.coefs[1][:, 1:] - net2.coefs[1][:, :1]
    net1.intercepts[1][...] = net2.intercepts[1][1] - net2.intercepts[1][0]
    np.testing.assert_allclose(bern.nll(net1.forward(X), y), cat.nll(raw2, y), rtol=1e-10)


def test_zeros_init_refused_with_hidden_layers_and_allowed_without():
    with pytest.raises(ValueError, match="hidden units that start equal"):
        MLP([3, 4, 1], init="zeros")
    net = MLP([3, 1], init="zeros")
    assert not net.params.any()


def test_init_scales_follow_he_and_glorot():
    from scipy.stats import kstest, uniform

    # "auto" is torch.nn.Linear's default, uniform on +-1/sqrt(fan_in), for every layer
    for activation in ("relu", "tanh"):
        auto = MLP([400, 300, 1], activation, dtype=np.float64, random_state=0)
        for W in auto.coefs:
            bound = 1 / np.sqrt(W.shape[0])
            assert np.abs(W).max() <= bound
            assert kstest(W.ravel() / bound, uniform(-1, 2).cdf).pvalue > 1e-3
        assert not auto.intercepts[0].any()
    # Glorot: variance 2 / (fan_in + fan_out), bound scikit-learn's sqrt(6 / (fan_in + fan_out))
    gl = MLP([400, 300, 1], "relu", dtype=np.float64, init="glorot", random_state=0)
    np.testing.assert_allclose(gl.coefs[0].var(), 2 / 700, rtol=0.02)
    assert np.abs(gl.coefs[0]).max() <= np.sqrt(6 / 700)
    he = MLP([400, 300, 1], "relu", dtype=np.float64, init="he", random_state=0)
    np.testing.assert_allclose(he.coefs[0].var(), 2 / 400, rtol=0.02)
    np.testing.assert_allclose(he.coefs[1].var(), 2 / 300, rtol=0.2)
    big = MLP([30, 3000], "relu", dtype=np.float64, init="he", random_state=0)
    np.testing.assert_allclose(big.coefs[0].var(), 2 / 30, rtol=0.02)


def test_params_layout_views_and_dtype():
    net = MLP([3, 4, 2], random_state=0)
    assert net.params.dtype == np.float32 and net.params.size == 3 * 4 + 4 * 2 + 4 + 2
    net.coefs[1][0, 0] = 5.0
    assert 5.0 in net.params
    assert np.shares_memory(net.intercepts[0], net.params)
    flat = np.arange(net.params.size, dtype=np.float32)
    net.set_params(flat)
    np.testing.assert_array_equal(net.coefs[0].ravel(), flat[:12])
    assert net.forward(np.ones((2, 3), np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        net.set_params(flat[:-1])
    with pytest.raises(ValueError, match=r"\(n_samples, 3\)"):
        net.forward(np.ones((2, 4)))


def test_pickle_keeps_views_into_params():
    net = MLP([3, 4, 2], random_state=0)
    back = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(back.params, net.params)
    back.params[0] = 42.0
    assert back.coefs[0][0, 0] == 42.0
    X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(net)).forward(X), net.forward(X))


def test_dropout_is_off_at_inference():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    drop = MLP([3, 8, 2], "relu", dtype=np.float64, random_state=4, dropout=0.5)
    plain = MLP([3, 8, 2], "relu", dtype=np.float64, random_state=4)
    np.testing.assert_array_equal(drop.forward(X), plain.forward(X))
    trained = drop.forward(X, training=True, rng=np.random.default_rng(1))
    assert not np.allclose(trained, plain.forward(X))


def test_constant_model_with_zero_features():
    net = MLP([0, 2], dtype=np.float64)
    net.intercepts[0][...] = [1.5, -2.0]
    np.testing.assert_array_equal(net.forward(np.empty((3, 0))), [[1.5, -2.0]] * 3)


@pytest.mark.parametrize("zero_limit", [1 << 20, 12])
def test_training_relu_forward_equals_inference_bit_for_bit(monkeypatch, zero_limit):
    # relu compares against a shared zero buffer grown to the largest array seen (up to
    # _ZERO_LIMIT elements); larger arrays fall back to one broadcast row of zeros
    import probnn.network.activations as activations

    monkeypatch.setattr(activations, "_ZERO_LIMIT", zero_limit)
    monkeypatch.setattr(activations, "_zero_buffers", {})
    rng = np.random.default_rng(11)
    net = MLP([6, 9, 5, 3], "relu", dtype=np.float32, random_state=2)
    for n in (3, 20, 7):  # buffers grow on 20, then are sliced for 7
        X = rng.normal(size=(n, 6)).astype(np.float32)
        expected = net.forward(X)
        np.testing.assert_array_equal(net.forward(X, training=True), expected)
        for k, a in enumerate(net._a):
            z = X if k == 0 else net._a[k - 1][:n]
            np.testing.assert_array_equal(a[:n], np.maximum(z @ net.coefs[k] + net.intercepts[k], 0))


def test_backward_checks_delta_and_needs_a_training_forward():
    net = MLP([3, 4, 2], dtype=np.float64, random_state=0)
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.zeros((2, 2)))
    net.forward(np.ones((2, 3)), training=True)
    with pytest.raises(ValueError, match="delta must have shape \\(2, 2\\)"):
        net.backward(np.zeros((3, 2)))
    # a non-contiguous delta is made contiguous, with the same result
    d = np.asfortranarray(np.arange(4.0).reshape(2, 2))
    g1 = net.backward(d).copy()
    g2 = net.backward(np.ascontiguousarray(d)).copy()
    np.testing.assert_array_equal(g1, g2)
