"""The compiled whole training step of small networks (numba; imported by ``_fast`` only).

A minibatch step of the NumPy path is some 40 small NumPy calls around its matrix products
(row gathers, bias, activation, loss, its gradient, the prior, the optimiser over several
buffers, the weights' average); on a 50-50 network at batch 32 those calls, not the products,
are most of the step. Here the step is one compiled call, and where the family has a compiled
loss (:func:`probnn.network._fast.loss_kernel_for`) a whole epoch is one call.

The arithmetic is the NumPy path's, operation for operation and in the buffers' dtype:

- the matrix products are BLAS calls (numba's ``np.dot``, which calls the BLAS scipy ships)
  with the NumPy path's operands, transposes and output buffers: a hand-written loop measured
  3-5x slower than BLAS at 32 x 50 x 50 and could not give BLAS's roundings;
- bias + relu / tanh / identity, the relu mask and ``1 - a**2`` as the NumPy path computes them;
- the bias gradients as ``ones @ delta`` (BLAS's gemv, as the NumPy path);
- the prior's gradient, the optimiser update (the kernels of ``_fast``, bit-identical to
  :mod:`probnn.network.optimizers`), its per-step scalars (the same float64 formulas), the
  flush of tiny state every ``FLUSH_EVERY`` steps, and the weights' moving average;
- the batch's loss and weight sums as NumPy's pairwise summation (:func:`pairwise_sum`);
- the families' compiled losses (``_kernels``) and tanh with NumPy's own exp / log1p / log /
  tanh inner loops (``fns``: :func:`probnn.network._fast.numpy_loops`) on the same vectors.

So with the same BLAS the weights are bit-identical to the NumPy path's, for every family
and activation the step takes. Tested in ``tests/test_engine.py``.

Not compiled (the caller keeps the NumPy path): dropout (its masks come from NumPy's random
generator), activations other than relu / tanh / identity, networks without inputs, and
families whose targets the compiled losses do not take (those get a compiled forward and a
compiled backward around the family's NumPy loss, see :func:`build`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from probnn.network._kernels import TANH, adam, adamw, average, numpy_loop, rmsprop
from probnn.network._kernels import sgd_momentum, sgd_plain
from probnn.network._kernels import bernoulli as bernoulli_loss
from probnn.network._kernels import categorical_labels as categorical_loss
from probnn.network._kernels import mixture_normal as mixture_normal_loss
from probnn.network._kernels import normal as normal_loss

jit = numba.njit(cache=True, error_model="numpy", fastmath=False, nogil=True)

# The codes the kernels take (activation, loss, optimiser, prior) are listed in
# probnn.network._engine, which chooses them without importing numba.
# return codes of an epoch
OK, LOSS_NOT_FINITE = 0, 1


@jit
def _block_sum(a, lo, n):
    # NumPy's pairwise summation below its block size (numpy/_core/src/umath/
    # loops_utils.h.src): sequential under 8 terms, else 8 running sums combined as a tree
    if n < 8:
        res = 0.0
        for i in range(n):
            res += np.float64(a[lo + i])
        return res
    r = np.empty(8, np.float64)
    for j in range(8):
        r[j] = np.float64(a[lo + j])
    i = 8
    while i < n - (n % 8):
        for j in range(8):
            r[j] += np.float64(a[lo + i + j])
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += np.float64(a[lo + i])
        i += 1
    return res


@jit
def pairwise_sum(a, lo, n):
    """NumPy's pairwise sum of ``a[lo:lo + n]`` in float64, to the bit: halves (rounded down
    to a multiple of 8) summed recursively down to blocks of at most 128 terms. Written with an
    explicit stack: numba's cache loads a self-recursive function badly."""
    if n <= 128:
        return _block_sum(a, lo, n)
    los = np.empty(64, np.int64)
    ns = np.empty(64, np.int64)
    stage = np.zeros(64, np.int64)
    left = np.empty(64, np.float64)
    sp = 1
    los[0] = lo
    ns[0] = n
    result = 0.0
    while sp > 0:
        top = sp - 1
        m = ns[top]
        val = 0.0
        done = False
        if m <= 128:
            val = _block_sum(a, los[top], m)
            done = True
        else:
            m2 = m // 2
            m2 -= m2 % 8
            if stage[top] == 0:  # the left half first
                stage[top] = 1
                los[sp] = los[top]
                ns[sp] = m2
                stage[sp] = 0
                sp += 1
            elif stage[top] == 1:  # the left half is in; the right half next
                stage[top] = 2
                los[sp] = los[top] + m2
                ns[sp] = m - m2
                stage[sp] = 0
                sp += 1
            else:  # both halves in: left + right (the right's value is in result)
                val = left[top] + result
                done = True
        if done:
            sp -= 1
            if sp > 0 and stage[sp - 1] == 1:
                left[sp - 1] = val
            else:
                result = val
    return result


@jit
def np_sum(a, n):
    """``np.sum(a[:n], dtype=np.float64)`` of a contiguous vector, to the bit: the pairwise
    sum of all terms; float32 terms are cast in NumPy's buffers of 8192, each summed pairwise
    and added in turn."""
    if a.itemsize == 8:
        return pairwise_sum(a, 0, n)
    res = 0.0
    for lo in range(0, n, 8192):
        res += pairwise_sum(a, lo, min(8192, n - lo))
    return res


@jit
def mm(a, b, out):
    """``out = a @ b`` with the BLAS routine NumPy's ``dot`` / ``matmul`` picks for these
    shapes (gemv where a side is one row or one column, dot for a single entry, else gemm),
    so that with the same BLAS the roundings are NumPy's."""
    n, k = a.shape
    m = b.shape[1]
    if k == 1 or (n > 1 and m > 1):
        np.dot(a, b, out)
    elif n == 1 and m == 1:
        out[0, 0] = np.dot(np.ascontiguousarray(a[0]), np.ascontiguousarray(b[:, 0]))
    elif m == 1:
        out[:, 0] = np.dot(a, np.ascontiguousarray(b[:, 0]))
    else:
        out[0, :] = np.dot(np.ascontiguousarray(a[0]), b)


@jit
def forward(X, rows, start, n, params, sizes, w_off, b_off, act, xb, A, raw, fns):
    """Rows ``rows[start:start + n]`` of ``X`` through the network: raw[:n] filled, the
    hidden activations kept in ``A`` (layer l's in ``A[l, :n * h_l]``); tanh through
    NumPy's loop (``fns[TANH]``, in place as the NumPy path's ``np.tanh(a, out=a)``)."""
    L = sizes.shape[0] - 1
    fin = sizes[0]
    xv = xb[:n]
    for i in range(n):
        r = rows[start + i]
        for j in range(fin):
            xv[i, j] = X[r, j]
    zero = params.dtype.type(0)
    one = params.dtype.type(1)
    for l in range(L):
        fi = sizes[l]
        fo = sizes[l + 1]
        W = params[w_off[l]:w_off[l] + fi * fo].reshape((fi, fo))
        b = params[b_off[l]:b_off[l] + fo]
        if l == 0:
            h = xv
        else:
            h = A[l - 1, :n * fi].reshape((n, fi))
        if l == L - 1:
            out = raw[:n]
            mm(h, W, out)
            for i in range(n):
                for j in range(fo):
                    out[i, j] += b[j]
        else:
            out = A[l, :n * fo].reshape((n, fo))
            mm(h, W, out)
            for i in range(n):
                for j in range(fo):
                    v = out[i, j] + b[j]
                    if act == 1:  # relu: NumPy's maximum(v, 0), NaN and -0.0 kept
                        v = zero if v < zero else v
                    out[i, j] = v
            if act == 2:
                flat = A[l, :n * fo]
                numpy_loop(fns[TANH], flat, flat, n * fo)
    return one

@jit
def backward_step(params, grad, sizes, w_off, b_off, act, xb, A, D, delta, n, ones,
                  prior, prior_scale, opt, s1, s2, hyper, lr, counters, flush_every,
                  tiny, flush_below, avg, ema_decay):
    """Backpropagate ``delta`` (n, n_outputs, already divided by the batch's weight),
    add the prior's gradient, take the optimiser step and the average's.

    ``counters``: [optimiser steps, average steps]; ``hyper``: [beta_1, beta_2, epsilon,
    weight_decay, momentum, nesterov, rho]; ``avg``: the average (size 0: none)."""
    L = sizes.shape[0] - 1
    dt = params.dtype.type
    zero = dt(0)
    one = dt(1)
    onesn = ones[:n]
    d = delta
    for l in range(L - 1, -1, -1):
        fi = sizes[l]
        fo = sizes[l + 1]
        gW = grad[w_off[l]:w_off[l] + fi * fo].reshape((fi, fo))
        gb = grad[b_off[l]:b_off[l] + fo]
        if l == 0:
            h = xb[:n]
        else:
            h = A[l - 1, :n * fi].reshape((n, fi))
        mm(h.T, d, gW)
        if fo == 1:
            # NumPy's ones @ delta of one column is a vector dot (BLAS sdot), not gemv
            gb[0] = np.dot(onesn, d.reshape(n))
        else:
            np.dot(onesn, d, gb)
        if l == 0:
            break
        W = params[w_off[l]:w_off[l] + fi * fo].reshape((fi, fo))
        dn = D[l - 1, :n * fi].reshape((n, fi))
        mm(d, W.T, dn)
        if act == 1:
            for i in range(n):
                for j in range(fi):
                    dn[i, j] = dn[i, j] * (one if h[i, j] > zero else zero)
        elif act == 2:
            for i in range(n):
                for j in range(fi):
                    a = h[i, j]
                    dn[i, j] *= one - a * a
        d = dn
    # the prior's gradient on the coefficients: g += scale * W (gaussian), scale * sign(W)
    if prior != 0:
        sc = dt(prior_scale)
        nc = b_off[0]
        for i in range(nc):
            w = params[i]
            if prior == 1:
                grad[i] += sc * w
            else:
                s = one if w > zero else (-one if w < zero else (zero if w == zero else w))
                grad[i] += sc * s
    # the optimiser: Optimizer.step's arithmetic (per-step scalars in float64)
    t = counters[0] + 1
    counters[0] = t
    if opt == 0 or opt == 1:
        b1 = hyper[0]
        b2 = hyper[1]
        c = math.sqrt((1 - b2) / (1 - b2 ** np.float64(t)))
        eps_scaled = hyper[2] / c
        factor = -lr * (1 - b1) / ((1 - b1 ** np.float64(t)) * c)
        if opt == 0:
            adam(params, grad, s1, s2, dt(b1), dt(b2), dt(eps_scaled), dt(factor))
        else:
            adamw(params, grad, s1, s2, dt(b1), dt(b2), dt(eps_scaled), dt(factor),
                  dt(1 - lr * hyper[3]))
    elif opt == 2:
        sgd_plain(params, grad, dt(-lr))
    elif opt == 3:
        sgd_momentum(params, grad, s1, dt(hyper[4]), dt(-lr), t == 1, hyper[5] != 0)
    else:
        rmsprop(params, grad, s1, dt(hyper[6]), dt(1 - hyper[6]), dt(hyper[2]), dt(-lr))
    if flush_every > 0 and t % flush_every == 0:
        tn = dt(tiny)
        fb = dt(flush_below)
        for i in range(params.shape[0]):
            if abs(params[i]) < tn:
                params[i] = zero
        if opt != 2:
            for i in range(s1.shape[0]):
                if abs(s1[i]) < fb:
                    s1[i] = zero
        if opt == 0 or opt == 1:
            for i in range(s2.shape[0]):
                if abs(s2[i]) < fb:
                    s2[i] = zero
    # the weights' moving average (Trainer._update_average)
    if avg.shape[0] > 0:
        ka = counters[1]
        counters[1] = ka + 1
        dk = (1.0 + ka) / (10.0 + ka)
        average(avg, params, dt(1.0 - min(ema_decay, dk)))
        if flush_every > 0 and (ka + 1) % flush_every == 0:
            tn = dt(tiny)
            for i in range(avg.shape[0]):
                if abs(avg[i]) < tn:
                    avg[i] = zero

@jit
def epoch(X, y, y_labels, sw, sw_loss, rows, bs, loss_kind, loss_consts, params, grad,
          sizes, w_off, b_off, act, xb, A, D, raw, loss_buf, ones, prior, prior_scale,
          opt, s1, s2, hyper, lr0, invscaling, power_t, counters, flush_every, tiny,
          flush_below, avg, ema_decay, fns):
    """One epoch of minibatch steps with a compiled loss (``fns``: NumPy's loops, as
    ``_fast.numpy_loops``); ``counters``: [optimiser steps,
    average steps, samples seen (t_)]. Returns (code, the sum of the rows' weighted NLL), or
    (LOSS_NOT_FINITE, the batch's NLL) where a batch's NLL was not finite (no step from it)."""
    n_rows = rows.shape[0]
    dt = params.dtype.type
    loss_sum = 0.0
    lr = lr0
    weighted = sw.shape[0] > 0
    wb = np.empty(bs, np.float64)
    for start in range(0, n_rows, bs):
        stop = min(start + bs, n_rows)
        b = stop - start
        forward(X, rows, start, b, params, sizes, w_off, b_off, act, xb, A, raw, fns)
        rv = raw[:b]
        g = D[D.shape[0] - 1, :b * raw.shape[1]].reshape((b, raw.shape[1]))
        lv = loss_buf[:b]
        if loss_kind == 1 or loss_kind == 4:
            yb = np.empty(b, params.dtype)
            for i in range(b):
                yb[i] = y[rows[start + i]]
            if loss_kind == 1:
                normal_loss(rv, yb, lv, g, dt(loss_consts[0]), dt(loss_consts[1]),
                            dt(loss_consts[2]), fns)
            else:
                mixture_normal_loss(rv, yb, lv, g, dt(loss_consts[0]), dt(loss_consts[1]),
                                    dt(loss_consts[2]), dt(loss_consts[3]), fns)
        elif loss_kind == 2:
            k_out = raw.shape[1]
            yb2 = np.empty((b, k_out), params.dtype)
            for i in range(b):
                for j in range(k_out):
                    yb2[i, j] = y[rows[start + i] * k_out + j]
            bernoulli_loss(rv, yb2, lv, g, fns)
        else:
            yl = np.empty(b, y_labels.dtype)
            for i in range(b):
                yl[i] = y_labels[rows[start + i]]
            categorical_loss(rv, yl, lv, g, fns)
        if weighted:
            for i in range(b):
                r = rows[start + i]
                wb[i] = sw[r]
                w = sw_loss[r]
                lv[i] *= w
                for j in range(raw.shape[1]):
                    g[i, j] *= w
            bsum = np_sum(wb, b)
        else:
            bsum = np.float64(b)
        batch_loss = np_sum(lv, b)
        if not math.isfinite(batch_loss):
            return LOSS_NOT_FINITE, batch_loss
        loss_sum += batch_loss
        if bsum <= 0:
            continue
        s = dt(1.0 / bsum)
        for i in range(b):
            for j in range(raw.shape[1]):
                g[i, j] *= s
        if invscaling:
            lr = lr0 / (np.float64(counters[2]) + 1.0) ** power_t
        backward_step(params, grad, sizes, w_off, b_off, act, xb, A, D, g, b, ones,
                      prior, prior_scale, opt, s1, s2, hyper, lr, counters, flush_every,
                      tiny, flush_below, avg, ema_decay)
        counters[2] += b
    return OK, loss_sum


def build(k: dict) -> dict:
    """The step kernels by name (compiled on first call, or loaded from numba's cache)."""
    return {"step_forward": forward, "step_backward": backward_step, "step_epoch": epoch,
            "np_sum": np_sum}
