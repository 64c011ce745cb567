"""A fully connected network whose outputs are raw distribution parameters.

All weights and biases live in one flat buffer ``params`` (coefficient
matrices first, then the bias vectors), and the gradient in one flat buffer of
the same layout, so an optimiser updates everything with a few in-place ufunc
calls and a prior's penalty touches the coefficients as one slice.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from probnn._validation import Interval, Options, check_params, make_rng
from probnn.exceptions import NetworkTooLargeError
from probnn.network.activations import ACTIVATIONS, get_activation

__all__ = ["MLP", "make_rng", "n_parameters", "memory_budget", "check_memory",
           "TRAINING_COPIES"]  # make_rng: probnn._validation's, the one random-state helper

Array = np.ndarray

# What the network's settings may be (the estimators' tables reuse these entries).
MLP_CONSTRAINTS = {
    "activation": [Options(*ACTIVATIONS)],
    "dropout": [Interval(0.0, 1.0, closed="left")],
    "init": [Options("auto", "glorot", "he", "zeros")],
}


# Copies of the parameter vector that training holds at once: the weights, their gradient,
# Adam's two moments, the moving average and its scratch buffer, the best epoch's weights.
TRAINING_COPIES = 7
# Buffers per hidden unit and batch row while training: activation, pre-activation, delta,
# and dropout's input and mask.
_BUFFERS_PER_UNIT = 5
_GIB = 2.0**30


def n_parameters(layer_sizes: Sequence[int]) -> int:
    """Weights and biases of a network of ``layer_sizes``, in Python integers (no overflow).

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden, n_outputs]``.
    """
    s = [int(v) for v in layer_sizes]
    return sum(a * b + b for a, b in zip(s[:-1], s[1:]))


def memory_budget() -> int | None:
    """Bytes of memory this process could use at most: the machine's physical memory, or
    the control group's limit (a container's) when that is lower; None when unknown.
    """
    budget = None
    try:
        budget = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                limit = int(fh.read().strip())  # "max" (no limit) does not parse
        except (OSError, ValueError):
            continue
        if limit > 0 and (budget is None or limit < budget):
            budget = limit
    return budget if budget and budget > 0 else None


def check_memory(layer_sizes: Sequence[int], dtype, *, copies: int = 2, batch_rows: int = 0,
                 what: str = "") -> None:  # fmt: skip
    """Refuse, before anything is allocated, a network whose buffers exceed the memory there is.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden, n_outputs]``.
    dtype : numpy float type
    copies : int
        Parameter vectors held at once (2 for a network: weights and gradient;
        :data:`TRAINING_COPIES` while training).
    batch_rows : int
        Rows of the largest batch pushed through the network while training
        (its activations and deltas); 0 for none.
    what : str
        What the memory is for, in the message (e.g. "training").

    Raises
    ------
    NetworkTooLargeError
        Naming the layer sizes, the GiB needed and the GiB there are.
    """
    sizes = [int(v) for v in layer_sizes]
    units = _BUFFERS_PER_UNIT * sum(sizes[1:-1]) + sizes[-1] + sizes[0]
    need = np.dtype(dtype).itemsize * (copies * n_parameters(sizes) + int(batch_rows) * units)
    budget = memory_budget()
    if budget is not None and need > budget:
        task = f" for {what}" if what else ""
        raise NetworkTooLargeError(
            f"a network of layer sizes {sizes} ({n_parameters(sizes):,} parameters) needs "
            f"about {need / _GIB:,.1f} GiB{task}; this machine has {budget / _GIB:,.1f} GiB: "
            "choose smaller hidden layers"
        )


class MLP:
    """Multi-layer perceptron from features to a family's raw outputs.

    ``raw = f_L(... f_1(X W_1 + b_1) ...) W_L + b_L``.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden, n_outputs]``; ``n_features`` may be 0 (the
        constant model: only the output bias matters).
    activation : str
        Hidden-layer activation, a key of ``ACTIVATIONS``. The output layer is
        always the identity (the family's link turns raw values into parameters).
    dtype : numpy float type
        float32 (fast) or float64 (exact gradient checks).
    init : {"auto", "glorot", "he", "zeros"}
        "auto" is PyTorch's default for a linear layer, uniform on
        ``+-1/sqrt(fan_in)`` (variance ``1/(3 fan_in)``), for every layer. On
        the synthetic tasks of ``bench`` scenario 3 (8-64-64 relu, Adam, 40
        epochs) it generalised best: He's larger hidden weights doubled the
        held-out excess NLL, and Glorot (scikit-learn's) left it about 20%
        higher on the regression tasks. "glorot" and "he" are there when
        wanted. "zeros" is refused when there are hidden layers.
    random_state : None, int, Generator or RandomState
    dropout : float in [0, 1)
        Probability of dropping a hidden unit while training (inverted dropout:
        kept units are scaled by ``1 / (1 - dropout)``, so inference needs nothing).

    Attributes
    ----------
    params : ndarray of shape (n_params,)
    coefs : list of ndarray, views of shape (fan_in, fan_out)
    intercepts : list of ndarray, views of shape (fan_out,)
    grad : ndarray of shape (n_params,)
        The buffer :meth:`backward` fills; ``coef_grads`` / ``intercept_grads``
        are views into it.
    n_coef_params : int
        ``params[:n_coef_params]`` are all the coefficients (the prior's slice).
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        *,
        dtype=np.float32,
        init: str = "auto",
        random_state=None,
        dropout: float = 0.0,
    ) -> None:
        sizes = [int(s) for s in layer_sizes]
        if len(sizes) < 2 or any(s < 0 for s in sizes) or any(s < 1 for s in sizes[1:]):
            raise ValueError(
                "layer_sizes must be [n_features, *hidden, n_outputs] with n_features >= 0 "
                f"and every other size >= 1; found {list(layer_sizes)!r}"
            )
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"MLP: dtype must be a float type; found {self.dtype}")
        check_params(dict(activation=activation, dropout=dropout, init=init),
                     MLP_CONSTRAINTS, "MLP")  # fmt: skip
        if init == "zeros" and len(sizes) > 2:
            raise ValueError(
                f"init='zeros' cannot train a network with hidden layers {sizes[1:-1]}: hidden "
                "units that start equal get equal gradients and stay equal forever; use "
                "'auto', 'glorot' or 'he'"
            )
        check_memory(sizes, self.dtype)  # before the allocation that would exhaust it
        self.layer_sizes = sizes
        self.activation = activation
        self._act = get_activation(activation)
        self.dropout = float(dropout)
        self.init = init
        self._build_views(np.zeros(self._n_params(), dtype=self.dtype))
        self._initialise(make_rng(random_state))
        self._cap = 0
        self._fused = None

    # ----------------------------------------------------------- layout
    def _n_params(self) -> int:
        return n_parameters(self.layer_sizes)

    def _views(self, flat: Array) -> tuple[list[Array], list[Array]]:
        s = self.layer_sizes
        coefs, intercepts, pos = [], [], 0
        for a, b in zip(s[:-1], s[1:]):
            coefs.append(flat[pos : pos + a * b].reshape(a, b))
            pos += a * b
        for b in s[1:]:
            intercepts.append(flat[pos : pos + b])
            pos += b
        return coefs, intercepts

    def _build_views(self, params: Array) -> None:
        self.params = params
        self.coefs, self.intercepts = self._views(params)
        self.grad = np.zeros_like(params)
        self.coef_grads, self.intercept_grads = self._views(self.grad)
        s = self.layer_sizes
        self.n_coef_params = sum(a * b for a, b in zip(s[:-1], s[1:]))

    def _initialise(self, rng: np.random.Generator) -> None:
        if self.init == "zeros":
            return
        for k, W in enumerate(self.coefs):
            fan_in, fan_out = W.shape
            # uniform with the variance of the named scheme: 1/(3 fan_in) (auto, as PyTorch's
            # nn.Linear), 2/fan_in (He), 2/(fan_in + fan_out) (Glorot). He keeps activations'
            # variance through deep rectifier stacks, but at the depths probnn trains a
            # smaller start generalised better (see the docstring)
            var = {"auto": 1.0 / (3.0 * max(fan_in, 1)), "he": 2.0 / max(fan_in, 1),
                   "glorot": 2.0 / max(fan_in + fan_out, 1)}[self.init]
            bound = np.sqrt(3.0 * var)
            W[...] = rng.uniform(-bound, bound, size=W.shape)

    @property
    def n_layers(self) -> int:
        """Number of weight layers (hidden layers + 1)."""
        return len(self.layer_sizes) - 1

    def set_params(self, flat) -> None:
        """Copy ``flat`` (shape ``(n_params,)``) into ``params``; the views stay valid."""
        flat = np.asarray(flat)
        if flat.shape != self.params.shape:
            raise ValueError(
                f"expected a flat parameter vector of shape {self.params.shape} for layer "
                f"sizes {self.layer_sizes}; found shape {flat.shape}"
            )
        self.params[...] = flat

    def copy_params(self) -> Array:
        """A copy of ``params`` (shape ``(n_params,)``)."""
        return self.params.copy()

    def use_fused(self, kernels) -> None:
        """Run relu layers' bias + activation (forward) and mask + bias gradient (backward)
        as one compiled pass each (``probnn.network._fast.kernels()``); ``None``: NumPy again.

        The forward is bit-identical to NumPy's; the bias gradients are column sums accumulated
        in float64 instead of BLAS's float32 ``ones @ delta``, so they agree to float32 rounding.
        Other activations keep the NumPy code.
        """
        self._fused = kernels if self.activation == "relu" else None

    # ------------------------------------------------------------ buffers
    def _ensure_buffers(self, n: int) -> None:
        """Activation / delta buffers for batches of up to ``n`` rows (reused as slices)."""
        if n <= self._cap:
            return
        hidden = self.layer_sizes[1:-1]
        dt = self.dtype
        self._a = [np.empty((n, h), dt) for h in hidden]  # activations (pre-dropout)
        self._z = [np.empty((n, h), dt) for h in hidden] if self._act.uses == "z" else None
        self._in = [np.empty((n, h), dt) for h in hidden] if self.dropout else None
        self._mask = [np.empty((n, h), dt) for h in hidden] if self.dropout else None
        self._d = [np.empty((n, h), dt) for h in hidden]  # deltas of hidden layers
        self._out = np.empty((n, self.layer_sizes[-1]), dt)
        self._ones = np.ones(n, dt)
        self._cap = n

    # ------------------------------------------------------------ forward
    def _check_X(self, X) -> Array:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"X must have shape (n_samples, {self.layer_sizes[0]}) for this network; "
                f"found shape {X.shape}"
            )
        if X.dtype != self.dtype or not X.flags.c_contiguous:
            X = np.ascontiguousarray(X, dtype=self.dtype)
        return X

    def forward(self, X, *, training: bool = False, rng=None) -> Array:
        """Raw outputs for inputs ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        training : bool
            Cache what :meth:`backward` needs and apply dropout to hidden layers.
            The returned array is then an internal buffer, overwritten by the next call.
        rng : Generator, optional
            Source of the dropout masks (training only).

        Returns
        -------
        ndarray of shape (n_samples, n_outputs), the network's dtype
        """
        X = self._check_X(X)
        if not training:
            h = X
            for W, b in zip(self.coefs[:-1], self.intercepts[:-1]):
                z = h @ W
                z += b
                h = self._act.forward(z, out=z)
            out = h @ self.coefs[-1]
            out += self.intercepts[-1]
            return out
        if self.dropout and rng is None and self.n_layers > 1:
            raise ValueError("forward(training=True) with dropout needs an rng")
        return self._forward_train(X, rng)

    def _forward_train(self, X: Array, rng=None) -> Array:
        """The training forward pass on a checked ``X`` (C-contiguous, the network's dtype)."""
        n = X.shape[0]
        if n > self._cap:
            self._ensure_buffers(n)
        self._X = X
        self._n = n
        fused = self._fused
        h = X
        k = 0
        for W, b in zip(self.coefs[:-1], self.intercepts[:-1]):
            a = self._a[k][:n]
            if self._z is not None:
                z = self._z[k][:n]
                np.dot(h, W, out=z)
                z += b
                self._act.forward(z, out=a)
            else:
                np.dot(h, W, out=a)
                if fused is not None:
                    fused["bias_relu"](a, b)
                else:
                    a += b
                    self._act.forward(a, out=a)  # in place: the derivative reads a only
            h = a
            if self.dropout:
                mask = self._mask[k][:n]
                rng.random(out=mask, dtype=mask.dtype)
                # keep with probability 1 - p, scaled so the expected activation is unchanged
                keep = mask >= self.dropout
                np.multiply(keep, 1.0 / (1.0 - self.dropout), out=mask)
                h = np.multiply(a, mask, out=self._in[k][:n])
            k += 1
        out = self._out[:n]
        np.dot(h, self.coefs[-1], out=out)
        out += self.intercepts[-1]
        return out

    # ----------------------------------------------------------- backward
    def backward(self, delta) -> Array:
        """Backpropagate ``delta = d objective / d raw`` through the last training forward.

        Parameters
        ----------
        delta : ndarray of shape (n_samples, n_outputs)

        Returns
        -------
        ndarray of shape (n_params,)
            The gradient in the layout of ``params``; an internal buffer reused
            between calls (copy it to keep it).
        """
        n = getattr(self, "_n", None)
        if n is None:
            raise RuntimeError("backward() needs a forward(X, training=True) call first")
        delta = np.asarray(delta)
        if delta.shape != (n, self.layer_sizes[-1]):
            raise ValueError(
                f"delta must have shape ({n}, {self.layer_sizes[-1]}) like the raw outputs "
                f"of the last forward pass; found shape {delta.shape}"
            )
        if delta.dtype != self.dtype or not delta.flags.c_contiguous:
            delta = np.ascontiguousarray(delta, dtype=self.dtype)
        return self._backward(delta)

    def _backward(self, delta: Array) -> Array:
        """:meth:`backward` for a checked ``delta`` (C-contiguous, (n, n_outputs), the dtype)."""
        n = self._n
        dot = np.dot
        ones = self._ones[:n]
        coefs, coef_grads, intercept_grads = self.coefs, self.coef_grads, self.intercept_grads
        act = self._act
        fused = self._fused
        bias_done = False  # the fused relu kernel has filled intercept_grads[k]
        for k in range(self.n_layers - 1, -1, -1):
            if k == 0:
                h = self._X
            elif self.dropout:
                h = self._in[k - 1][:n]
            else:
                h = self._a[k - 1][:n]
            dot(h.T, delta, out=coef_grads[k])
            if not bias_done:
                # column sums as a matrix-vector product: BLAS is faster than sum(axis=0)
                dot(ones, delta, out=intercept_grads[k])
            if k == 0:
                break
            d = self._d[k - 1][:n]
            # matmul, not dot, for a transposed right operand: bit-identical, and measured
            # 920 vs 1315 us at 128x256 @ 256x784 on this Xeon (dot stays faster for h.T @ delta)
            np.matmul(delta, coefs[k].T, out=d)
            if self.dropout:
                d *= self._mask[k - 1][:n]
            a = self._a[k - 1][:n]
            if fused is not None:
                # one pass: d * [a > 0] and its column sums, the next layer's bias gradient
                fused["relu_mask_colsum"](d, a, intercept_grads[k - 1])
                bias_done = True
            else:
                act.backprop(d, self._z[k - 1][:n] if self._z is not None else None, a)
            delta = d
        return self.grad

    # ----------------------------------------------------------- pickling
    def __getstate__(self) -> dict:
        # drop views and scratch buffers: they are rebuilt around params on load
        keep = ("layer_sizes", "activation", "dropout", "init", "dtype", "params")
        return {k: self.__dict__[k] for k in keep}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({k: v for k, v in state.items() if k != "params"})
        self._act = get_activation(self.activation)
        self._build_views(np.ascontiguousarray(state["params"]).copy())
        self._cap = 0
        self._fused = None
