"""The compiled kernels of ``probnn.network._fast`` (numba), at module level so that numba's
on-disk cache finds them again in the next process (``cache=True``; a kernel defined inside a
function and calling another is recompiled by every process: its cache key holds the callee).

Imported only through ``_fast.kernels()``; ``import probnn`` never imports numba.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

jit = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)


# ------------------------------------------------- NumPy's own elementwise loops
# exp, log1p, log and tanh are NumPy's inner loops (``_fast.numpy_loops``: the addresses of
# the ufuncs' float32 / float64 loops, SIMD ones where the CPU has them), called on the same
# contiguous vectors as the NumPy path: libm's functions round differently (float32 exp in
# about 4 of 10 arguments on AVX-512), and the paths would part at the first step.
EXP, LOG1P, LOG, TANH = 0, 1, 2, 3


@intrinsic
def _call_loop(typingctx, fn, args, dims, steps):
    """``fn(args, dims, steps, NULL)``: a NumPy inner loop (PyUFuncGenericFunction) at the
    address ``fn``; the other arguments are addresses of its pointer / length / stride
    arrays."""
    def codegen(context, builder, signature, llargs):
        i8p = ir.IntType(8).as_pointer()
        i64p = ir.IntType(64).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), i64p, i64p, i8p])
        f = builder.inttoptr(llargs[0], fnty.as_pointer())
        builder.call(f, [builder.inttoptr(llargs[1], i8p.as_pointer()),
                         builder.inttoptr(llargs[2], i64p), builder.inttoptr(llargs[3], i64p),
                         ir.Constant(i8p, None)])
        return context.get_dummy_value()

    return types.none(types.intp, types.intp, types.intp, types.intp), codegen


@jit
def numpy_loop(fn, x, out, n):
    """``out[:n] = f(x[:n])`` through NumPy's loop at ``fn`` (contiguous vectors of the same
    dtype; ``out`` may be ``x``, as NumPy's ``out=``)."""
    work = np.empty(5, np.intp)
    work[0] = x.ctypes.data
    work[1] = out.ctypes.data
    work[2] = n
    work[3] = x.itemsize
    work[4] = out.itemsize
    base = work.ctypes.data
    _call_loop(fn, base, base + 2 * work.itemsize, base + 3 * work.itemsize)


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
# The families' NumPy formulas as the NumPy path runs them: the same operations on the same
# vectors in the same order, exp / log1p / log through NumPy's loops (``fns``, indexed by
# EXP, LOG1P, LOG), sums along a row as NumPy's (``row_sum``). Bit-identical to the family's
# ``_loss_gradient`` (tests/test_network_fast.py).


@jit
def row_sum(a, lo, n):
    """``a[lo:lo + n].sum()`` as NumPy sums a row of a C-contiguous matrix, in its dtype:
    sequential under 8 terms, else 8 running sums combined as a tree, then the rest (rows of
    up to 128 terms: a family's outputs)."""
    res = a.dtype.type(0)
    if n < 8:
        for i in range(n):
            res += a[lo + i]
        return res
    r = np.empty(8, a.dtype)
    for j in range(8):
        r[j] = a[lo + j]
    i = 8
    while i < n - (n % 8):
        for j in range(8):
            r[j] += a[lo + i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jit
def categorical_labels(raw, y, loss, grad, fns):
    # CategoricalFamily._loss_gradient on integer labels: shift by the row maximum (the
    # first maximum, as argmax), exp of the shifted matrix, the other classes' sum, log1p of
    # it, pi_top - 1 as -rest / (1 + rest) without cancellation
    n, c = raw.shape
    one = raw.dtype.type(1)
    zero = raw.dtype.type(0)
    top = np.empty(n, np.int64)
    shifted = np.empty(n * c, raw.dtype)
    for i in range(n):
        t = 0
        m = raw[i, 0]
        for j in range(1, c):
            if raw[i, j] > m:
                m = raw[i, j]
                t = j
        top[i] = t
        for j in range(c):
            shifted[i * c + j] = raw[i, j] - m
    e = grad.reshape(n * c)
    numpy_loop(fns[0], shifted, e, n * c)
    rest = np.empty(n, raw.dtype)
    for i in range(n):
        e[i * c + top[i]] = zero
        rest[i] = row_sum(e, i * c, c)
    log_total = np.empty(n, raw.dtype)
    numpy_loop(fns[1], rest, log_total, n)
    for i in range(n):
        yi = y[i]
        t = top[i]
        loss[i] = log_total[i] - shifted[i * c + yi]
        p_top = one / (one + rest[i])
        for j in range(c):
            grad[i, j] *= p_top
        grad[i, t] = p_top
        grad[i, yi] -= one
        if yi == t:
            grad[i, t] = -(rest[i] * p_top)


@jit
def _softplus_sigmoid_rows(t, n, k, loss, grad, sign, fns):
    # probnn.families.base.softplus_sigmoid on t (n * k), its rows summed into loss and the
    # sigmoid times sign into grad: e = exp(-|t|), softplus = maximum(t, 0) + log1p(e)
    zero = t.dtype.type(0)
    one = t.dtype.type(1)
    m = n * k
    a = np.empty(m, t.dtype)
    for i in range(m):
        a[i] = -abs(t[i])
    e = np.empty(m, t.dtype)
    numpy_loop(fns[0], a, e, m)
    sp = np.empty(m, t.dtype)
    numpy_loop(fns[1], e, sp, m)
    for i in range(m):
        ti = t[i]
        sp[i] = (ti if (ti >= zero or ti != ti) else zero) + sp[i]  # maximum(t, 0): NaN kept
        inv = one / (one + e[i])
        grad[i] = (inv if ti >= zero else e[i] * inv) * sign[i]
    for i in range(n):
        loss[i] = row_sum(sp, i * k, k)


@jit
def bernoulli(raw, y, loss, grad, fns):
    # BernoulliFamily._loss_gradient: nll = softplus(s z) summed over the outputs,
    # grad = s sigmoid(s z), s = 1 - 2y
    n, k = raw.shape
    one = raw.dtype.type(1)
    two = raw.dtype.type(2)
    sign = np.empty(n * k, raw.dtype)
    t = np.empty(n * k, raw.dtype)
    for i in range(n):
        for j in range(k):
            s = one - two * y[i, j]
            sign[i * k + j] = s
            t[i * k + j] = s * raw[i, j]
    _softplus_sigmoid_rows(t, n, k, loss, grad.reshape(n * k), sign, fns)


@jit
def normal(raw, y, loss, grad, half, series_below, half_log_2pi, fns):
    # NormalFamily._loss_gradient: mu = z1, sigma = softplus(z2) with log sigma and
    # d log sigma / dz2 from the series below series_below (probnn.families.base.
    # softplus_scale), and 0 / 0 = 0 for a zero residual (safe_divide)
    n = raw.shape[0]
    one = raw.dtype.type(1)
    zero = raw.dtype.type(0)
    a = np.empty(n, raw.dtype)
    for i in range(n):
        a[i] = -abs(raw[i, 1])
    e = np.empty(n, raw.dtype)
    numpy_loop(fns[0], a, e, n)
    scale = np.empty(n, raw.dtype)
    numpy_loop(fns[1], e, scale, n)
    for i in range(n):
        z2 = raw[i, 1]
        s = (z2 if (z2 >= zero or z2 != z2) else zero) + scale[i]  # maximum(z2, 0)
        scale[i] = s
        a[i] = one if z2 < series_below else s  # log(1) in the tail, which where() drops
    log_scale = np.empty(n, raw.dtype)
    numpy_loop(fns[2], a, log_scale, n)
    for i in range(n):
        z1 = raw[i, 0]
        z2 = raw[i, 1]
        ei = e[i]
        sc = scale[i]
        half_e = half * ei
        if z2 < series_below:
            ls = z2 - half_e
            dlog = one - half_e
        else:
            ls = log_scale[i]
            inv = one / (one + ei)
            dlog = (inv if z2 >= zero else ei * inv) / sc
        num = y[i] - z1
        r = num / sc if num != zero else zero
        r2 = r * r
        loss[i] = half * r2 + ls + half_log_2pi
        grad[i, 0] = -r / sc if r != zero else zero
        grad[i, 1] = (one - r2) * dlog


@jit
def _row_max(x, lo, k):
    # np.max of a row: the largest entry, NaN where one is NaN
    m = x[lo]
    for j in range(1, k):
        v = x[lo + j]
        if m != m:
            break
        if v > m or v != v:
            m = v
    return m


@jit
def _softplus_scale_columns(raw, n, k, half, series_below, want_log, fns):
    # softplus_scale of the s columns raw[:, 2K:3K] as the mixtures' NumPy path: e =
    # exp(-|s|), scale = maximum(s, 0) + log1p(e), log scale (log of scale, or the series
    # s - e / 2 below series_below; only the series rows are written where want_log is
    # False: a floored scale takes its own log), d log scale / ds. Returns the (n K,)
    # vectors (a, scale, log_scale, dlog); a (the log's argument) is scratch for the caller
    m = n * k
    dt = raw.dtype
    one = dt.type(1)
    zero = dt.type(0)
    a = np.empty(m, dt)
    for i in range(n):
        for j in range(k):
            a[i * k + j] = -abs(raw[i, 2 * k + j])
    e = np.empty(m, dt)
    numpy_loop(fns[0], a, e, m)
    scale = np.empty(m, dt)
    numpy_loop(fns[1], e, scale, m)
    for i in range(n):
        for j in range(k):
            s = raw[i, 2 * k + j]
            q = i * k + j
            scale[q] = (s if (s >= zero or s != s) else zero) + scale[q]  # maximum(s, 0)
            a[q] = one if s < series_below else scale[q]  # log(1) in the tail
    log_scale = np.empty(m, dt)
    if want_log:
        numpy_loop(fns[2], a, log_scale, m)
    dlog = np.empty(m, dt)
    for i in range(n):
        for j in range(k):
            s = raw[i, 2 * k + j]
            q = i * k + j
            eq = e[q]
            half_e = half * eq
            if s < series_below:
                log_scale[q] = s - half_e
                dlog[q] = one - half_e
            else:
                inv = one / (one + eq)
                dlog[q] = (inv if s >= zero else eq * inv) / scale[q]
    return a, scale, log_scale, dlog


@jit
def _log_softmax_weights(raw, n, k, fns):
    # log_softmax of the weight columns raw[:, :K]: shifted = a - row max, ex =
    # exp(shifted), sums = row sums of ex, lse = log(sums); the (n K,) / (n,) vectors
    # (shifted, ex, sums, lse) as NumPy's temporaries
    m = n * k
    dt = raw.dtype
    shifted = np.empty(m, dt)
    for i in range(n):
        top = _row_max(raw[i], 0, k)
        for j in range(k):
            shifted[i * k + j] = raw[i, j] - top
    ex = np.empty(m, dt)
    numpy_loop(fns[0], shifted, ex, m)
    sums = np.empty(n, dt)
    for i in range(n):
        sums[i] = row_sum(ex, i * k, k)
    lse = np.empty(n, dt)
    numpy_loop(fns[2], sums, lse, n)
    return shifted, ex, sums, lse


@jit
def _row_argmax(x, lo, k):
    # np.argmax of a row: the first maximum, or the first NaN
    first = 0
    best = x[lo]
    for j in range(1, k):
        if best != best:
            break
        w = x[lo + j]
        if w > best or w != w:
            best = w
            first = j
    return first


@jit
def _top_logsumexp(terms, n, k, loss, fns):
    # The log-sum-exp of each row of terms (n K,) about its top term (the argmax): e2 =
    # exp(terms - top) (about 0 where the top is -inf), rest = the row sum without the
    # top, loss = -top - log1p(rest) (+inf where no term is finite), gamma = e2 / (1 +
    # rest) (the top's 1 / (1 + rest)). Returns tops (n,), gamma (n K,) and how many rows
    # had no finite term (their gamma is the caller's to set)
    m = n * k
    dt = terms.dtype
    one = dt.type(1)
    zero = dt.type(0)
    tops = np.empty(n, np.int64)
    for i in range(n):
        tops[i] = _row_argmax(terms, i * k, k)
    e2 = np.empty(m, dt)
    for i in range(n):
        l_top = terms[i * k + tops[i]]
        c = l_top if l_top > -np.inf else zero
        for j in range(k):
            e2[i * k + j] = terms[i * k + j] - c
    numpy_loop(fns[0], e2, e2, m)
    rest = np.empty(n, dt)
    for i in range(n):
        e2[i * k + tops[i]] = zero
        rest[i] = row_sum(e2, i * k, k)
    log_rest = np.empty(n, dt)
    numpy_loop(fns[1], rest, log_rest, n)
    lost = 0
    for i in range(n):
        l_top = terms[i * k + tops[i]]
        if l_top > -np.inf:
            loss[i] = -l_top - log_rest[i]
        else:
            loss[i] = np.inf
            lost += 1
        d = one + rest[i]
        for j in range(k):
            e2[i * k + j] = e2[i * k + j] / d  # gamma
        e2[i * k + tops[i]] = one / d
    return tops, e2, lost


@jit
def _mixture_gradient(ex, sums, gamma, d_mu, d_s, n, k, grad):
    # The mixture's gradient (n, 3 K): softmax(a) - gamma for the weight logits; gamma
    # times a component's own d_mu / d_s (n K,) where gamma is positive, else 0 (a
    # component with no responsibility: its d_mu / d_s may be inf or NaN)
    dt = grad.dtype
    zero = dt.type(0)
    for i in range(n):
        s_sum = sums[i]
        for j in range(k):
            q = i * k + j
            g = gamma[q]
            grad[i, j] = ex[q] / s_sum - g
            if g > zero:
                grad[i, k + j] = g * d_mu[q]
                grad[i, 2 * k + j] = g * d_s[q]
            else:
                grad[i, k + j] = zero
                grad[i, 2 * k + j] = zero


@jit
def mixture_normal(raw, y, loss, grad, half, series_below, half_log_2pi, min_scale, fns):
    # MixtureNormalFamily._loss_gradient, operation for operation: softplus_scale of the
    # s columns, sigma = min_scale + softplus(s) where min_scale (in raw's dtype) is not 0
    # (MixtureNormalFamily._scales), r = safe_divide(y - m, sigma), log_softmax(a) -
    # r^2 / 2 - log sigma - log(2 pi) / 2, the log-sum-exp about the row's top term
    # (argmax: the first maximum, or the first NaN), responsibilities, the underflowed
    # rows' nearest components, and the gradient where the responsibility is positive;
    # every (n, K) temporary a contiguous vector as NumPy's, exp / log1p / log through
    # NumPy's loops
    n, k = raw.shape[0], raw.shape[1] // 3  # rows; components (columns a, mu, s)
    m = n * k
    dt = raw.dtype
    one = dt.type(1)
    zero = dt.type(0)
    floored = min_scale != zero
    # (with a floor, log sigma is the log of the floored scale below)
    _, scale, log_scale, dlog = _softplus_scale_columns(raw, n, k, half, series_below,
                                                        not floored, fns)
    if floored:
        # MixtureNormalFamily._scales: sigma = softplus + min_scale, d log sigma / ds =
        # dlog * (softplus / sigma), log sigma = log(sigma) (NumPy's loop, no series)
        for q in range(m):
            sp = scale[q]
            sigma = sp + min_scale
            dlog[q] = dlog[q] * (sp / sigma)
            scale[q] = sigma
        numpy_loop(fns[2], scale, log_scale, m)
    r = np.empty(m, dt)
    for i in range(n):
        yi = y[i]
        for j in range(k):
            q = i * k + j
            sc = scale[q]
            num = yi - raw[i, k + j]
            r[q] = num / sc if num != zero else zero  # safe_divide: 0 / 0 = 0
    shifted, ex, sums, lse = _log_softmax_weights(raw, n, k, fns)
    terms = np.empty(m, dt)
    for i in range(n):
        for j in range(k):
            q = i * k + j
            rq = r[q]
            t = shifted[q] - lse[i]
            t = t - half * (rq * rq)
            t = t - log_scale[q]
            terms[q] = t - half_log_2pi
    # the log-sum-exp about the top term; -inf everywhere: +inf, responsibilities below
    tops, e2, lost = _top_logsumexp(terms, n, k, loss, fns)
    if lost > 0:
        # every density underflowed: the responsibility to the smallest log|y - mu| -
        # log sigma, shared equally between ties (NumPy: bool / count in float64)
        rows = np.empty(lost, np.int64)
        p = 0
        for i in range(n):
            if not terms[i * k + tops[i]] > -np.inf:
                rows[p] = i
                p += 1
        dist = np.empty(lost * k, dt)
        for p in range(lost):
            i = rows[p]
            for j in range(k):
                dist[p * k + j] = abs(y[i] - raw[i, k + j])
        numpy_loop(fns[2], dist, dist, lost * k)
        for p in range(lost):
            i = rows[p]
            for j in range(k):
                dist[p * k + j] = dist[p * k + j] - log_scale[i * k + j]
            low = dist[p * k]
            for j in range(1, k):  # np.min: NaN where one is NaN
                v = dist[p * k + j]
                if low != low:
                    break
                if v < low or v != v:
                    low = v
            count = 0
            for j in range(k):
                if dist[p * k + j] == low:
                    count += 1
            for j in range(k):
                share = (1.0 if dist[p * k + j] == low else 0.0) / count  # 0 / 0: NaN
                e2[i * k + j] = dt.type(share)
    # d (-log p) / d mu and / d s of each component's own density (times gamma below)
    d_mu = np.empty(m, dt)
    d_s = np.empty(m, dt)
    huge = 0
    for q in range(m):
        rq = r[q]
        mr = -rq
        d_mu[q] = mr / scale[q] if mr != zero else zero
        r2 = rq * rq
        if r2 == np.inf:
            huge += 1
        d_s[q] = -((r2 - one) * dlog[q])
    if huge > 0:  # r^2 beyond the floats: mixture_normal._overflowed_scale_term, in logs
        _overflowed_scale_terms(raw, y, r, log_scale, d_s, n, k, huge, fns)
    _mixture_gradient(ex, sums, e2, d_mu, d_s, n, k, grad)


@jit
def _overflowed_scale_terms(raw, y, r, log_scale, d_s, n, k, huge, fns):
    # d_s = -exp(2 (log|y - mu| - log sigma) + log sigmoid(s) - log sigma) where r^2 = inf,
    # log sigmoid(s) = min(s, 0) - log1p(exp(-|s|)), NumPy's loops on the gathered vectors
    dt = raw.dtype
    zero = dt.type(0)
    two = dt.type(2)
    where = np.empty(huge, np.int64)
    res = np.empty(huge, dt)
    s = np.empty(huge, dt)
    p = 0
    for i in range(n):
        for j in range(k):
            q = i * k + j
            rq = r[q]
            if rq * rq == np.inf:
                where[p] = q
                res[p] = abs(y[i] - raw[i, k + j])
                s[p] = raw[i, 2 * k + j]
                p += 1
    e = np.empty(huge, dt)
    for p in range(huge):
        e[p] = -abs(s[p])
    numpy_loop(fns[0], e, e, huge)
    numpy_loop(fns[1], e, e, huge)  # log1p(exp(-|s|))
    numpy_loop(fns[2], res, res, huge)  # log|y - mu|
    for p in range(huge):
        ls = log_scale[where[p]]
        t = res[p] - ls
        t = t * two
        t = t + ((s[p] if s[p] < zero else zero) - e[p])
        res[p] = t - ls
    numpy_loop(fns[0], res, res, huge)
    for p in range(huge):
        d_s[where[p]] = -res[p]


@jit
def mixture_studentt(raw, y, loss, grad, half, series_below, nu1, half_nu1, log_nu, c_nu,
                     equal_share, two, min_scale, fns):
    # MixtureStudentTFamily._loss_gradient, operation for operation: softplus_scale of the
    # s columns (as mixture_normal above; min_scale > 0: sigma = softplus + min_scale, its
    # log and d log sigma / ds = dlog softplus * (softplus / sigma), as _scales), log q = 2 (log|mu - y| -
    # log sigma) - log nu, softplus_sigmoid(log q) (log(1 + r^2 / nu) and v = r^2 / (nu +
    # r^2)), log_softmax(a) - log sigma - c(nu) - (nu + 1) / 2 log(1 + r^2 / nu), the
    # log-sum-exp about the row's top term, responsibilities (equal shares on a row without
    # a finite term), and the gradient where the responsibility is positive. nu1 = nu + 1
    # and half_nu1 = 0.5 (nu + 1) as the NumPy path's scalars; every (n, K) temporary a
    # contiguous vector as NumPy's, exp / log1p / log through NumPy's loops
    n, k = raw.shape[0], raw.shape[1] // 3  # rows; components (columns a, mu, s)
    m = n * k
    dt = raw.dtype
    one = dt.type(1)
    zero = dt.type(0)
    # (with a floor, log sigma is the log of the floored scale below)
    a, scale, log_scale, dlog = _softplus_scale_columns(raw, n, k, half, series_below,
                                                        not min_scale > zero, fns)
    residual = np.empty(m, dt)
    if min_scale > zero:  # the floor: log sigma of the floored scale, its d log sigma / ds
        for q in range(m):
            floored = scale[q] + min_scale
            dlog[q] = dlog[q] * (scale[q] / floored)
            a[q] = floored
        numpy_loop(fns[2], a, log_scale, m)
    for i in range(n):
        yi = y[i]
        for j in range(k):
            q = i * k + j
            residual[q] = raw[i, k + j] - yi  # mu - y
            a[q] = abs(residual[q])
    # log q = 2 (log|mu - y| - log sigma) - log nu (-inf at a zero residual)
    log_q = np.empty(m, dt)
    numpy_loop(fns[2], a, log_q, m)
    for q in range(m):
        lq = log_q[q] - log_scale[q]
        lq = lq * two
        log_q[q] = lq - log_nu
        a[q] = -abs(log_q[q])
    # softplus_sigmoid(log q): ex_q = exp(-|t|), log1p_q = maximum(t, 0) + log1p(ex_q), v
    ex_q = np.empty(m, dt)
    numpy_loop(fns[0], a, ex_q, m)
    log1p_q = np.empty(m, dt)
    numpy_loop(fns[1], ex_q, log1p_q, m)
    v = np.empty(m, dt)
    for q in range(m):
        lq = log_q[q]
        log1p_q[q] = (lq if (lq >= zero or lq != lq) else zero) + log1p_q[q]
        inv = one / (one + ex_q[q])
        v[q] = inv if lq >= zero else ex_q[q] * inv
    shifted, ex, sums, lse = _log_softmax_weights(raw, n, k, fns)
    terms = np.empty(m, dt)
    for i in range(n):
        for j in range(k):
            q = i * k + j
            u = shifted[q] - lse[i]
            u = u - log_scale[q]
            u = u - c_nu
            terms[q] = u - half_nu1 * log1p_q[q]
    # the log-sum-exp about the top term; no finite term: +inf, equal shares
    tops, e2, lost = _top_logsumexp(terms, n, k, loss, fns)
    if lost > 0:
        for i in range(n):
            if not terms[i * k + tops[i]] > -np.inf:
                for j in range(k):
                    e2[i * k + j] = equal_share
    # d (-log p) / d mu and / d s of each component's own density (times gamma below)
    d_mu = np.empty(m, dt)
    d_s = np.empty(m, dt)
    for q in range(m):
        vq = v[q]
        rq = residual[q]
        d_mu[q] = (vq / rq if vq != zero else zero) * nu1
        d_s[q] = (one - nu1 * vq) * dlog[q]
    _mixture_gradient(ex, sums, e2, d_mu, d_s, n, k, grad)
