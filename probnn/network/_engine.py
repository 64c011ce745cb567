"""The Trainer's side of the compiled whole step (:mod:`probnn.network._step`).

:class:`CompiledSteps` holds one fit's workspaces (allocated once, for the largest batch) and
runs :meth:`Trainer._epoch`'s minibatch loop through the compiled calls: the whole epoch in one
call where the family has a compiled loss, else a compiled forward and a compiled backward
around the family's own NumPy ``_loss_gradient`` on each batch. It draws the shuffle from the
Trainer's generator as the NumPy path does, and leaves the optimiser's step count, the
average's and ``t_`` where the NumPy path would.

:func:`unsupported` says why a fit keeps the NumPy path (dropout, an activation without a
compiled form, a network without inputs, a family that is not a :class:`Family`): the
Trainer then trains exactly as without numba.
"""

from __future__ import annotations

import math

import numpy as np

from probnn.families.base import Family, _overflow_is_inf, weigh_rows
from probnn.network import _fast
from probnn.network.optimizers import SGD, Adam, AdamW, RMSprop
from probnn.network.schedules import learning_rate_at

__all__ = ["CompiledSteps", "Codes", "unsupported", "loss_code"]


class Codes:
    """The codes the kernels of :mod:`probnn.network._step` take (its literals)."""

    ACT_CODES = {"identity": 0, "relu": 1, "tanh": 2}
    # 0: no compiled loss (the family's NumPy loss runs between forward and backward)
    LOSS_NONE, LOSS_NORMAL, LOSS_BERNOULLI, LOSS_CATEGORICAL, LOSS_MIXTURE_NORMAL = 0, 1, 2, 3, 4
    OPT_ADAM, OPT_ADAMW, OPT_SGD, OPT_SGD_MOMENTUM, OPT_RMSPROP = 0, 1, 2, 3, 4
    PRIOR_NONE, PRIOR_GAUSSIAN, PRIOR_LAPLACE = 0, 1, 2
    OK, LOSS_NOT_FINITE = 0, 1  # an epoch's return codes


LOSS_NONE = Codes.LOSS_NONE


def unsupported(trainer) -> str | None:
    """Why ``trainer`` cannot take the compiled whole step, or None when it can."""
    net = trainer.network
    if net.dropout:
        return "dropout (its masks come from NumPy's generator)"
    if net.activation not in Codes.ACT_CODES:
        return f"activation {net.activation!r} (compiled: {', '.join(Codes.ACT_CODES)})"
    if net.activation == "tanh" and _fast.numpy_loops(net.dtype) is None:
        return "tanh without NumPy's own loop to call"
    if net.layer_sizes[0] == 0:
        return "a network without inputs"
    if not isinstance(trainer.family, Family):
        return "a family that is not a probnn Family"
    if trainer.solver not in ("adam", "adamw", "sgd", "gd", "rmsprop"):
        return f"solver {trainer.solver!r}"
    return None


def loss_code(family, y: np.ndarray) -> int:
    """The compiled loss for ``family`` and checked targets ``y`` (LOSS_NONE: NumPy's)."""
    fn = _fast.loss_kernel_for(family)
    kernel = getattr(fn, "func", None)
    if kernel is _fast._normal and y.ndim == 1:
        return Codes.LOSS_NORMAL
    if kernel is _fast._bernoulli:
        return Codes.LOSS_BERNOULLI
    if kernel is _fast._categorical and y.ndim == 1:
        return Codes.LOSS_CATEGORICAL
    if kernel is _fast._mixture_normal and y.ndim == 1:
        return Codes.LOSS_MIXTURE_NORMAL
    return Codes.LOSS_NONE


def _optimizer_args(opt, dtype):
    """(code, state 1, state 2, hyper) of an optimiser of :mod:`optimizers`."""
    empty = np.zeros(0, dtype)
    hyper = np.zeros(7)
    if isinstance(opt, Adam):
        hyper[:3] = opt.beta_1, opt.beta_2, opt.epsilon
        if isinstance(opt, AdamW):
            hyper[3] = opt.weight_decay
            return Codes.OPT_ADAMW, opt.m, opt.v, hyper
        return Codes.OPT_ADAM, opt.m, opt.v, hyper
    if isinstance(opt, SGD):
        if opt.v is None:
            return Codes.OPT_SGD, empty, empty, hyper
        hyper[4], hyper[5] = opt.momentum, float(opt.nesterov)
        return Codes.OPT_SGD_MOMENTUM, opt.v, empty, hyper
    if isinstance(opt, RMSprop):
        hyper[2], hyper[6] = opt.epsilon, opt.rho
        return Codes.OPT_RMSPROP, opt.v, empty, hyper
    raise TypeError(f"no compiled step for {type(opt).__name__}")  # pragma: no cover


class CompiledSteps:
    """One fit's compiled minibatch loop: workspaces for batches of up to ``batch_size`` rows."""

    def __init__(self, trainer, kernels: dict, batch_size: int) -> None:
        net = trainer.network
        self.trainer = trainer
        self.k = kernels
        dt = net.dtype
        sizes = net.layer_sizes
        L = len(sizes) - 1
        self.sizes = np.asarray(sizes, np.int64)
        w_off, b_off, pos = [], [], 0
        for a, b in zip(sizes[:-1], sizes[1:]):
            w_off.append(pos)
            pos += a * b
        for b in sizes[1:]:
            b_off.append(pos)
            pos += b
        self.w_off = np.asarray(w_off, np.int64)
        self.b_off = np.asarray(b_off, np.int64)
        self.act = Codes.ACT_CODES[net.activation]
        # NumPy's exp / log1p / log / tanh loops (unsupported() saw that they are readable
        # where tanh needs them; the compiled losses are chosen only where they are)
        loops = _fast.numpy_loops(dt)
        self.fns = loops if loops is not None else np.zeros(4, np.intp)
        cap = int(batch_size)
        hidden = sizes[1:-1]
        self.xb = np.empty((cap, sizes[0]), dt)
        self.A = np.empty((len(hidden), cap * max(hidden, default=1)), dt)
        self.D = np.empty((L, cap * max([*hidden, sizes[-1]])), dt)
        self.raw = np.empty((cap, sizes[-1]), dt)
        self.loss = np.empty(cap, dt)
        self.ones = np.ones(cap, dt)
        self.cap = cap
        self.opt, self.s1, self.s2, self.hyper = _optimizer_args(trainer._optimizer, dt)
        self._empty = np.zeros(0, dt)
        self._targets = None  # (y given, checked targets for the kernel) of the last epoch
        self._preloaded = False  # whether the kernels' cached code was looked up (preload)
        self._tiny = float(np.finfo(dt).tiny)

    # ---------------------------------------------------------------- helpers
    def _prior(self, weight_sum: float):
        t = self.trainer
        if not t._penalised:
            return Codes.PRIOR_NONE, 0.0
        code = Codes.PRIOR_GAUSSIAN if t.prior == "gaussian" else Codes.PRIOR_LAPLACE
        return code, t.alpha / weight_sum

    def _checked(self, y, sw, n):
        """Trainer._batch_targets, once per fit for the same ``y`` and ``sw`` (run() hands
        every epoch the same arrays), plus the kernel's form of the targets."""
        key = self._targets
        if key is not None and key[0] is y and key[1] is sw:
            return key[2]
        t = self.trainer
        yc, swc, sw_loss, trusted = t._batch_targets(y, sw, n)
        code = loss_code(t.family, yc) if trusted else Codes.LOSS_NONE
        dt = t.network.dtype
        y_float, y_labels = self._empty, np.zeros(0, np.int64)
        if code in (Codes.LOSS_NORMAL, Codes.LOSS_MIXTURE_NORMAL):
            y_float = np.ascontiguousarray(yc, dt)
        elif code == Codes.LOSS_BERNOULLI:
            y_float = np.ascontiguousarray(yc, dt).reshape(-1)
        elif code == Codes.LOSS_CATEGORICAL:
            y_labels = np.ascontiguousarray(yc, np.int64)
        # the epoch kernel's loss constants, weights and their sum, once per fit
        consts = np.zeros(4)  # the mixture's min_scale last (0 for the Normal: unused)
        if code in (Codes.LOSS_NORMAL, Codes.LOSS_MIXTURE_NORMAL):  # (the same constants)
            from probnn.families.base import _SCALE_SERIES_BELOW
            from probnn.families.normal import HALF_LOG_2PI

            consts[:3] = 0.5, _SCALE_SERIES_BELOW, HALF_LOG_2PI
            if code == Codes.LOSS_MIXTURE_NORMAL:
                consts[3] = t.family.min_scale
        sw_a = self._empty.astype(np.float64) if swc is None else swc
        swl_a = self._empty if swc is None else sw_loss
        weight_sum = float(n if sw is None else sw.sum())
        out = (yc, swc, sw_loss, trusted, code, y_float, y_labels, consts, sw_a, swl_a,
               weight_sum)
        self._targets = (y, sw, out)
        return out

    # ------------------------------------------------------------------ epoch
    def epoch(self, X, y, sw) -> float:
        """One pass of minibatch steps, as ``Trainer._epoch``; returns the epoch's J."""
        t = self.trainer
        net = t.network
        n = X.shape[0]
        bs = min(self.cap, n)
        yc, swc, sw_loss, trusted, code, y_float, y_labels, consts, sw_a, swl_a, \
            weight_sum = self._checked(y, sw, n)
        if not trusted:
            return None  # the caller's NumPy loop names the problem
        rows = t._rng.permutation(n) if t.shuffle else np.arange(n)
        t._epoch_start = net.copy_params()
        prior, prior_scale = self._prior(weight_sum)
        opt = t._optimizer
        avg = t._average if t._average is not None else self._empty
        counters = np.array([opt.t, getattr(t, "_average_steps", 0), t.t_], np.int64)
        per_step_lr = t.learning_rate == "invscaling"
        lr = learning_rate_at(t.learning_rate, t._lr, t=t.t_, epoch=t.n_iter_,
                              max_iter=t.max_iter, power_t=t.power_t) * t._warmup(
            -(-n // bs))  # fmt: skip
        ema = float(t.ema_decay) if t.ema_decay is not None else 0.0
        common = (prior, prior_scale, self.opt, self.s1, self.s2, self.hyper)
        flush = (opt.FLUSH_EVERY, self._tiny, opt._flush_below)
        try:
            if code != Codes.LOSS_NONE:
                args = (X, y_float, y_labels, sw_a, swl_a, rows, bs, code, consts, net.params,
                        net.grad, self.sizes, self.w_off, self.b_off, self.act, self.xb,
                        self.A, self.D, self.raw, self.loss, self.ones, *common, float(lr),
                        per_step_lr, float(t.power_t), counters, *flush, avg, ema,
                        self.fns)  # fmt: skip
                if not self._preloaded:
                    self._preloaded = True
                    _fast.preload(self.k["step_epoch"], args)
                status, loss_sum = self.k["step_epoch"](*args)
                if status != Codes.OK:
                    t._diverged(t.n_iter_ + 1, f"the NLL became {loss_sum} in a minibatch")
            else:
                loss_sum = self._numpy_loss_epoch(X, yc, swc, sw_loss, rows, bs, lr,
                                                  per_step_lr, counters, common, flush, avg,
                                                  ema)  # fmt: skip
        finally:
            opt.t = int(counters[0])
            if t._average is not None:
                t._average_steps = int(counters[1])
            t.t_ = int(counters[2])
        if not np.isfinite(net.params).all():
            t._diverged(t.n_iter_ + 1, "the weights became NaN or infinite")
        return (loss_sum + t.penalty()) / weight_sum

    def _numpy_loss_epoch(self, X, y, sw, sw_loss, rows, bs, lr, per_step_lr, counters,
                          common, flush, avg, ema) -> float:
        """The epoch with the family's NumPy loss between a compiled forward and backward."""
        t = self.trainer
        net = t.network
        dt = net.dtype.type
        fwd, bwd = self.k["step_forward"], self.k["step_backward"]
        family = t.family
        # a compiled loss the epoch kernel has no code for (mixture-studentt): bit-identical
        loss_gradient = getattr(t, "_fused_loss", None) or family._loss_gradient
        n = X.shape[0]
        params, grad, sizes, w_off, b_off = net.params, net.grad, self.sizes, self.w_off, \
            self.b_off
        loss_sum = 0.0
        for start in range(0, n, bs):
            stop = min(start + bs, n)
            b = stop - start
            idx = rows[start:stop]
            args = (X, rows, start, b, params, sizes, w_off, b_off, self.act, self.xb, self.A,
                    self.raw, self.fns)
            if not self._preloaded:
                _fast.preload(fwd, args)
            fwd(*args)
            raw = self.raw[:b]
            yb = y[idx]
            with _overflow_is_inf():
                nll, g = loss_gradient(raw, yb, True)
            if sw is not None:
                wb, wl = sw[idx], sw_loss[idx]
                weigh_rows(nll, g, wl if wl.dtype == nll.dtype else wb.astype(nll.dtype))
            bsum = float(b if sw is None else wb.sum())
            batch_loss = float(np.sum(nll, dtype=np.float64))
            if not math.isfinite(batch_loss):
                t._diverged(t.n_iter_ + 1, f"the NLL became {batch_loss} in a minibatch")
            loss_sum += batch_loss
            if bsum <= 0:
                continue
            g = g.reshape(raw.shape)
            g *= dt(1.0 / bsum)
            if g.dtype != net.dtype or not g.flags.c_contiguous:
                g = np.ascontiguousarray(g, dtype=net.dtype)
            if per_step_lr:
                lr = learning_rate_at(t.learning_rate, t._lr, t=int(counters[2]),
                                      power_t=t.power_t)  # fmt: skip
            args = (params, grad, sizes, w_off, b_off, self.act, self.xb, self.A, self.D, g, b,
                    self.ones, *common, float(lr), counters, *flush, avg, ema)
            if not self._preloaded:
                self._preloaded = True
                _fast.preload(bwd, args)
            bwd(*args)
            counters[2] += b
        return loss_sum
