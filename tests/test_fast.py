"""The compiled (numba) optimiser steps against the NumPy reference: bit-identical weights."""

from __future__ import annotations

import subprocess
import sys

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


def test_training_bit_identical_with_either_engine(monkeypatch):
    pytest.importorskip("numba")
    from probnn.estimators import MLPClassifier

    rng = np.random.default_rng(0)
    X = (rng.random((300, 20)) < 0.2).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    coefs = {}
    for engine in ("numpy", "numba"):
        monkeypatch.setenv("PROBNN_ENGINE", engine)
        m = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, batch_size=32, dtype="float32",
                          random_state=0, tol=0, n_iter_no_change=10**9)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(X, y)
        assert (m._trainer._optimizer._kernels is not None) == (engine == "numba")
        coefs[engine] = [c.copy() for c in m.coefs_ + m.intercepts_]
    for a, b in zip(coefs["numpy"], coefs["numba"]):
        np.testing.assert_array_equal(a, b)
