"""Optional compiled optimiser steps (numba): one pass over the parameters instead of ~10.

Imported only by :func:`enable_for` when a fit is large enough for compilation to pay and
numba is importable; ``import probnn`` never imports numba. Each kernel repeats the NumPy
update of :mod:`probnn.network.optimizers` operation for operation, in the same order and in
the buffers' dtype (scalars are cast to it first, as NumPy 2 does with Python floats), with
no fast-math (no reassociation, no fused multiply-add), so the weights are bit-identical to
the NumPy path's (tested). Serial loops: ``parallel=True`` measured slower at these sizes.

``PROBNN_ENGINE`` chooses the path: ``numpy`` (never compile), ``numba`` (always, an error
if numba is missing), ``auto`` (default: numba when importable and
``n_params * steps >= FAST_MIN_WORK``).
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["FAST_MIN_WORK", "engine_choice", "enable_for", "numba_available"]

# n_params x optimiser steps above which compiling pays: the first compilation of a kernel
# costs about a second (a cached one ~50 ms) and the fused step saves ~2 ns per parameter
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

    return {"adam": adam, "adamw": adamw, "sgd_plain": sgd_plain,
            "sgd_momentum": sgd_momentum, "rmsprop": rmsprop}


def kernels() -> dict:
    """The compiled kernels (numba is imported here, on first use)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = _build()
    return _KERNELS


def enable_for(optimizer, n_steps: float, engine: str | None = None) -> bool:
    """Switch ``optimizer`` to its fused kernel if the engine choice says so; True if it did."""
    choice = engine_choice(engine)
    if choice == "numpy":
        return False
    if choice == "auto" and (not numba_available()
                             or optimizer._tmp.size * float(n_steps) < FAST_MIN_WORK):
        return False
    if choice == "numba" and not numba_available():
        raise ImportError("PROBNN_ENGINE=numba needs numba: pip install 'probnn[fast]'")
    optimizer.use_fused(kernels())
    return True
