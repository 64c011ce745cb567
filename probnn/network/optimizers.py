"""Optimisers that update one flat parameter buffer in place.

Each optimiser keeps its state in buffers of the parameters' size, allocated
once, and ``step(params, grad, lr)`` is a handful of in-place ufunc calls: no
per-step temporaries of parameter size. The update rules follow PyTorch's
``torch.optim`` definitions (so their single steps can be checked against it).

Contract: the settings (momentum, betas and rho in [0, 1), epsilon > 0) were
checked by the Trainer's constraint table (``training.TRAINER_CONSTRAINTS``);
the optimisers trust them.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "make_optimizer", "SOLVERS",
           "zero_subnormals"]

Array = np.ndarray

SOLVERS = ("adam", "adamw", "sgd", "rmsprop", "gd", "lbfgs")

def zero_subnormals(values: Array, tmp: Array) -> None:
    """Set the entries of ``values`` below the dtype's smallest normal float to zero, in
    place (``tmp``: a scratch array of the same shape and dtype)."""
    np.abs(values, out=tmp)
    values[tmp < np.finfo(values.dtype).tiny] = 0


class Optimizer:
    """Base class: ``step(params, grad, lr)`` updates ``params`` (1-D) in place.

    Subclasses implement ``_update(params, grad, lr)`` and list their decaying
    state buffers in ``_state_names``. (Splitting the update over two threads
    was tried and measured slower: OpenBLAS's worker thread keeps spinning on
    the second core right after each matrix product.)

    Every ``FLUSH_EVERY`` steps, state entries below ``2**26`` times the
    dtype's smallest normal float (about 8e-31 in float32) are set to zero. A
    state entry that only decays (a gradient that was non-zero once, say a
    rarely lit MNIST pixel) reaches the subnormal floats after a few hundred
    steps, and arithmetic on subnormals is many times slower on x86: the Adam
    step cost 2-3x more from the second MNIST epoch on. An entry that small
    moves a weight by less than 1e-23 per step (lr <= 1; Adam's denominator
    is at least its epsilon), below half a float32 ulp of any weight above
    1e-15, so the flush leaves training unchanged (tested bit for bit).

    The same flush sets subnormal *parameters* (below the dtype's smallest normal
    float, 1.2e-38 in float32) to zero. Under a Gaussian prior a weight whose data
    gradient is zero (into a unit that never fires) decays geometrically once Adam's
    epsilon dominates its denominator, and in subnormal arithmetic the decay stalls:
    ``10 * 2**-149 * 0.955`` rounds back to ``10 * 2**-149``. Such weights stay
    subnormal for good and every matrix product that reads them slows down (a
    20-million-row streamed fit ran several times slower by its second epoch). A
    weight that small changes no product of normal-sized numbers.
    """

    FLUSH_EVERY = 64
    _state_names: tuple[str, ...] = ()

    def __init__(self, n_params: int, dtype) -> None:
        self.t = 0
        self._tmp = np.zeros(n_params, dtype=dtype)
        self._flush_below = float(np.finfo(dtype).tiny) * 2.0**26
        self._dt = np.dtype(dtype).type
        self._kernels = None  # compiled kernels (probnn.network._fast), when enabled

    def use_fused(self, kernels) -> None:
        """Run each update as one compiled pass (``_fast.kernels()``); ``None``: NumPy again."""
        self._kernels = kernels

    def __getstate__(self) -> dict:
        # numba's compiled functions are this process's; the owner (Trainer) finds them again
        return {**self.__dict__, "_kernels": None}

    def __setstate__(self, state: dict) -> None:
        # the state is updated in place: arrays unpickled read-only (joblib hands large arrays
        # to its workers as read-only memory maps) are copied
        self.__dict__.update({k: v.copy() if isinstance(v, np.ndarray) and not v.flags.writeable
                              else v for k, v in state.items()})  # fmt: skip

    def step(self, params: Array, grad: Array, lr: float) -> None:
        """Update ``params`` (shape (n_params,)) in place from ``grad`` with rate ``lr``."""
        self.t += 1
        lr = float(lr)  # a NumPy float64 rate would run float32 updates in float64
        self._prepare(lr)
        if self._kernels is not None:
            self._fused_update(self._kernels, params, grad, lr)
        else:
            self._update(params, grad, lr)
        if self.FLUSH_EVERY and self.t % self.FLUSH_EVERY == 0:
            self._flush_tiny_state(params)

    def _flush_tiny_state(self, params: Array | None = None) -> None:
        """Zero the state entries too small to matter, before they become subnormal, and
        the parameters that are subnormal already."""
        tmp = self._tmp
        if params is not None:
            zero_subnormals(params, tmp)
        for name in self._state_names:
            state = getattr(self, name)
            if state is None:
                continue
            np.abs(state, out=tmp)
            state[tmp < self._flush_below] = 0

    def _prepare(self, lr: float) -> None:
        """Per-step scalars (bias corrections), computed once per step."""

    def _update(self, params: Array, grad: Array, lr: float) -> None:
        raise NotImplementedError  # pragma: no cover

    def _fused_update(self, k: dict, params: Array, grad: Array, lr: float) -> None:
        """The same update as ``_update`` in one compiled pass; scalars in the buffers' dtype."""
        raise NotImplementedError  # pragma: no cover


class SGD(Optimizer):
    """Gradient descent with (optionally Nesterov) momentum.

    ``v <- mu v + g``; then ``p <- p - lr v`` or, Nesterov, ``p <- p - lr (g + mu v)``.
    ``momentum=0`` is plain gradient descent. Nesterov's form as in
    Sutskever et al., "On the importance of initialization and momentum in deep
    learning" (ICML 2013).
    """

    def __init__(self, n_params: int, dtype, momentum: float = 0.9, nesterov: bool = True):
        super().__init__(n_params, dtype)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov) and momentum > 0
        self.v = np.zeros(n_params, dtype=dtype) if momentum > 0 else None

    _state_names = ("v",)

    def _fused_update(self, k: dict, params: Array, grad: Array, lr: float) -> None:
        dt = self._dt
        if self.v is None:
            k["sgd_plain"](params, grad, dt(-lr))
        else:
            k["sgd_momentum"](params, grad, self.v, dt(self.momentum), dt(-lr), self.t == 1,
                              self.nesterov)  # fmt: skip

    def _update(self, params: Array, grad: Array, lr: float) -> None:
        p, g, tmp = params, grad, self._tmp
        if self.v is None:
            np.multiply(g, -lr, out=tmp)
            p += tmp
            return
        v, mu = self.v, self.momentum
        if self.t == 1:
            v[...] = g  # torch starts the buffer at the first gradient
        else:
            v *= mu
            v += g
        if self.nesterov:
            np.multiply(v, mu, out=tmp)
            tmp += g
            tmp *= -lr
        else:
            np.multiply(v, -lr, out=tmp)
        p += tmp


class Adam(Optimizer):
    """Adam: bias-corrected first and second moment estimates.

    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
    ``p <- p - lr / (1-b1^t) * m / (sqrt(v / (1-b2^t)) + eps)``.

    To save passes over memory the state is kept unscaled,
    ``m_ = m / (1-b1)`` and ``v_ = v / (1-b2)`` (so ``m_ <- b1 m_ + g``), and
    the constant factors are folded into two scalars per step. Defaults from
    Kingma & Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015).
    """

    def __init__(self, n_params: int, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(n_params, dtype)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    _state_names = ("m", "v")

    def _prepare(self, lr: float) -> None:
        b1, b2 = self.beta_1, self.beta_2
        # sqrt(v / (1-b2^t)) = c sqrt(v_) with c = sqrt((1-b2) / (1-b2^t))
        c = math.sqrt((1 - b2) / (1 - b2**self.t))
        # Python floats, not NumPy float64 scalars: a float64 scalar would make
        # ``tmp += eps`` / ``tmp *= factor`` on float32 buffers compute in float64
        # and cast back (measured 66 us each instead of 9 us at 203k parameters)
        self._eps_scaled = float(self.epsilon / c)
        self._factor = float(-lr * (1 - b1) / ((1 - b1**self.t) * c))

    def _fused_update(self, k: dict, params: Array, grad: Array, lr: float) -> None:
        dt = self._dt
        k["adam"](params, grad, self.m, self.v, dt(self.beta_1), dt(self.beta_2),
                  dt(self._eps_scaled), dt(self._factor))  # fmt: skip

    def _update(self, params: Array, grad: Array, lr: float) -> None:
        m, v, g, tmp = self.m, self.v, grad, self._tmp
        m *= self.beta_1
        m += g
        v *= self.beta_2
        np.square(g, out=tmp)
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self._eps_scaled
        np.divide(m, tmp, out=tmp)
        tmp *= self._factor
        params += tmp


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p <- p (1 - lr wd)`` before the Adam step.

    The decay applies to every entry of the buffer given (as torch.optim.AdamW
    does to every parameter of its group). Loshchilov & Hutter, "Decoupled
    Weight Decay Regularization" (ICLR 2019).
    """

    def __init__(self, n_params, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.01):  # fmt: skip
        super().__init__(n_params, dtype, beta_1, beta_2, epsilon)
        self.weight_decay = float(weight_decay)

    def _fused_update(self, k: dict, params: Array, grad: Array, lr: float) -> None:
        dt = self._dt
        k["adamw"](params, grad, self.m, self.v, dt(self.beta_1), dt(self.beta_2),
                   dt(self._eps_scaled), dt(self._factor),
                   dt(1 - lr * self.weight_decay))  # fmt: skip

    def _update(self, params: Array, grad: Array, lr: float) -> None:
        params *= 1 - lr * self.weight_decay
        super()._update(params, grad, lr)


class RMSprop(Optimizer):
    """RMSprop: ``v <- rho v + (1-rho) g^2``, ``p <- p - lr g / (sqrt(v) + eps)``.

    From Hinton's Coursera lecture 6e (2012); ``rho`` is torch's ``alpha``.
    """

    def __init__(self, n_params: int, dtype, rho: float = 0.9, epsilon: float = 1e-8):
        super().__init__(n_params, dtype)
        self.rho, self.epsilon = float(rho), float(epsilon)
        self.v = np.zeros(n_params, dtype=dtype)

    _state_names = ("v",)

    def _fused_update(self, k: dict, params: Array, grad: Array, lr: float) -> None:
        dt = self._dt
        k["rmsprop"](params, grad, self.v, dt(self.rho), dt(1 - self.rho), dt(self.epsilon),
                     dt(-lr))  # fmt: skip

    def _update(self, params: Array, grad: Array, lr: float) -> None:
        v, g, tmp = self.v, grad, self._tmp
        v *= self.rho
        np.square(g, out=tmp)
        tmp *= 1 - self.rho
        v += tmp
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(g, tmp, out=tmp)
        tmp *= -lr
        params += tmp


def make_optimizer(solver: str, n_params: int, dtype, **kw) -> Optimizer:
    """The optimiser for ``solver`` (not "lbfgs", which scipy runs) with the Trainer's settings."""
    if solver == "adam":
        return Adam(n_params, dtype, kw["beta_1"], kw["beta_2"], kw["epsilon"])
    if solver == "adamw":
        return AdamW(n_params, dtype, kw["beta_1"], kw["beta_2"], kw["epsilon"],
                     kw["weight_decay"])  # fmt: skip
    if solver == "sgd":
        return SGD(n_params, dtype, kw["momentum"], kw["nesterovs_momentum"])
    if solver == "gd":
        return SGD(n_params, dtype, 0.0, False)
    if solver == "rmsprop":
        return RMSprop(n_params, dtype, kw["rho"], kw["epsilon"])
    raise ValueError(f"solver must be one of {', '.join(SOLVERS)}; found {solver!r}")
