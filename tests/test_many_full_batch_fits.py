"""``_fast.many_full_batch_fits``: the selection's many small L-BFGS fits take the compiled
losses (one kernel load for all of them), with the same weights as the NumPy losses."""

import warnings

import numpy as np
import pytest

from probnn.families import get_family
from probnn.network import _fast
from probnn.network.mlp import MLP
from probnn.network.training import Trainer


def _glm(family, X, y, engine="auto"):
    """A GLM (no hidden layer) fitted by L-BFGS, and the fused loss its fit took (or None)."""
    net = MLP([X.shape[1], family.n_outputs(y)], "relu", random_state=0)
    t = Trainer(net, family, solver="lbfgs", max_iter=60, random_state=0, prior="gaussian",
                alpha=0.05)  # fmt: skip
    t.engine = engine
    used = []
    real = _fast.lbfgs_loss_for

    def spy(*args):
        used.append(real(*args))
        return used[-1]

    _fast.lbfgs_loss_for, saved = spy, _fast.lbfgs_loss_for
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t.fit(X, y)
    finally:
        _fast.lbfgs_loss_for = saved
    return t, used[0]


def test_small_fits_take_the_loaded_kernels_only_within_the_context(monkeypatch):
    pytest.importorskip("numba")
    family = get_family("mixture-normal")
    _fast.kernels()
    monkeypatch.setattr(_fast, "_kernel_ready", lambda name: True)
    small = int(_fast.LBFGS_MIN_ROW_EVALS // 200) - 1  # one load would not pay for one fit
    assert _fast.lbfgs_loss_for(family, small, 200, "auto") is None
    with _fast.many_full_batch_fits():
        assert _fast.lbfgs_loss_for(family, small, 200, "auto") is not None
        with _fast.many_full_batch_fits():
            assert _fast.lbfgs_loss_for(family, 5, 1, "auto") is not None
        assert _fast.lbfgs_loss_for(family, small, 200, "auto") is not None  # still open
        assert _fast.lbfgs_loss_for(family, small, 200, "numpy") is None  # as asked
        assert _fast.lbfgs_loss_for(get_family("poisson"), small, 200, "auto") is None
    assert _fast.lbfgs_loss_for(family, small, 200, "auto") is None
    # without the kernels loaded: loaded only once the fits so far would have paid for it
    monkeypatch.setattr(_fast, "_KERNELS", None)
    monkeypatch.setattr(_fast, "_cache_warm", lambda: True)
    assert _fast.lbfgs_loss_for(family, 10**9, 200, "auto") is None  # (outside: never)
    price = (_fast.IMPORT_COST_S + _fast.LOAD_COST_S) / _fast._LBFGS_SAVING_S
    rows = int(price / 200 / 3) + 1  # three such fits pay for it, two do not
    with _fast.many_full_batch_fits():
        assert _fast.lbfgs_loss_for(family, rows, 200, "auto") is None
        assert _fast.lbfgs_loss_for(get_family("poisson"), 10**9, 200, "auto") is None
        assert _fast.lbfgs_loss_for(family, rows, 200, "auto") is None and _fast._KERNELS is None
        assert _fast.lbfgs_loss_for(family, rows, 200, "auto") is not None
        assert _fast._KERNELS is not None
    monkeypatch.setattr(_fast, "_KERNELS", None)
    with _fast.many_full_batch_fits():  # a new context counts from zero
        assert _fast.lbfgs_loss_for(family, rows, 200, "auto") is None


@pytest.mark.parametrize("name", ["mixture-normal", "categorical"])
def test_a_small_glm_within_the_context_is_the_numpy_fit_bit_for_bit(name, monkeypatch):
    # oracle: the same GLM fitted by the family's NumPy loss (engine "numpy")
    pytest.importorskip("numba")
    family = get_family(name)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    if name in ("normal", "mixture-normal"):
        y = X @ np.array([1.0, -0.5, 0.25, 0.0], np.float32) + rng.normal(size=90)
    elif name == "bernoulli":
        y = (X[:, 0] + rng.normal(size=90) > 0).astype(np.float64)
    else:
        y = np.digitize(X[:, 0] + rng.normal(size=90), [-0.5, 0.5])
    y = family.check_target(y)
    _fast.kernels()
    monkeypatch.setattr(_fast, "_kernel_ready", lambda name: True)
    ref, took = _glm(family, X, y, "numpy")
    assert took is None
    with _fast.many_full_batch_fits():
        got, took = _glm(family, X, y)
    assert took is not None  # the compiled loss, on 90 rows
    np.testing.assert_array_equal(got.network.params, ref.network.params)
    assert got.loss_curve_ == ref.loss_curve_ and got.n_iter_ == ref.n_iter_
