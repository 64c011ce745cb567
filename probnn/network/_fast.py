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
# bench.profile_probnn --compile-cost / --isolated, AMD EPYC, 1 BLAS thread, CPU time): the
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
    from probnn.network import _kernels as m

    names = ("adam", "adamw", "sgd_plain", "sgd_momentum", "rmsprop", "average", "bias_relu",
             "relu_mask_colsum", "categorical_labels", "bernoulli", "normal")
    return {name: getattr(m, name) for name in names}


def kernels() -> dict:
    """The compiled kernels (numba is imported here, on first use)."""
    global _KERNELS
    if _KERNELS is None:
        from probnn.network import _step

        k = _build()
        k.update(_step.build(k))
        _KERNELS = k
    return _KERNELS


def compiled_steps(trainer, batch_size: int):
    """The compiled whole step (:class:`probnn.network._engine.CompiledSteps`) for
    ``trainer``'s fit with batches of up to ``batch_size`` rows, or None where the fit keeps
    the NumPy loop (``_engine.unsupported`` says why)."""
    from probnn.network import _engine

    if _engine.unsupported(trainer) is not None:
        return None
    return _engine.CompiledSteps(trainer, kernels(), batch_size)


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
# family to float32 rounding (tests/test_fast.py), and hands anything outside its hot path
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
