"""Hidden-layer activations, each with its derivative written beside it.

Every :class:`Activation` has ``forward(z, out=None)``, ``derivative(z, a)``
(d a / d z, elementwise, a fresh array) and ``backprop(d, z, a)`` (``d *= a'``
in place: the form the training backward pass runs); ``uses`` says which of the
pre-activation ``z`` and the activation ``a`` the derivative reads, so the
network caches only what the backward pass needs (e.g. ``tanh' = 1 - a**2``
needs ``a`` alone). This table is the NumPy engine's only activation code: the
network's forward and backward passes call these functions and nothing else
(the compiled relu kernels of ``_fast.py`` are checked against them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

from probnn._math import sigmoid, softplus

__all__ = ["Activation", "ACTIVATIONS", "get_activation"]

Array = np.ndarray

_LEAK = 0.01
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


@dataclass(frozen=True)
class Activation:
    """An elementwise function with its derivative.

    Attributes
    ----------
    name : str
    forward : callable ``(z, out=None) -> a``
        ``z`` of any shape; writes into ``out`` (may be ``z`` itself) when given.
    derivative : callable ``(z, a) -> da/dz``
        Same shape as ``z``; a fresh array.
    uses : ``"a"`` or ``"z"``
        The input the derivative reads; the other may be passed as ``None``.
    backprop : callable ``(d, z, a) -> None``
        Multiplies ``d`` (the gradient with respect to ``a``, shape of ``z``) by
        the derivative in place, turning it into the gradient with respect to ``z``.
        Defaults to ``d *= derivative(z, a)``; activations with a cheaper in-place
        form (identity: nothing; relu: a mask) give their own.
    """

    name: str
    forward: Callable[..., Array]
    derivative: Callable[[Array | None, Array | None], Array]
    uses: str
    backprop: Callable[[Array, Array | None, Array | None], None] | None = None

    def __post_init__(self) -> None:
        if self.backprop is None:
            derivative = self.derivative

            def backprop(d: Array, z: Array | None, a: Array | None) -> None:
                d *= derivative(z, a)

            object.__setattr__(self, "backprop", backprop)


def _put(value: Array, out: Array | None) -> Array:
    if out is None:
        return value
    out[...] = value
    return out


# identity: a = z, a' = 1
def _identity(z: Array, out: Array | None = None) -> Array:
    return _put(z, out) if out is not None else z


def _identity_d(z: Array | None, a: Array | None) -> Array:
    ref = a if a is not None else z
    return np.ones_like(ref)


def _identity_backprop(d: Array, z: Array | None, a: Array | None) -> None:
    pass  # a' = 1


# logistic: a = 1 / (1 + e^-z), a' = a (1 - a)
def _logistic(z: Array, out: Array | None = None) -> Array:
    return _put(sigmoid(z), out)


def _logistic_d(z: Array | None, a: Array) -> Array:
    return a * (1 - a)


# tanh: a' = 1 - a^2
def _tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=out) if out is not None else np.tanh(z)


def _tanh_d(z: Array | None, a: Array) -> Array:
    d = np.square(a)
    np.subtract(1, d, out=d)
    return d


# relu: a = max(z, 0), a' = [a > 0]  (0 at the kink, as every framework does)
#
# NumPy's maximum against the scalar 0 (a stride-0 operand) misses its SIMD loop: ~6x
# slower (12 vs 2 us at 128 x 256) than against a zero array of z's shape. So relu compares
# with a view of a shared read-only zero buffer per dtype, grown to the largest size asked
# for, up to _ZERO_LIMIT elements; larger arrays compare with one broadcast row of zeros.
_ZERO_LIMIT = 1 << 20
_zero_buffers: dict[np.dtype, Array] = {}


def _zeros_like(z: Array) -> Array:
    """Zeros broadcastable to ``z`` (a view of the shared buffer when small enough)."""
    size, dtype = z.size, z.dtype
    if z.ndim == 0 or size > _ZERO_LIMIT:
        return np.zeros(z.shape[-1:], dtype)
    buf = _zero_buffers.get(dtype)
    if buf is None or buf.size < size:
        buf = np.zeros(size, dtype)
        buf.flags.writeable = False
        _zero_buffers[dtype] = buf  # replaces the smaller one; views of it stay valid
    return buf[:size].reshape(z.shape)


def _relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, _zeros_like(z), out=out)


def _relu_d(z: Array | None, a: Array) -> Array:
    return (a > 0).astype(a.dtype)


def _relu_backprop(d: Array, z: Array | None, a: Array) -> None:
    np.multiply(d, a > 0, out=d)  # a boolean mask: cheaper than building a' as floats


# leaky relu: a = z for z > 0 else 0.01 z; a' = 1 or 0.01 (sign of a = sign of z)
def _leaky(z: Array, out: Array | None = None) -> Array:
    res = np.where(z > 0, z, z * z.dtype.type(_LEAK))
    return _put(res, out)


def _leaky_d(z: Array | None, a: Array) -> Array:
    return np.where(a > 0, a.dtype.type(1), a.dtype.type(_LEAK))


# softplus: a = log(1 + e^z), a' = sigmoid(z)
def _softplus(z: Array, out: Array | None = None) -> Array:
    return _put(softplus(z), out)


def _softplus_d(z: Array, a: Array | None) -> Array:
    return sigmoid(z)


# gelu (exact): a = z Phi(z), a' = Phi(z) + z phi(z)
def _gelu(z: Array, out: Array | None = None) -> Array:
    return _put(z * special.ndtr(z), out)


def _gelu_d(z: Array, a: Array | None) -> Array:
    pdf = np.exp(-0.5 * np.square(z)) * z.dtype.type(_INV_SQRT_2PI)
    return special.ndtr(z) + z * pdf


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", _identity, _identity_d, "a", _identity_backprop),
    "logistic": Activation("logistic", _logistic, _logistic_d, "a"),
    "tanh": Activation("tanh", _tanh, _tanh_d, "a"),
    "relu": Activation("relu", _relu, _relu_d, "a", _relu_backprop),
    "leaky_relu": Activation("leaky_relu", _leaky, _leaky_d, "a"),
    "softplus": Activation("softplus", _softplus, _softplus_d, "z"),
    "gelu": Activation("gelu", _gelu, _gelu_d, "z"),
}
ACTIVATIONS["sigmoid"] = ACTIVATIONS["logistic"]


def get_activation(name: str) -> Activation:
    """The activation called ``name``; ValueError listing the known names otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(sorted(ACTIVATIONS))}"
        ) from None
