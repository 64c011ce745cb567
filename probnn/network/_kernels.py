"""The compiled kernels of ``probnn.network._fast`` (numba), at module level so that numba's
on-disk cache finds them again in the next process (``cache=True``; a kernel defined inside a
function and calling another is recompiled by every process: its cache key holds the callee).

Imported only through ``_fast.kernels()``; ``import probnn`` never imports numba.
"""

from __future__ import annotations

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
