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
  labels, bernoulli, normal; the NumPy families' formulas row by row, agreeing with them to
  float32 rounding (libm's exp / log1p instead of NumPy's SIMD ones; tested, +-1e4 included).

Imported only by :func:`enable_for` when a fit is large enough for compilation to pay and
numba is importable; ``import probnn`` never imports numba. Compiled machine code is cached
(``cache=True``: beside this module, or numba's user cache folder when that is read-only).
Serial loops: ``parallel=True`` measured slower at these sizes (it fights OpenBLAS's
spinning worker thread).

``PROBNN_ENGINE`` chooses the path: ``numpy`` (never compile), ``numba`` (always, an error
if numba is missing), ``auto`` (default: numba when importable and
``n_params * steps >= FAST_MIN_WORK``).
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np

__all__ = ["FAST_MIN_WORK", "engine_choice", "enable_for", "loss_kernel_for", "numba_available"]

# n_params x optimiser steps above which compiling pays, measured (python -m
# bench.tools.profile_probnn --compile-cost / --isolated, AMD EPYC, 1 BLAS thread, CPU time): the
# compiled path adds 0.65-1.1 CPU s to a fit with numba's cache warm (import numba, load the
# cached kernels; 2.5-3.3 s the first time, when it compiles them) and saves 2-5 ns per
# parameter and step at 784-{64,256,1024}-10, batch 128 (optimiser, loss, relu layers). At
# 5e8 the saving is 1-2.5 s: about break-even with a warm cache, a clear gain above.
FAST_MIN_WORK = 5e8

_KERNELS = None


def numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def engine_choice(engine: str | None = None) -> str:
    """``numpy`` / ``numba`` / ``auto`` from the argument, else ``PROBNN_ENGINE``, else auto."""
    choice = (engine or os.environ.get("PROBNN_ENGINE") or "auto").strip().lower()
    if choice not in ("auto", "numpy", "numba"):
        raise ValueError(f"engine must be 'auto', 'numpy' or 'numba'; found {choice!r}")
    return choice


def _build():
    import numba
    import numpy as np

    jit = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)

    @jit
    def adam(p, g, m, v, b1, b2, eps, factor):
        for i in range(p.shape[0]):
            gi = g[i]
            mi = m[i] * b1 + gi
            vi = v[i] * b2 + gi * gi
            m[i] = mi
            v[i] = vi
            p[i] += mi / (np.sqrt(vi) + eps) * factor

    @jit
    def adamw(p, g, m, v, b1, b2, eps, factor, decay):
        for i in range(p.shape[0]):
            gi = g[i]
            mi = m[i] * b1 + gi
            vi = v[i] * b2 + gi * gi
            m[i] = mi
            v[i] = vi
            pi = p[i] * decay
            p[i] = pi + mi / (np.sqrt(vi) + eps) * factor

    @jit
    def sgd_plain(p, g, neg_lr):
        for i in range(p.shape[0]):
            p[i] += g[i] * neg_lr

    @jit
    def sgd_momentum(p, g, v, mu, neg_lr, first, nesterov):
        for i in range(p.shape[0]):
            gi = g[i]
            if first:
                vi = gi
            else:
                vi = v[i] * mu + gi
            v[i] = vi
            if nesterov:
                p[i] += (vi * mu + gi) * neg_lr
            else:
                p[i] += vi * neg_lr

    @jit
    def rmsprop(p, g, v, rho, one_minus_rho, eps, neg_lr):
        for i in range(p.shape[0]):
            gi = g[i]
            vi = v[i] * rho + gi * gi * one_minus_rho
            v[i] = vi
            p[i] += gi / (np.sqrt(vi) + eps) * neg_lr

    @jit
    def average(a, p, c):
        # the Trainer's moving average of the weights: a += (p - a) * c, in NumPy's order
        for i in range(a.shape[0]):
            ai = a[i]
            a[i] = ai + (p[i] - ai) * c

    # ---------------------------------------------------------------- network
    @jit
    def bias_relu(a, b):
        # a <- maximum(a + b, 0) in place, as NumPy's ``a += b; maximum(a, 0)``: NaN kept,
        # -0.0 kept (maximum returns its first operand when the two compare equal)
        n, h = a.shape
        zero = a.dtype.type(0)
        for i in range(n):
            for j in range(h):
                v = a[i, j] + b[j]
                a[i, j] = zero if v < zero else v

    @jit
    def relu_mask_colsum(d, a, gb):
        # d <- d * [a > 0] (NumPy's ``multiply(d, a > 0)``: d * 1 or d * 0, so -0.0 and NaN
        # as NumPy), and gb <- the column sums of the new d, accumulated in float64
        n, h = d.shape
        one = d.dtype.type(1)
        zero = d.dtype.type(0)
        acc = np.zeros(h, np.float64)
        for i in range(n):
            for j in range(h):
                x = d[i, j] * (one if a[i, j] > zero else zero)
                d[i, j] = x
                acc[j] += x
        for j in range(h):
            gb[j] = acc[j]

    # ------------------------------------------------------------------ losses
    @jit
    def categorical_labels(raw, y, loss, grad):
        # softmax cross-entropy on integer labels, CategoricalFamily._loss_gradient's formulas
        # row by row: shift by the row maximum, log1p of the other classes' sum, pi_top - 1
        # as -rest / (1 + rest) without cancellation
        n, c = raw.shape
        one = raw.dtype.type(1)
        zero = raw.dtype.type(0)
        for i in range(n):
            top = 0
            m = raw[i, 0]
            for j in range(1, c):
                if raw[i, j] > m:
                    m = raw[i, j]
                    top = j
            rest = zero
            for j in range(c):
                e = np.exp(raw[i, j] - m)
                grad[i, j] = e
                if j != top:
                    rest += e
            yi = y[i]
            loss[i] = np.log1p(rest) - (raw[i, yi] - m)
            p_top = one / (one + rest)
            for j in range(c):
                grad[i, j] *= p_top
            grad[i, top] = p_top
            if yi == top:
                grad[i, top] = -(rest * p_top)
            else:
                grad[i, yi] -= one

    @jit
    def bernoulli(raw, y, loss, grad):
        # BernoulliFamily._loss_gradient: nll = softplus(s z), grad = s sigmoid(s z), s = 1 - 2y,
        # from e = exp(-|t|) (never overflows) as probnn.families.base.softplus_sigmoid
        n, k = raw.shape
        one = raw.dtype.type(1)
        two = raw.dtype.type(2)
        zero = raw.dtype.type(0)
        for i in range(n):
            total = zero
            for j in range(k):
                s = one - two * y[i, j]
                t = s * raw[i, j]
                e = np.exp(-abs(t))
                total += (t if t > zero else zero) + np.log1p(e)
                inv = one / (one + e)
                grad[i, j] = (inv if t >= zero else e * inv) * s
            loss[i] = total

    @jit
    def normal(raw, y, loss, grad, half, series_below, half_log_2pi):
        # NormalFamily._loss_gradient: mu = z1, sigma = softplus(z2) with log sigma and
        # d log sigma / dz2 from the series below series_below (probnn.families.base.
        # softplus_scale), and 0 / 0 = 0 for a zero residual (safe_divide)
        n = raw.shape[0]
        one = raw.dtype.type(1)
        zero = raw.dtype.type(0)
        for i in range(n):
            z1 = raw[i, 0]
            z2 = raw[i, 1]
            e = np.exp(-abs(z2))
            scale = (z2 if z2 > zero else zero) + np.log1p(e)
            half_e = half * e
            if z2 < series_below:
                log_scale = z2 - half_e
                dlog = one - half_e
            else:
                log_scale = np.log(scale)
                inv = one / (one + e)
                dlog = (inv if z2 >= zero else e * inv) / scale
            num = y[i] - z1
            r = num / scale if num != zero else zero
            r2 = r * r
            loss[i] = half * r2 + log_scale + half_log_2pi
            grad[i, 0] = -r / scale if r != zero else zero
            grad[i, 1] = (one - r2) * dlog

    return {"adam": adam, "adamw": adamw, "sgd_plain": sgd_plain,
            "sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "average": average,
            "bias_relu": bias_relu,
            "relu_mask_colsum": relu_mask_colsum, "categorical_labels": categorical_labels,
            "bernoulli": bernoulli, "normal": normal}


def kernels() -> dict:
    """The compiled kernels (numba is imported here, on first use)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _build()
    return _KERNELS


def enable_for(optimizer, n_steps: float, engine: str | None = None, network=None) -> bool:
    """Switch ``optimizer`` (and ``network``'s relu layers) to the fused kernels if the engine
    choice says so; True if it did."""
    choice = engine_choice(engine)
    if choice == "numpy":
        return False
    if choice == "auto" and (not numba_available()
                             or optimizer._tmp.size * float(n_steps) < FAST_MIN_WORK):
        return False
    if choice == "numba" and not numba_available():
        raise ImportError("PROBNN_ENGINE=numba needs numba: pip install 'probnn[fast]'")
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


def _categorical(family, raw, y, need_gradient):
    if y.ndim != 1 or not need_gradient:
        return family._loss_gradient(raw, y, need_gradient)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty_like(raw)
    kernels()["categorical_labels"](raw, y, loss, grad)
    return loss, grad


def _bernoulli(family, raw, y, need_gradient):
    if not need_gradient:
        return family._loss_gradient(raw, y, need_gradient)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.dtype != raw.dtype:
        y = y.astype(raw.dtype)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty_like(raw)
    kernels()["bernoulli"](raw, y, loss, grad)
    return loss, grad


def _normal(family, raw, y, need_gradient):
    if not need_gradient:
        return family._loss_gradient(raw, y, need_gradient)
    from probnn.families.base import _SCALE_SERIES_BELOW
    from probnn.families.normal import HALF_LOG_2PI

    dt = raw.dtype.type
    if y.dtype != raw.dtype:
        y = y.astype(raw.dtype)
    loss = np.empty(raw.shape[0], raw.dtype)
    grad = np.empty_like(raw)
    kernels()["normal"](raw, y, loss, grad, dt(0.5), dt(_SCALE_SERIES_BELOW), dt(HALF_LOG_2PI))
    return loss, grad


# (module, class name) of each family with a fused loss: looked up lazily, so this module
# imports no family and a renamed or removed class only means the NumPy loss is used
_LOSSES = {
    ("probnn.families.categorical", "CategoricalFamily"): _categorical,
    ("probnn.families.bernoulli", "BernoulliFamily"): _bernoulli,
    ("probnn.families.normal", "NormalFamily"): _normal,
}


def loss_kernel_for(family):
    """The fused ``(raw, y, need_gradient) -> (loss, grad)`` for ``family``, or None.

    Only for an instance of exactly a listed class whose ``_loss_gradient`` is that class's
    own (a subclass that overrides it keeps its NumPy method). See the contract above.
    """
    import importlib

    cls = type(family)
    fn = _LOSSES.get((cls.__module__, cls.__name__))
    if fn is None:
        return None
    try:
        listed = getattr(importlib.import_module(cls.__module__), cls.__name__)
    except (ImportError, AttributeError):
        return None
    if listed is not cls:
        return None
    return functools.partial(fn, family)
