"""The compiled whole training step (probnn.network._step) against the NumPy path.

The oracle is the NumPy path (``engine="numpy"``), itself tested against finite differences,
PyTorch and scipy elsewhere. The compiled step does the same arithmetic (the matrix products
are BLAS calls with the same operands; the compiled losses and tanh the family's formulas in
NumPy's order with NumPy's own exp / log1p / log / tanh loops; NumPy's pairwise sums): with
the same BLAS the weights must be equal bit for bit.
Networks are small and fits a few epochs: the kernels are compiled once per process (or
loaded from numba's cache) and shared by every test here.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from probnn.exceptions import TrainingDivergedError
from probnn.families import FAMILIES, get_family
from probnn.network import _engine, _fast
from probnn.network.mlp import MLP
from probnn.network.training import Trainer

from _targets import targets_for

pytest.importorskip("numba")


_targets = targets_for  # the family's support decides


def _fit(engine, family, X, y, *, sizes=(9, 8), activation="relu", epochs=3, sw=None,
         **kw):
    """A Trainer fitted for ``epochs`` epochs with ``engine``; returns it."""
    net = MLP([X.shape[1], *sizes, family.n_outputs(y)], activation, random_state=0,
              dropout=kw.pop("dropout", 0.0))
    settings = dict(batch_size=16, max_iter=epochs, tol=0, n_iter_no_change=10**6,
                    random_state=0, prior="gaussian", alpha=0.05, ema_decay=0.9)
    settings.update(kw)
    t = Trainer(net, family, **settings)
    if engine is not None:
        t.engine = engine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.fit(X, y, sample_weight=sw)
    return t


def _products_as_numpy() -> bool:
    """Whether the compiled step's BLAS (scipy's, through numba) gives NumPy's products to the
    bit for the shapes these tests use: the condition of the bit-for-bit comparisons. (Here
    NumPy and scipy ship OpenBLAS 0.3.31 and 0.3.30: their gemm agree, their gemv do not for
    an inner dimension of 6 or 7, which these tests' networks avoid.)"""
    import numba

    from probnn.network._step import mm

    @numba.njit
    def products(h, W, d, out1, out2, out3):
        mm(h, W, out1)
        mm(h.T, d, out2)
        mm(d, W.T, out3)

    rng = np.random.default_rng(0)
    for n, a, b in [(m, a, b) for m in (16, 8, 4) for a, b in [(5, 9), (9, 8), (8, 1), (8, 3)]]:
        h, W, d = (rng.normal(size=s).astype(np.float32) for s in [(n, a), (a, b), (n, b)])
        outs = [np.empty((n, b), np.float32), np.empty((a, b), np.float32),
                np.empty((n, a), np.float32)]
        products(h, W, d, *outs)
        if not (np.array_equal(outs[0], h @ W) and np.array_equal(outs[1], h.T @ d)
                and np.array_equal(outs[2], np.matmul(d, W.T))):
            return False
    return True


SAME_BLAS = _products_as_numpy()


def _data(family, n=72, features=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features)).astype(np.float32)
    y = family.check_target(_targets(family, n, rng))
    return X, y


def _assert_same_training(ref, got, exact):
    a, b = ref.network.params, got.network.params
    if exact:
        np.testing.assert_array_equal(b, a)
        assert got.loss_curve_ == ref.loss_curve_
    else:
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-5)
    assert got._optimizer.t == ref._optimizer.t and got.t_ == ref.t_


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_trains_as_on_the_numpy_path(name):
    family = get_family(name)
    X, y = _data(family)
    ref = _fit("numpy", family, X, y)
    got = _fit("numba", family, X, y)
    assert got._steps, "the compiled whole step was not taken"
    if name in ("normal", "mixture-normal"):  # the whole epoch in one call, loss included
        assert got._steps._targets[2][4] != _engine.Codes.LOSS_NONE
    # the same arithmetic throughout: a compiled loss runs the family's formulas in NumPy's
    # order with NumPy's own exp / log1p / log loops, the others are the family's NumPy loss
    _assert_same_training(ref, got, exact=SAME_BLAS)


@pytest.mark.parametrize("solver,kw", [
    ("adam", {}), ("adamw", {}), ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "nesterovs_momentum": False}), ("sgd", {"momentum": 0.0}),
    ("rmsprop", {}), ("gd", {}), ("adam", {"prior": "laplace", "alpha": 0.5}),
    ("adam", {"prior": None, "ema_decay": None}),
    ("sgd", {"learning_rate": "invscaling", "learning_rate_init": 0.05}),
    ("adam", {"shuffle": False}),
])  # fmt: skip
def test_optimisers_priors_and_schedules_bit_identical(solver, kw):
    # poisson has no compiled loss: every operation is the NumPy path's
    family = get_family("poisson")
    X, y = _data(family)
    ref = _fit("numpy", family, X, y, solver=solver, **kw)
    got = _fit("numba", family, X, y, solver=solver, **kw)
    assert got._steps
    _assert_same_training(ref, got, exact=SAME_BLAS)


def test_flush_of_tiny_state_and_average_as_numpy():
    # more than FLUSH_EVERY (64) steps with inputs that are mostly zero: moments and
    # average entries decay towards the subnormals and are flushed as on the NumPy path
    family = get_family("poisson")
    rng = np.random.default_rng(2)
    X = (rng.random((160, 6)) < 0.05).astype(np.float32)
    y = family.check_target(rng.poisson(1.0, 160))
    kw = dict(epochs=15, batch_size=8, ema_decay=0.999)
    ref = _fit("numpy", family, X, y, **kw)
    got = _fit("numba", family, X, y, **kw)
    assert got._optimizer.t > 2 * 64
    _assert_same_training(ref, got, exact=SAME_BLAS)
    np.testing.assert_array_equal(got._optimizer.m == 0, ref._optimizer.m == 0)


@pytest.mark.parametrize("name", ["normal", "bernoulli", "categorical", "mixture-normal",
                                  "poisson"])
def test_sample_weights(name):
    # zero weights, and batches whose weights sum to 0 (skipped, as on the NumPy path)
    family = get_family(name)
    X, y = _data(family)
    sw = np.random.default_rng(4).uniform(0.0, 3.0, len(y))
    sw[:40] = 0.0
    ref = _fit("numpy", family, X, y, sw=sw, batch_size=4)
    got = _fit("numba", family, X, y, sw=sw, batch_size=4)
    assert got._steps
    _assert_same_training(ref, got, exact=SAME_BLAS)


@pytest.mark.parametrize("name", ["normal", "bernoulli", "categorical", "mixture-normal",
                                  "poisson"])
def test_early_stopping_scores_and_stops_as_numpy(name):
    # the validation rows scored after every epoch (the weights' average swapped in), the
    # best epoch's weights kept, the plateau rule's drops: each engine's scores equal
    family = get_family(name)
    X, y = _data(family, n=120)
    sw = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    kw = dict(epochs=12, early_stopping=True, validation_fraction=0.25, sw=sw,
              learning_rate="plateau", n_iter_no_change=2, learning_rate_init=0.05)
    ref = _fit("numpy", family, X, y, **kw)
    got = _fit("numba", family, X, y, **kw)
    assert got._steps and len(ref.validation_scores_) == ref.n_iter_
    assert got.n_iter_ == ref.n_iter_
    if SAME_BLAS:
        assert got.validation_scores_ == ref.validation_scores_
    else:
        np.testing.assert_allclose(got.validation_scores_, ref.validation_scores_, rtol=1e-5)
    _assert_same_training(ref, got, exact=SAME_BLAS)


@pytest.mark.parametrize("activation", ["tanh", "identity"])
@pytest.mark.parametrize("name", ["normal", "poisson"])
def test_other_compiled_activations(activation, name):
    family = get_family(name)
    X, y = _data(family)
    ref = _fit("numpy", family, X, y, activation=activation)
    got = _fit("numba", family, X, y, activation=activation)
    assert got._steps
    _assert_same_training(ref, got, exact=SAME_BLAS)  # tanh: NumPy's loop, in place


def test_deeper_wider_network_and_batch_larger_than_rows():
    family = get_family("bernoulli")
    X, y = _data(family, n=40)
    for sizes, bs in [((12, 5, 8), 16), ((4,), 100), ((), 16)]:
        ref = _fit("numpy", family, X, y, sizes=sizes, batch_size=bs)
        got = _fit("numba", family, X, y, sizes=sizes, batch_size=bs)
        assert got._steps
        _assert_same_training(ref, got, exact=SAME_BLAS)


@pytest.mark.parametrize("kw,reason", [
    ({"dropout": 0.3}, "dropout"), ({"activation": "softplus"}, "activation"),
])  # fmt: skip
def test_unsupported_fits_fall_back_to_the_numpy_loop(kw, reason):
    from probnn.network import _engine

    family = get_family("normal")
    X, y = _data(family)
    got = _fit("numba", family, X, y, **kw)
    assert got._steps is False  # the NumPy loop ran (with the fused pieces where they apply)
    assert reason in _engine.unsupported(got)
    ref = _fit("numpy", family, X, y, **kw)
    np.testing.assert_allclose(got.network.params, ref.network.params, rtol=1e-4, atol=1e-5)


def test_numpy_engine_never_compiles():
    family = get_family("normal")
    X, y = _data(family)
    t = _fit("numpy", family, X, y)
    assert getattr(t, "_steps", None) is None and t._optimizer._kernels is None


@pytest.mark.parametrize("name", ["categorical", "normal", "mixture-normal", "poisson"])
def test_divergence_raises_and_keeps_the_epoch_start(name):
    # the compiled epoch stops where the NumPy loop does, with its message and weights
    family = get_family(name)
    X, y = _data(family)
    X = X * 1e3
    out = {}
    for engine in ("numpy", "numba"):
        with pytest.raises(TrainingDivergedError, match="diverged at epoch") as info:
            _fit(engine, family, X, y, solver="sgd", learning_rate_init=1e30, prior=None,
                 epochs=50, ema_decay=None)
        out[engine] = str(info.value), info.traceback[-1].frame.f_locals["self"]
    assert out["numba"][0] == out["numpy"][0]
    np.testing.assert_array_equal(out["numba"][1].network.params,
                                  out["numpy"][1].network.params)


def test_pickled_trainer_goes_on_as_without_the_round_trip():
    family = get_family("normal")
    X, y = _data(family)
    net = MLP([5, 8, 2], random_state=0)
    a = Trainer(net, family, batch_size=16, random_state=0)
    a.engine = "numba"
    a.partial_fit(X, y)
    b = pickle.loads(pickle.dumps(a))
    assert b._steps is None  # rebuilt on the next epoch
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    assert b._steps
    np.testing.assert_array_equal(b.network.params, a.network.params)


def test_batch_sums_are_numpys_pairwise_sums():
    # np.sum(x, dtype=float64) of float32 values: the batch's loss sum, to the bit
    k = _fast.kernels()
    rng = np.random.default_rng(5)
    for n in [*range(0, 140), 200, 255, 256, 257, 1000, 4099, 8192, 8193, 20000]:
        a = rng.normal(size=n) * 10.0 ** rng.uniform(-4, 4, size=n)
        assert k["np_sum"](a, n) == np.sum(a), n  # float64: the batch's weight sum
        a = a.astype(np.float32)
        assert k["np_sum"](a, n) == np.sum(a, dtype=np.float64), n


# ------------------------------------------------------------ the engine's choice
def test_auto_engine_weighs_the_saving_against_the_compile_cost(monkeypatch):
    # the model: saving = steps x step_saving_s; cost = import (+ compile on a cold cache),
    # or one more cached specialisation once the kernels are loaded
    sizes, bs = [8, 50, 50, 2], 32
    per_step = _fast.step_saving_s(sizes, bs)
    a, per_layer, per_param, per_row = _fast.STEP_SAVING_US
    n_params = 8 * 50 + 50 + 50 * 50 + 50 + 50 * 2 + 2
    assert per_step == pytest.approx(1e-6 * (a + 3 * per_layer + per_param * n_params / 1e3
                                             + per_row * bs * 110 / 1e3))
    monkeypatch.setattr(_fast, "_KERNELS", None)  # as in a fresh process
    monkeypatch.setattr(_fast, "_CACHE_WARM", False)
    monkeypatch.setattr(_fast, "_cache_warm", lambda: False)
    just_below = _fast.COMPILE_COST_S + _fast.IMPORT_COST_S
    assert not _fast.compiled_step_pays(sizes, bs, 0.99 * just_below / per_step)
    assert _fast.compiled_step_pays(sizes, bs, 1.01 * just_below / per_step)
    monkeypatch.setattr(_fast, "_cache_warm", lambda: True)
    assert not _fast.compiled_step_pays(sizes, bs, 0.99 * _fast.IMPORT_COST_S / per_step)
    assert _fast.compiled_step_pays(sizes, bs, 1.01 * _fast.IMPORT_COST_S / per_step)
    # early stopping: a quarter of the budget is expected to run
    steps = 1.01 * _fast.IMPORT_COST_S / per_step / _fast.EARLY_STOPPING_SHARE
    assert _fast.compiled_step_pays(sizes, bs, steps, early_stopping=True)
    assert not _fast.compiled_step_pays(sizes, bs, 0.98 * steps, early_stopping=True)


def test_auto_engine_in_a_trainer(monkeypatch):
    monkeypatch.delenv("PROBNN_ENGINE", raising=False)
    monkeypatch.setattr(_fast, "_cache_warm", lambda: True)
    family = get_family("normal")
    X, y = _data(family)
    small = _fit(None, family, X, y, epochs=2)  # 10 steps: far below any cost
    assert small._optimizer._kernels is None and small._steps is None
    big = Trainer(MLP([5, 9, 8, 2], random_state=0), family, batch_size=16, max_iter=10**6,
                  random_state=0)
    big.partial_fit(X, y)  # a budget of 5 million steps: compiling pays
    assert big._optimizer._kernels is not None and big._steps


def test_small_networks_train_with_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    original = Trainer._epoch

    def epoch(self, *a, **k):
        seen.append({i["filepath"]: i["num_threads"] for i in threadpool_info()
                     if i["user_api"] == "blas"})
        return original(self, *a, **k)

    monkeypatch.setattr(Trainer, "_epoch", epoch)
    before = {i["filepath"]: i["num_threads"] for i in threadpool_info()
              if i["user_api"] == "blas"}
    if max(before.values(), default=1) == 1:
        pytest.skip("the BLAS runs one thread already (one core or a limit): nothing to see")
    family = get_family("normal")
    X, y = _data(family)
    _fit("numpy", family, X, y, epochs=2)  # largest product 16 x 9 x 8: one thread
    assert seen and all(n == 1 for s in seen for n in s.values())
    after = {i["filepath"]: i["num_threads"] for i in threadpool_info()
             if i["user_api"] == "blas"}
    assert after == before  # restored
    # a product of 200 x 100 x 100 = 2M multiply-adds: the BLAS keeps its threads
    assert _fast.limit_blas_threads([100, 100, 2], 200) is None
    assert _fast.limit_blas_threads([8, 50, 50, 2], 200) is not None


def test_cache_warmth_is_read_from_numbas_cache_folder(tmp_path, monkeypatch):
    # NUMBA_CACHE_DIR: numba keeps the index of each compiled function there (a folder per
    # source folder); the model counts the compile cost until the epoch kernel's index is in
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_fast, "_CACHE_WARM", False)
    monkeypatch.setattr(_fast, "_KERNELS", None)
    monkeypatch.setattr(_fast.os.path, "expanduser", lambda p: str(tmp_path / "home"))
    here = _fast.os.path.dirname(_fast.__file__)
    monkeypatch.setattr(_fast.os.path, "abspath", lambda p: str(tmp_path / "src" / "x.py")
                        if p == _fast.__file__ else p)
    assert not _fast._cache_warm()
    index = tmp_path / here.strip("/") / "_step.epoch-250.py311.nbi"
    index.parent.mkdir(parents=True)
    index.write_bytes(b"")
    assert _fast._cache_warm()


def test_a_chunk_in_the_same_arrays_trains_on_its_own_targets():
    # a streamed fit may refill one buffer for every chunk: the compiled step must not keep
    # the targets it checked for the last chunk
    family = get_family("normal")
    X, y = _data(family)
    y2 = family.check_target(-3.0 * y + 1.0)
    runs = {}
    for engine in ("numpy", "numba"):
        t = Trainer(MLP([5, 9, 8, 2], random_state=0), family, batch_size=16, random_state=0)
        t.engine = engine
        buf = y.copy()
        t.partial_fit(X, buf)
        buf[...] = y2
        t.partial_fit(X, buf)
        runs[engine] = t.network.params.copy()
    np.testing.assert_allclose(runs["numba"], runs["numpy"], rtol=1e-4, atol=1e-5)


_FRESH_PROCESS = r"""
import sys, warnings
import numpy as np
from numba.core.registry import cpu_target
from probnn.families import get_family
from probnn.network import _fast
from probnn.network.mlp import MLP
from probnn.network.training import Trainer

loaded = []
preload = _fast.preload
_fast.preload = lambda d, args: loaded.append(preload(d, args)) or loaded[-1]
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3)).astype(np.float32)
y = rng.normal(size=40)
params = {}
for engine in ("numba", "numpy"):
    t = Trainer(MLP([3, 8, 2], random_state=0), get_family("normal"), batch_size=8,
                max_iter=3, ema_decay=0.9, random_state=0)
    t.engine = engine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.fit(X, y)
    params[engine] = t.network.params
    if engine == "numba":
        # loaded from the cache before any numba typing registry was installed
        refreshed = len(cpu_target.target_context._registries) > 0
print(loaded, refreshed, np.array_equal(params["numba"], params["numpy"]))
"""


def test_a_fresh_process_loads_the_cached_kernels_without_numbas_refresh():
    # the cost of a process's first compiled fit: numba's first call of a cached function
    # installs all its typing registries (a third of that cost), which loading needs not;
    # _fast.preload loads the machine code alone, and it trains as the NumPy path
    import os
    import subprocess
    import sys

    from probnn.network.training import precompile

    precompile()  # numba's cache holds the kernels (a no-op when it did)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    out = subprocess.run([sys.executable, "-c", _FRESH_PROCESS], env=env, cwd=root,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "[True]"  # the epoch kernel, loaded by preload
    assert out[1] == "False"  # no registry installed
    if SAME_BLAS:
        assert out[2] == "True"


@pytest.mark.parametrize("name, params", [("normal", {}), ("bernoulli", {}), ("categorical", {}),
                                          ("mixture-normal", {}),
                                          ("mixture-normal", {"min_scale": 0.3})])
def test_lbfgs_with_the_compiled_loss_as_numpy(name, params, monkeypatch):
    # full-batch L-BFGS: the objective's loss and gradient from the compiled loss (bit for bit
    # the family's), so every evaluation, step and the result are the NumPy path's; a
    # mixture with a floor on its scales too
    family = get_family(name, **params)
    X, y = _data(family, n=90)
    sw = np.random.default_rng(6).uniform(0.5, 2.0, len(y))
    used = []
    real = _fast.lbfgs_loss_for

    def spy(*args):
        used.append(real(*args))
        return used[-1]

    monkeypatch.setattr(_fast, "lbfgs_loss_for", spy)
    ref = _fit("numpy", family, X, y, sizes=(), solver="lbfgs", epochs=30, sw=sw)
    got = _fit("numba", family, X, y, sizes=(), solver="lbfgs", epochs=30, sw=sw)
    assert used[0] is None and used[1] is not None and got._lbfgs_loss is None
    np.testing.assert_array_equal(got.network.params, ref.network.params)
    assert got.loss_curve_ == ref.loss_curve_ and got.n_iter_ == ref.n_iter_


def test_lbfgs_takes_the_compiled_loss_under_auto_only_once_loaded(monkeypatch):
    # auto: no numba import for an L-BFGS fit; with the kernels loaded (a compiled step ran
    # in this process, or the selection loaded them) and the family's kernel compiled or
    # cached, fits of at least LBFGS_MIN_ROW_EVALS rows x max_iter take them
    family = get_family("mixture-normal")
    monkeypatch.setattr(_fast, "_KERNELS", None)
    assert _fast.lbfgs_loss_for(family, 10**6, 200, "auto") is None
    _fast.kernels()
    monkeypatch.setattr(_fast, "_kernel_ready", lambda name: True)
    assert _fast.lbfgs_loss_for(family, 10**6, 200, "auto") is not None
    small = int(_fast.LBFGS_MIN_ROW_EVALS // 200) - 1
    assert _fast.lbfgs_loss_for(family, small, 200, "auto") is None
    assert _fast.lbfgs_loss_for(family, 10**6, 200, "numpy") is None
    assert _fast.lbfgs_loss_for(get_family("poisson"), 10**6, 200, "numba") is None
    # a kernel numba's cache does not hold would be compiled first (seconds): not under auto
    monkeypatch.setattr(_fast, "_kernel_ready", lambda name: False)
    assert _fast.lbfgs_loss_for(family, 10**6, 200, "auto") is None
    assert _fast.lbfgs_loss_for(family, 10**6, 200, "numba") is not None


def test_lbfgs_and_the_constant_model_run_small_fits_on_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    # L-BFGS's objective over all rows and a constant model's optimiser (a mixture-normal
    # GLM on 4,000 rows: 1.5 s wall with two threads, 0.6 s with one, at a load of 6)
    from probnn.estimators import MLPRegressor
    from probnn.estimators import _target
    from probnn.families.mixture_normal import MixtureNormalFamily

    seen = []

    def blas_threads():
        seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])

    objective = Trainer.objective

    def watched(self, *args, **kwargs):
        blas_threads()
        return objective(self, *args, **kwargs)

    constant = MixtureNormalFamily.constant_raw

    def watched_constant(self, *args, **kwargs):
        blas_threads()
        return constant(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "objective", watched)
    monkeypatch.setattr(MixtureNormalFamily, "constant_raw", watched_constant)
    monkeypatch.setattr(_target, "_CONSTANTS", type(_target._CONSTANTS)())
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + rng.normal(size=300)
    import scipy.linalg  # noqa: F401 - its BLAS loaded, so the limit below reaches it

    with threadpool_limits(limits=2, user_api="blas"):  # two threads, whatever the machine
        before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        MLPRegressor(family="mixture-normal", hidden_layer_sizes=(), solver="lbfgs",
                     max_iter=20).fit(X, y)
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert set(before) == {2} and after == before  # restored after each fit
    assert len(seen) > 2 and all(n == 1 for s in seen for n in s)
