"""Compiled loss + gradient of the count families (numba), for ``probnn.network._fast``.

The negative binomial family's training loss (``NegativeBinomialFamily._loss_gradient``:
``softplus_scale`` and ``distributions.negative_binomial.nb_nll_terms``) repeated operation
for operation in float64, in the same order, with exp / log1p / log through NumPy's own inner
loops (``_kernels.numpy_loop``) and ``gammaln`` / ``digamma`` through the C functions
scipy's ufuncs call (``scipy.special.cython_special``; ``_fast.special_functions`` checks they
agree with the ufuncs bit for bit before they are used), so the loss and gradient are
bit-identical to the NumPy family's (tests/test_nb_kernel.py). Rows with counts from the
saddle-point threshold (``poisson._SADDLE_TRAINING_FROM``) are the caller's: it runs the
NumPy loss for such a batch.

Imported only through ``_fast.kernels()``; ``import probnn`` never imports numba.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from probnn.network._kernels import EXP, LOG, LOG1P, jit, numpy_loop

# the Horner coefficients of the NumPy helpers, as they compute them (Python floats)
# distributions.negative_binomial._log1pmx_over_x: (-1)^k / (k + 1), k = 15..1
_Q_COEFS = np.array([(-1) ** k / (k + 1) for k in range(15, 0, -1)])
# distributions.negative_binomial._h_over_x: (-1)^j (j + 1) / (j + 2), j = 8..0
_H_COEFS = np.array([(-1) ** j * (j + 1) / (j + 2) for j in range(8, -1, -1)])
# distributions.negative_binomial._LGAMMA_SERIES / _PSI_SERIES
_LG = np.array([1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188])
_PSI = np.array([-1 / 12, 1 / 120, -1 / 252, 1 / 240, -1 / 132])

GAMMALN, DIGAMMA = 0, 1  # indices into the special-function address array


@intrinsic
def _call_special(typingctx, fn, x):
    """``fn(x, 0)``: a ``double f(double, int skip_dispatch)`` of scipy's cython_special at
    the address ``fn``."""
    def codegen(context, builder, signature, llargs):
        dbl = ir.DoubleType()
        fnty = ir.FunctionType(dbl, [dbl, ir.IntType(32)])
        f = builder.inttoptr(llargs[0], fnty.as_pointer())
        return builder.call(f, [llargs[1], ir.Constant(ir.IntType(32), 0)])

    return types.float64(types.intp, types.float64), codegen


@jit
def negative_binomial(raw, y, loss, grad, series_below, alpha_series_below, fns, special):
    """NB2 loss (n,) and gradient (n, 2) of raw (n, 2) for counts y (n,) below the
    saddle-point threshold, in raw's dtype; NumPy's order of operations (module doc)."""
    n = raw.shape[0]
    z = np.empty(n)
    a = np.empty(n)
    e = np.empty(n)
    w = np.empty(n)
    for i in range(n):
        z[i] = np.float64(raw[i, 1])
        a[i] = -abs(z[i])
    # ---- families._helpers.softplus_scale(z)
    numpy_loop(fns[EXP], a, e, n)  # e = exp(-|z|)
    scale = np.empty(n)
    numpy_loop(fns[LOG1P], e, scale, n)
    for i in range(n):
        scale[i] = max(z[i], 0.0) + scale[i]
        w[i] = 1.0 if z[i] < series_below else scale[i]
    log_scale = np.empty(n)
    numpy_loop(fns[LOG], w, log_scale, n)
    la = np.empty(n)
    dlog = np.empty(n)
    for i in range(n):
        zi, ei = z[i], e[i]
        half_e = 0.5 * ei
        tail = zi < series_below
        la[i] = zi - half_e if tail else log_scale[i]
        inv = 1 / (1 + ei)
        sig = inv if zi >= 0 else ei * inv
        dlog[i] = 1 - half_e if tail else sig / w[i]
    # ---- distributions.negative_binomial.nb_nll_terms(y, z1, la)
    lm = np.empty(n)
    t = np.empty(n)
    for i in range(n):
        lm[i] = np.float64(raw[i, 0])
        t[i] = lm[i] + la[i]
    alpha = np.empty(n)
    numpy_loop(fns[EXP], la, alpha, n)
    for i in range(n):
        a[i] = -abs(t[i])
    e_t = np.empty(n)  # exp(-|t|): softplus(-|t|)'s and sigmoid(t)'s
    numpy_loop(fns[EXP], a, e_t, n)
    s = np.empty(n)
    numpy_loop(fns[LOG1P], e_t, s, n)
    for i in range(n):
        s[i] = max(a[i], 0.0) + s[i]
        a[i] = min(t[i], 0.0)
    x = np.empty(n)
    numpy_loop(fns[EXP], a, x, n)  # exp(min(t, 0))
    # softplus(tp), tp = t where t > 0 else 1
    tp = np.empty(n)
    for i in range(n):
        tp[i] = 1.0 if t[i] <= 0 else t[i]
        a[i] = -abs(tp[i])
    sp_tp = np.empty(n)
    numpy_loop(fns[EXP], a, sp_tp, n)
    numpy_loop(fns[LOG1P], sp_tp, sp_tp, n)
    for i in range(n):
        sp_tp[i] = max(tp[i], 0.0) + sp_tp[i]
    # r softplus(t): exp(log_mean) * log1p(x) / x where t <= 0, else exp(log sp - la)
    mu = np.empty(n)
    numpy_loop(fns[EXP], lm, mu, n)
    for i in range(n):
        w[i] = 1.0 if x[i] == 0 else x[i]
    l1x = np.empty(n)
    numpy_loop(fns[LOG1P], w, l1x, n)
    log_sp = np.empty(n)
    numpy_loop(fns[LOG], sp_tp, log_sp, n)
    for i in range(n):
        a[i] = log_sp[i] - (0.0 if t[i] <= 0 else la[i])
    r_sp = np.empty(n)
    numpy_loop(fns[EXP], a, r_sp, n)
    for i in range(n):
        if t[i] <= 0:
            r_sp[i] = mu[i] * (1.0 if x[i] == 0 else l1x[i] / w[i])
    # ---- _d_and_e: gammaln / digamma where alpha >= 0.01, Stirling's series below
    for i in range(n):
        a[i] = -la[i]
    r = np.empty(n)
    numpy_loop(fns[EXP], a, r, n)
    u = np.empty(n)
    ub = np.empty(n)
    for i in range(n):
        u[i] = np.float64(y[i]) * alpha[i]
        ub[i] = 1.0 if u[i] < 0.1 else u[i]
    l1u = np.empty(n)
    numpy_loop(fns[LOG1P], u, l1u, n)
    l1ub = np.empty(n)
    numpy_loop(fns[LOG1P], ub, l1ub, n)
    d = np.empty(n)
    de = np.empty(n)
    for i in range(n):
        yi = np.float64(y[i])
        if not alpha[i] < alpha_series_below:
            ri = r[i]
            d[i] = (_call_special(special[GAMMALN], yi + ri) - _call_special(special[GAMMALN], ri)
                    + yi * la[i])
            de[i] = ri * (_call_special(special[DIGAMMA], yi + ri)
                          - _call_special(special[DIGAMMA], ri)) - yi
        else:
            ai, ui = alpha[i], u[i]
            if ui < 0.1:
                q = 0.0
                for c in _Q_COEFS:
                    q = ui * (c + q)
            else:
                q = (l1ub[i] - ui) / ui
            inv = 1 / (1 + ui)
            inv_sq = inv * inv
            a_sq = ai * ai
            ds = yi * q + (yi - 0.5) * l1u[i]
            power, inv_power = ai, inv
            for c in _LG:
                ds += c * power * (inv_power - 1)
                power *= a_sq
                inv_power *= inv_sq
            d[i] = ds
            es = yi * q + 0.5 * ui * inv
            power, inv_power = ai, inv_sq
            for c in _PSI:
                es += c * power * (inv_power - 1)
                power *= a_sq
                inv_power *= inv_sq
            de[i] = es
    # ---- the NLL, then the gradient
    for i in range(n):
        yi = np.float64(y[i])
        b = min(lm[i], -la[i])
        y_term = yi * (s[i] - b) if yi > 0 else 0.0
        nll = r_sp[i] - d[i] + y_term + _call_special(special[GAMMALN], yi + 1)
        loss[i] = nll
        a[i] = b - s[i]
        w[i] = lm[i] + min(t[i], 0.0)
    e_bs = np.empty(n)
    numpy_loop(fns[EXP], a, e_bs, n)
    e_mx = np.empty(n)
    numpy_loop(fns[EXP], w, e_mx, n)
    for i in range(n):
        xi = x[i]
        a[i] = -(0.0 if t[i] <= 0 else la[i])
        ub[i] = 1.0 if xi < 0.01 else xi
    e_la = np.empty(n)
    numpy_loop(fns[EXP], a, e_la, n)
    numpy_loop(fns[LOG1P], ub, l1ub, n)
    for i in range(n):
        yi = np.float64(y[i])
        xi = x[i]
        if t[i] <= 0:
            sig_t = xi / (1 + xi)
        else:
            sig_t = 1 / (1 + e_t[i])
        d_mean = e_bs[i] - yi * (1 - sig_t)
        if t[i] <= 0:
            if xi < 0.01:
                h = 0.0
                for c in _H_COEFS:
                    h = c + xi * h
            else:
                xb = ub[i]
                h = (l1ub[i] / xb - 1 / (1 + xb)) / xb
            m = e_mx[i] * h
        else:
            m = e_la[i] * (sp_tp[i] - sig_t)
        d_disp = de[i] + yi * sig_t - m
        grad[i, 0] = d_mean
        grad[i, 1] = d_disp * dlog[i]
