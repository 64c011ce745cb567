"""Optimisers that update one flat parameter buffer in place.

Each optimiser keeps its state in buffers of the parameters' size, allocated
once, and ``step(params, grad, lr)`` is a handful of in-place ufunc calls: no
per-step temporaries of parameter size. The update rules follow PyTorch's
``torch.optim`` definitions (so their single steps can be checked against it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "make_optimizer", "SOLVERS"]

Array = np.ndarray

SOLVERS = ("adam", "adamw", "sgd", "rmsprop", "gd", "lbfgs")


class Optimizer:
    """Base class: ``step(params, grad, lr)`` updates ``params`` (1-D) in place."""

    def __init__(self, n_params: int, dtype) -> None:
        self.t = 0
        self._tmp = np.zeros(n_params, dtype=dtype)

    def step(self, params: Array, grad: Array, lr: float) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent with (optionally Nesterov) momentum.

    ``v <- mu v + g``; then ``p <- p - lr v`` or, Nesterov, ``p <- p - lr (g + mu v)``.
    ``momentum=0`` is plain gradient descent.
    """

    def __init__(self, n_params: int, dtype, momentum: float = 0.9, nesterov: bool = True):
        super().__init__(n_params, dtype)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1); found {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov) and momentum > 0
        self.v = np.zeros(n_params, dtype=dtype) if momentum > 0 else None

    def step(self, params: Array, grad: Array, lr: float) -> None:
        self.t += 1
        if self.v is None:
            np.multiply(grad, -lr, out=self._tmp)
            params += self._tmp
            return
        v, mu = self.v, self.momentum
        if self.t == 1:
            v[...] = grad  # torch starts the buffer at the first gradient
        else:
            v *= mu
            v += grad
        if self.nesterov:
            np.multiply(v, mu, out=self._tmp)
            self._tmp += grad
            self._tmp *= -lr
        else:
            np.multiply(v, -lr, out=self._tmp)
        params += self._tmp


class Adam(Optimizer):
    """Adam: bias-corrected first and second moment estimates.

    ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
    ``p <- p - lr / (1-b1^t) * m / (sqrt(v / (1-b2^t)) + eps)``.
    """

    def __init__(self, n_params: int, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(n_params, dtype)
        for name, b in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1); found {b!r}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)

    def step(self, params: Array, grad: Array, lr: float) -> None:
        self.t += 1
        b1, b2, tmp = self.beta_1, self.beta_2, self._tmp
        self.m *= b1
        np.multiply(grad, 1 - b1, out=tmp)
        self.m += tmp
        self.v *= b2
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - b2
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp *= 1.0 / np.sqrt(1 - b2**self.t)
        tmp += self.epsilon
        np.divide(self.m, tmp, out=tmp)
        tmp *= -lr / (1 - b1**self.t)
        params += tmp


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p <- p (1 - lr wd)`` before the Adam step.

    The decay applies to every entry of the buffer given (as torch.optim.AdamW
    does to every parameter of its group).
    """

    def __init__(self, n_params, dtype, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.01):  # fmt: skip
        super().__init__(n_params, dtype, beta_1, beta_2, epsilon)
        self.weight_decay = float(weight_decay)

    def step(self, params: Array, grad: Array, lr: float) -> None:
        params *= 1 - lr * self.weight_decay
        super().step(params, grad, lr)


class RMSprop(Optimizer):
    """RMSprop: ``v <- rho v + (1-rho) g^2``, ``p <- p - lr g / (sqrt(v) + eps)``."""

    def __init__(self, n_params: int, dtype, rho: float = 0.9, epsilon: float = 1e-8):
        super().__init__(n_params, dtype)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"rho must be in [0, 1); found {rho!r}")
        self.rho, self.epsilon = float(rho), float(epsilon)
        self.v = np.zeros(n_params, dtype=dtype)

    def step(self, params: Array, grad: Array, lr: float) -> None:
        self.t += 1
        tmp = self._tmp
        self.v *= self.rho
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - self.rho
        self.v += tmp
        np.sqrt(self.v, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
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
