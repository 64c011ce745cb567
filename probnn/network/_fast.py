"""Optional compiled kernels (numba, extra ``fast``) for the training step's non-matmul work.

- Optimiser steps: one pass over the parameters instead of ~10. Each kernel repeats the NumPy
  update of :mod:`probnn.network.optimizers` operation for operation, in the same order and in
  the buffers' dtype (scalars are cast to it first, as NumPy 2 does with Python floats), with
  no fast-math (no reassociation, no fused multiply-add), so the weights are bit-identical to
  the NumPy path's (tested).
- Relu layers (:meth:`MLP.use_fused`): bias + relu in one pass (bit-identical), and in the
  backward pass the relu mask with the column sums that are the layer's bias gradient in one
  pass (summed in float64, so equal to BLAS's float32 ``ones @ delta`` to float32 rounding).
- Loss and gradient of the hot families (:func:`loss_kernel_for`): categorical with integer
  labels, bernoulli, normal; the NumPy families' formulas in their order, with exp / log1p /
  log through NumPy's own inner loops (:func:`numpy_loops`; libm's differ from NumPy's SIMD
  ones in float32 exp for about 4 arguments in 10), so bit-identical to the families
  (tested, +-1e4 included). Without those loops (another NumPy layout) the NumPy loss runs.
  Negative binomial (and the hurdle NB's count part) likewise, with scipy's own C gammaln /
  digamma (:func:`special_functions`; ``_kernels_counts``).

Imported only by :func:`enable_for` when a fit is large enough for compilation to pay and
numba is importable; ``import probnn`` never imports numba. Compiled machine code is cached
(``cache=True``: beside this module, or numba's user cache folder when that is read-only), and
a process's first fit loads it without numba's typing refresh (:func:`preload`).
Serial loops: ``parallel=True`` measured slower at these sizes (it fights OpenBLAS's
spinning worker thread).

- The whole step of small networks (:mod:`probnn.network._step`, driven by
  :mod:`probnn.network._engine`): forward, loss, backward, prior, optimiser and average in one
  compiled call per step, or per epoch where the family has a compiled loss.

``PROBNN_ENGINE`` (or ``Trainer.engine``) chooses the path: ``numpy`` (never compile),
``numba`` (always, an error if numba is missing), ``auto`` (default): numba when importable
and the fit's expected saving exceeds what compiling costs it (:func:`compiled_step_pays`).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import importlib.util
import os
import sys

import numpy as np

__all__ = ["FAST_MIN_WORK", "engine_choice", "enable_for", "loss_kernel_for", "numba_available",
           "compiled_step_pays", "step_saving_s", "limit_blas_threads", "blas_threads_for",
           "lbfgs_loss_for"]

# n_params x optimiser steps above which compiling pays, measured (python -m
# bench.tools.profile_probnn --compile-cost / --isolated, AMD EPYC, 1 BLAS thread, CPU time): the
# compiled path adds 0.65-1.1 CPU s to a fit with numba's cache warm (import numba, load the
# cached kernels; 2.5-3.3 s the first time, when it compiles them) and saves 2-5 ns per
# parameter and step at 784-{64,256,1024}-10, batch 128 (optimiser, loss, relu layers). At
# 5e8 the saving is 1-2.5 s: about break-even with a warm cache, a clear gain above.
# (The rule for fits the whole compiled step cannot take: dropout, other activations.)
FAST_MIN_WORK = 5e8

# ---------------------------------------------------------------- the engine's cost model
# The time the compiled whole step saves per step against the NumPy path, in microseconds:
#     STEP_SAVING_US[0] + [1] * layers + [2] * n_params / 1e3 + [3] * rows x sum(layer sizes) / 1e3
# (a fixed part for the ~40 NumPy calls of a step, a part per layer, the optimiser's and the
# average's passes over the parameters, the per-row work of gathers, bias, activation and
# deltas). Fitted by least squares to bench scenario 8 (``python -m bench.scenario8``, AMD EPYC,
# 1 BLAS thread, CPU time: 18 networks 8-200 inputs x (50,) to (100, 100) x batch 32 / 200,
# normal head, Adam, prior and average); within 15% of every measured saving (68-185 us).
STEP_SAVING_US = (41.4, 11.9, 2.19, 0.54)
# What the compiled path costs a process once (CPU seconds, the same machine): importing
# numba and the kernels' modules, 0.21-0.24 s, and loading the epoch kernel's cached machine
# code (preload), 0.08-0.09 s (bench.scenario8_uci's breakdown, load average 13-21; 0.4 s
# before preload skipped numba's typing refresh); compiling them when numba's cache is cold
# (a new machine, a new numba or probnn), 18 s; once per machine, then cached on disk.
# With the kernels loaded already, a fit of another type signature (float64, a family on its
# NumPy loss) loads one more specialisation from the cache: 30-35 ms.
IMPORT_COST_S = 0.3
COMPILE_COST_S = 18.0
LOAD_COST_S = 0.035
# With early stopping a fit ends well before its budget: MLPRegressor()'s UCI fits (bench
# scenario 5) stopped after 18-41% of max_iter; the model counts a quarter of the budget.
EARLY_STOPPING_SHARE = 0.25

_KERNELS = None
_CACHE_WARM = False


def step_saving_s(layer_sizes, batch_size: int) -> float:
    """Seconds the compiled whole step saves per step (the calibrated model above)."""
    sizes = [int(s) for s in layer_sizes]
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    a, per_layer, per_param, per_row = STEP_SAVING_US
    us = (a + per_layer * (len(sizes) - 1) + per_param * n_params / 1e3
          + per_row * batch_size * sum(sizes) / 1e3)
    return us * 1e-6


def _cache_warm() -> bool:
    """Whether numba's on-disk cache holds the step kernels (their index files), where numba
    looks for them: NUMBA_CACHE_DIR, else beside the module, else numba's user cache folder."""
    global _CACHE_WARM
    if _CACHE_WARM or _KERNELS is not None and "probnn.network._step" in sys.modules:
        return True
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.environ.get("NUMBA_CACHE_DIR"), os.path.join(here, "__pycache__"),
             os.path.join(os.path.expanduser("~"), ".cache", "numba")]
    for root in filter(None, roots):
        pattern = os.path.join(root, "**", "_step.epoch-*.nbi")
        if os.path.isdir(root) and next(iter(glob.iglob(pattern, recursive=True)), None):
            _CACHE_WARM = True
            return True
    return False


def compiled_step_pays(layer_sizes, batch_size: int, n_steps: float,
                       early_stopping: bool = False) -> bool:
    """Whether the compiled whole step is expected to save this fit more than it costs.

    Saving: ``n_steps`` (a quarter of them with early stopping) times :func:`step_saving_s`.
    Cost: with the kernels loaded in this process, at most loading one more specialisation
    (``LOAD_COST_S``); else importing numba and loading them (``IMPORT_COST_S``), plus
    compiling them (``COMPILE_COST_S``) when numba's cache does not hold them yet.
    """
    steps = float(n_steps) * (EARLY_STOPPING_SHARE if early_stopping else 1.0)
    saving = steps * step_saving_s(layer_sizes, batch_size)
    if _KERNELS is not None and "probnn.network._step" in sys.modules:
        return saving > LOAD_COST_S
    cost = IMPORT_COST_S + (0.0 if _cache_warm() else COMPILE_COST_S)
    return saving > cost


# ------------------------------------------------------------------ BLAS threads
# One BLAS thread when the step's largest product has fewer multiply-adds than this. Measured
# (AMD EPYC, 2 cores, OpenBLAS 0.3.31, best of 300 calls): 200 x 50 x 50 (0.5M) takes 10.4 us
# with 1 or 2 threads; 200 x 100 x 100 (2M) 42 us with 1, 28 us with 2. On a loaded machine
# a product that uses a second thread waits for it: the median of 128 x 784 x 256 went from
# 0.52 ms (1 thread) to 128 ms (2) at a load average of 17, and scenario 8's batch-200 NumPy
# steps took 3x longer with the default 2 threads. Below 1M the second thread buys nothing.
ONE_THREAD_BELOW = 1_000_000
_CONTROLLER = None


def limit_blas_threads(layer_sizes, batch_size: int):
    """A threadpoolctl limiter holding BLAS to one thread for a network whose products are
    too small to share (``ONE_THREAD_BELOW``), else None; ``.restore_original_limits()``
    undoes it."""
    global _CONTROLLER
    sizes = [int(s) for s in layer_sizes]
    largest = max((batch_size * a * b for a, b in zip(sizes[:-1], sizes[1:])), default=0)
    if largest >= ONE_THREAD_BELOW:
        return None
    try:
        if _CONTROLLER is None:
            import scipy.linalg  # noqa: F401 - its BLAS (the compiled step's) is loaded first
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()  # a few ms once: the loaded libraries
        return _CONTROLLER.limit(limits=1, user_api="blas")
    except Exception:  # pragma: no cover - threadpoolctl missing or a library it cannot set
        return None


@contextlib.contextmanager
def blas_threads_for(layer_sizes, rows: int):
    """:func:`limit_blas_threads` for the block: one BLAS thread while it runs where the
    products are too small to share, the original limits restored after it."""
    threads = limit_blas_threads(layer_sizes, rows)
    try:
        yield
    finally:
        if threads is not None:
            threads.restore_original_limits()


# --------------------------------------------------- NumPy's elementwise loops
_LOOPS: dict = {}


def _loop_address(ufunc, dtype) -> int | None:
    """The address of ``ufunc``'s inner loop for ``dtype -> dtype`` (the function NumPy runs
    for it, the CPU's SIMD version where NumPy has one), read from the ufunc object
    (``PyUFuncObject``, numpy/ufuncobject.h: after the object header, ``int nin, nout,
    nargs, identity``, then the ``functions`` and ``data`` arrays, ``int ntypes,
    reserved1``, ``name`` and ``types``). None unless every field read agrees with what
    the ufunc says of itself (name, argument count, its loops' types) and the loop needs
    no data pointer: another layout means another NumPy, whose loops this does not call."""
    base = id(ufunc) + object.__basicsize__
    try:
        nin, nout, nargs, _ = (ctypes.c_int * 4).from_address(base)
        functions, data = (ctypes.c_void_p * 2).from_address(base + 16)
        ntypes = ctypes.c_int.from_address(base + 32).value
        name, typecodes = (ctypes.c_void_p * 2).from_address(base + 40)
        if (nin, nout, nargs) != (ufunc.nin, ufunc.nout, ufunc.nargs) or \
                ntypes != ufunc.ntypes or not functions or not name or not typecodes or \
                ctypes.string_at(name) != ufunc.__name__.encode():
            return None
        codes = ctypes.string_at(typecodes, ntypes * nargs)
        listed = [[np.dtype(c).num for c in t.replace("->", "")] for t in ufunc.types]
        if [list(codes[i * nargs:(i + 1) * nargs]) for i in range(ntypes)] != listed:
            return None
        i = listed.index([np.dtype(dtype).num] * nargs)
        if data and ctypes.c_void_p.from_address(data + 8 * i).value:
            return None
        return ctypes.c_void_p.from_address(functions + 8 * i).value or None
    except (ValueError, TypeError, OSError):  # pragma: no cover - not a NumPy ufunc layout
        return None


def numpy_loops(dtype) -> np.ndarray | None:
    """The addresses of NumPy's exp, log1p, log and tanh loops for ``dtype`` (float32 or
    float64), in ``_kernels``' order (EXP, LOG1P, LOG, TANH), as an intp array; None where
    they cannot be read (then the compiled losses and tanh are not used: the NumPy ones are)."""
    key = np.dtype(dtype)
    if key not in _LOOPS:
        if key.kind != "f" or key.itemsize not in (4, 8) or ctypes.sizeof(ctypes.c_void_p) != 8:
            _LOOPS[key] = None
        else:
            ufuncs = (np.exp, np.log1p, np.log, np.tanh)
            found = [_loop_address(u, key) for u in ufuncs]
            ok = None not in found and all(_loop_agrees(u, f, key) for u, f in zip(ufuncs, found))
            _LOOPS[key] = np.array(found, np.intp) if ok else None
    return _LOOPS[key]


def _loop_agrees(ufunc, address: int, dtype) -> bool:
    """Whether the loop at ``address`` gives ``ufunc``'s results on a probe vector (called
    through ctypes): a NumPy that runs another loop than its legacy table's is not used."""
    x = np.linspace(0.001, 20.0, 67, dtype=dtype)
    out = np.zeros_like(x)
    loop = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                            ctypes.c_void_p)(address)
    args = (ctypes.c_void_p * 2)(x.ctypes.data, out.ctypes.data)
    dims = (ctypes.c_ssize_t * 1)(x.size)
    steps = (ctypes.c_ssize_t * 2)(x.itemsize, out.itemsize)
    loop(args, dims, steps, None)
    return np.array_equal(out, ufunc(x))


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def engine_choice(engine: str | None = None) -> str:
    """``numpy`` / ``numba`` / ``auto`` from the argument, else ``PROBNN_ENGINE``, else auto."""
    choice = (engine or os.environ.get("PROBNN_ENGINE") or "auto").strip().lower()
    if choice not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'numba'; found {choice!r}")
    return choice


def _build():
    from probnn.network import _kernels as m

    names = ("adam", "adamw", "sgd_plain", "sgd_momentum", "rmsprop", "average", "bias_relu",
             "relu_mask_colsum", "categorical_labels", "bernoulli", "normal", "mixture_normal",
             "mixture_studentt")
    from probnn.network import _kernels_counts as counts

    return {**{name: getattr(m, name) for name in names},
            "negative_binomial": counts.negative_binomial}


def kernels() -> dict:
    """The compiled kernels (numba is imported here, on first use)."""
    global _KERNELS
    if _KERNELS is None:
        from probnn.network import _step

        k = _build()
        k.update(_step.build(k))
        _KERNELS = k
    return _KERNELS


def preload(dispatcher, args: tuple) -> bool:
    """Load ``dispatcher``'s machine code for ``args``' types from numba's on-disk cache,
    without the typing refresh numba's own first call does; True if it is loaded now.

    Numba's first call of a cached function first installs every typing and lowering
    registry it has (``BaseContext.refresh``: 0.13-0.15 CPU s here, a third of what the
    compiled path cost a process's first fit), which only compiling needs; loading machine
    code needs numba's runtime (``rtsys.initialize``) and the helper symbols its target
    context installs. This is numba's ``Dispatcher.compile`` cache branch without the
    refresh, under numba's compiler lock. On anything unexpected (another numba, a cache
    miss) it does nothing and the call loads or compiles as numba does.
    """
    try:
        sig = tuple(dispatcher.typeof_pyval(a) for a in args)
        if sig in dispatcher.overloads:
            return False
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.runtime import rtsys

        ctx = dispatcher.targetctx
        with global_compiler_lock:
            rtsys.initialize(ctx)
            cres = dispatcher._cache._load_overload(sig, ctx)
            if cres is None or cres.objectmode:
                return False
            ctx.insert_user_function(cres.entry_point, cres.fndesc, [cres.library])
            dispatcher.add_overload(cres)
        return True
    except Exception:  # pragma: no cover - numba's internals moved: its own path
        return False


def enable_for(optimizer, n_steps: float, engine: str | None = None, network=None, *,
               trainer=None, batch_size: int | None = None, whole_step: bool = False) -> bool:
    """Switch ``optimizer`` (and ``network``'s relu layers) to the fused kernels if the engine
    choice says so; True if it did.

    Under ``auto``: for a fit the whole compiled step can take (``whole_step``, as
    ``_engine.unsupported`` decides, with ``trainer`` and ``batch_size`` given),
    :func:`compiled_step_pays`; for the others (dropout, other activations),
    ``n_params * n_steps >= FAST_MIN_WORK``.
    """
    choice = engine_choice(engine)
    if choice == "numpy":
        return False
    if choice == "numba" and not numba_available():
        raise ImportError("PROBNN_ENGINE=numba needs numba: pip install 'probnn[fast]'")
    if choice == "auto":
        if not numba_available():
            return False
        if whole_step and trainer is not None and batch_size:
            if not compiled_step_pays(trainer.network.layer_sizes, batch_size, n_steps,
                                      trainer.early_stopping):
                return False
        elif optimizer._tmp.size * float(n_steps) < FAST_MIN_WORK:
            return False
    k = kernels()
    optimizer.use_fused(k)
    if network is not None:
        network.use_fused(k)
    return True


# ------------------------------------------------------------ fused losses
# Contract: a fused loss replaces ``family._loss_gradient(raw, y, need_gradient)`` on the
# Trainer's trusted path only, where the targets were validated once per epoch by
# ``family.check_target`` (labels within the raw columns; float targets cast to raw's dtype)
# and ``raw`` is the network's C-contiguous (n, n_outputs) output. It does not check them
# again. It returns fresh ``(loss (n,), grad (n, n_outputs))`` that agree with the NumPy
# family to float32 rounding (tests/test_network_fast.py), and hands anything outside its hot path
# (one-hot categorical targets, loss without gradient) to the family's own method.


_PRELOADED: set = set()


def _run(name: str, *args) -> None:
    """``kernels()[name](*args)``; the first call for a dtype loads the kernel's cached
    machine code without numba's typing refresh (:func:`preload`)."""
    fn = kernels()[name]
    key = (name, args[0].dtype.str)
    if key not in _PRELOADED:
        _PRELOADED.add(key)
        preload(fn, args)
    fn(*args)


# Full-batch (L-BFGS) fits: a compiled loss saves ~0.27 us per row and evaluation
# (mixture-normal, 4,000 x 9 float32: 1.37 ms NumPy, 0.29 ms compiled per call, AMD EPYC,
# 1 thread); it pays where that exceeds loading one more kernel (LOAD_COST_S) over the
# fit's max_iter evaluations.
LBFGS_MIN_ROW_EVALS = LOAD_COST_S / 0.27e-6


def lbfgs_loss_for(family, n_rows: int, max_iter: int, engine: str | None = None):
    """The fused loss (:func:`loss_kernel_for`) for a full-batch fit of ``n_rows`` rows, or
    None: ``numpy`` never, ``numba`` always (an error if numba is missing), ``auto`` where
    numba's kernels are loaded in this process already (a compiled step loaded them: no
    import) and ``n_rows * max_iter`` reaches :data:`LBFGS_MIN_ROW_EVALS`."""
    choice = engine_choice(engine)
    if choice == "numpy":
        return None
    if choice == "numba":
        if not numba_available():
            raise ImportError("PROBNN_ENGINE=numba needs numba: pip install 'probnn[fast]'")
        return loss_kernel_for(family)
    if _KERNELS is None or float(n_rows) * max_iter < LBFGS_MIN_ROW_EVALS:
        return None
    fn = loss_kernel_for(family)
    if fn is None or not _kernel_ready(_KERNEL_NAMES[fn.func]):
        return None
    return fn


def _kernel_ready(name: str) -> bool:
    """Whether kernel ``name`` of ``_kernels`` is compiled in this process or held by
    numba's on-disk cache (where :func:`_cache_warm` looks): else calling it compiles it,
    seconds that an L-BFGS fit under ``auto`` does not spend."""
    if kernels()[name].overloads:
        return True
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.environ.get("NUMBA_CACHE_DIR"), os.path.join(here, "__pycache__"),
             os.path.join(os.path.expanduser("~"), ".cache", "numba")]
    for root in filter(None, roots):
        pattern = os.path.join(root, "**", f"_kernels*.{name}-*.nbi")
        if os.path.isdir(root) and next(iter(glob.iglob(pattern, recursive=True)), None):
            return True
    return False


def _categorical(family, raw, y, need_gradient):
    if y.ndim != 1 or not need_gradient:
        return family._loss_gradient(raw, y, need_gradient)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty(raw.shape, raw.dtype)
    _run("categorical_labels", raw, y, loss, grad, numpy_loops(raw.dtype))
    return loss, grad


def _bernoulli(family, raw, y, need_gradient):
    if not need_gradient:
        return family._loss_gradient(raw, y, need_gradient)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.dtype != raw.dtype:
        y = y.astype(raw.dtype)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty(raw.shape, raw.dtype)
    _run("bernoulli", raw, y, loss, grad, numpy_loops(raw.dtype))
    return loss, grad


def _normal_like(kernel: str, family, raw, y, need_gradient, *more):
    """The compiled loss ``kernel`` ("normal" or "mixture_normal": the same constants, a
    scale's softplus series and log sqrt(2 pi), then ``more``, the mixture's min_scale), or
    the family's NumPy loss without a gradient."""
    if not need_gradient:
        return family._loss_gradient(raw, y, need_gradient)
    from probnn.families.base import _SCALE_SERIES_BELOW
    from probnn.families.normal import HALF_LOG_2PI  # (mixture_normal's is the same float)

    dt = raw.dtype.type
    if y.dtype != raw.dtype:
        y = y.astype(raw.dtype)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty(raw.shape, raw.dtype)
    _run(kernel, raw, y, loss, grad, dt(0.5), dt(_SCALE_SERIES_BELOW), dt(HALF_LOG_2PI),
         *(dt(c) for c in more), numpy_loops(raw.dtype))
    return loss, grad


def _normal(family, raw, y, need_gradient):
    return _normal_like("normal", family, raw, y, need_gradient)


def _mixture_normal(family, raw, y, need_gradient):
    return _normal_like("mixture_normal", family, raw, y, need_gradient, family.min_scale)


def _mixture_studentt(family, raw, y, need_gradient):
    """The compiled t-mixture loss (its floor ``min_scale`` included), its scalars as the
    NumPy path computes them in raw's dtype; NumPy's loss without a gradient or on one row
    broadcast (the constant model's objective)."""
    if not need_gradient or raw.strides[0] == 0:
        return family._loss_gradient(raw, y, need_gradient)
    from probnn.families.base import _SCALE_SERIES_BELOW

    dt = raw.dtype.type
    nu = dt(family.df)
    if y.dtype != raw.dtype:
        y = y.astype(raw.dtype)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty(raw.shape, raw.dtype)
    _run("mixture_studentt", raw, y, loss, grad, dt(0.5), dt(_SCALE_SERIES_BELOW), nu + 1,
         dt(0.5) * (nu + 1), dt(family._log_df), dt(family._constant),
         dt(1 / family.n_components), dt(2), dt(family.min_scale), numpy_loops(raw.dtype))
    return loss, grad


_SPECIAL: list = []


def special_functions() -> np.ndarray | None:
    """The addresses of scipy's C ``gammaln`` and ``digamma`` (``cython_special``, in
    ``_kernels_counts``' order), as an intp array; None unless each gives its ufunc's results
    bit for bit on a probe vector (then the compiled count losses are not used)."""
    if not _SPECIAL:
        _SPECIAL.append(None)
        try:
            from scipy import special

            from numba.core.extending import get_cython_function_address as address

            found = [address("scipy.special.cython_special", name)
                     for name in ("gammaln", "__pyx_fuse_1psi")]
            signature = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_int)
            x = np.concatenate([np.linspace(1e-3, 30.0, 97), np.geomspace(1e-30, 1e30, 61),
                                np.arange(0.0, 200.0)])
            for ufunc, at in zip((special.gammaln, special.digamma), found):
                got = np.array([signature(at)(v, 0) for v in x])
                if not np.array_equal(got.view(np.int64), ufunc(x).view(np.int64)):
                    return None
            _SPECIAL[0] = np.array(found, np.intp)
        except Exception:  # pragma: no cover - another scipy: its names or signatures moved
            return None
    return _SPECIAL[0]


def _negative_binomial(family, raw, y, need_gradient):
    """The compiled NB2 loss (``_kernels_counts``); the family's NumPy loss without a
    gradient, on one row broadcast, or where a count reaches the saddle-point form's
    threshold (those rows are NumPy's)."""
    from probnn.distributions.poisson import _SADDLE_TRAINING_FROM
    from probnn.families.base import _SCALE_SERIES_BELOW
    from probnn.distributions.negative_binomial import _SERIES_BELOW_ALPHA

    special = special_functions()
    if (not need_gradient or special is None or raw.strides[0] == 0 or y.ndim != 1
            or raw.shape[0] == 0 or not np.max(y) < _SADDLE_TRAINING_FROM):
        return family._loss_gradient(raw, y, need_gradient)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty(raw.shape, raw.dtype)
    _run("negative_binomial", raw, y, loss, grad, float(_SCALE_SERIES_BELOW),
         float(_SERIES_BELOW_ALPHA), numpy_loops(np.float64), special)
    return loss, grad


def _hurdle_negative_binomial(family, raw, y, need_gradient):
    """The hurdle family's NumPy loss with its count part's NB2 loss compiled
    (:func:`_negative_binomial`, bit-identical), the truncation and the zero part NumPy's."""
    count = family._count
    if not need_gradient or loss_kernel_for(count) is None:
        return family._loss_gradient(raw, y, need_gradient)
    return family._loss_gradient(raw, y, need_gradient,
                                 count_loss_gradient=functools.partial(_negative_binomial, count))


# (module, class name) of each family with a fused loss: looked up lazily, so this module
# imports no family and a renamed or removed class only means the NumPy loss is used
_LOSSES = {
    ("probnn.families.categorical", "CategoricalFamily"): _categorical,
    ("probnn.families.bernoulli", "BernoulliFamily"): _bernoulli,
    ("probnn.families.normal", "NormalFamily"): _normal,
    ("probnn.families.mixture_normal", "MixtureNormalFamily"): _mixture_normal,
    ("probnn.families.mixture_studentt", "MixtureStudentTFamily"): _mixture_studentt,
    ("probnn.families.negative_binomial", "NegativeBinomialFamily"): _negative_binomial,
    ("probnn.families.hurdle_negative_binomial", "HurdleNegativeBinomialFamily"):
        _hurdle_negative_binomial,
}


# each fused loss's kernel in ``_kernels``
_KERNEL_NAMES = {_categorical: "categorical_labels", _bernoulli: "bernoulli", _normal: "normal",
                 _mixture_normal: "mixture_normal", _mixture_studentt: "mixture_studentt",
                 _negative_binomial: "negative_binomial",
                 _hurdle_negative_binomial: "negative_binomial"}


def loss_kernel_for(family):
    """The fused ``(raw, y, need_gradient) -> (loss, grad)`` for ``family``, or None.

    Only for an instance of exactly a listed class whose ``_loss_gradient`` is that class's
    own (a subclass that overrides it keeps its NumPy method), and whose
    ``compiled_loss_applies`` is not false (a family with parameters its kernel does not
    take may say so). See the contract above.
    """
    import importlib

    cls = type(family)
    fn = _LOSSES.get((cls.__module__, cls.__name__))
    if fn is None or numpy_loops(np.float32) is None or numpy_loops(np.float64) is None:
        return None
    if not getattr(family, "compiled_loss_applies", True):  # parameters the kernel lacks
        return None
    try:
        listed = getattr(importlib.import_module(cls.__module__), cls.__name__)
    except (ImportError, AttributeError):
        return None
    if listed is not cls:
        return None
    return functools.partial(fn, family)
