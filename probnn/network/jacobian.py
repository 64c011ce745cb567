"""The Jacobian of a network's raw outputs with respect to its weights, row by row.

The Laplace approximation (:mod:`probnn.laplace`) needs, for each row ``i``, the
matrix ``J_i = d raw_i / d params`` of shape ``(n_outputs, n_params)``: the
generalised Gauss-Newton matrix is ``sum_i J_i^T H_i J_i`` and the linearised
predictive covariance of the raw outputs is ``J_i Sigma J_i^T``. Training's
:meth:`MLP.backward` sums over rows, so this module runs its own forward and
backward passes in float64 (whatever the network's dtype), one backward per
output at once: the deltas carry an extra axis of length ``n_outputs``.
"""

from __future__ import annotations

import numpy as np

from probnn.network.mlp import MLP

__all__ = ["output_jacobian", "parameter_index"]

Array = np.ndarray


def parameter_index(network: MLP, subset: str) -> np.ndarray:
    """Positions in ``network.params`` of the weights ``subset`` names, in Jacobian order.

    Parameters
    ----------
    network : MLP
    subset : {"all", "last-layer"}

    Returns
    -------
    ndarray of int, shape (n_subset,)
        "all": every parameter (coefficients of every layer, then the biases,
        as in ``params``); "last-layer": the output layer's coefficients
        (``fan_in * n_outputs``, row-major), then its biases.
    """
    if subset == "all":
        return np.arange(network.params.size)
    sizes = network.layer_sizes
    coef_start = sum(a * b for a, b in zip(sizes[:-2], sizes[1:-1]))
    coef_stop = network.n_coef_params
    bias_start = network.n_coef_params + sum(sizes[1:-1])
    return np.concatenate([np.arange(coef_start, coef_stop),
                           np.arange(bias_start, network.params.size)])  # fmt: skip


def output_jacobian(network: MLP, X, subset: str = "all") -> tuple[Array, Array]:
    """Raw outputs and their Jacobian with respect to the weights, per row, in float64.

    Parameters
    ----------
    network : MLP
    X : array-like of shape (n_samples, n_features)
    subset : {"all", "last-layer"}
        Which weights (:func:`parameter_index`); "last-layer" costs one forward pass.

    Returns
    -------
    raw : ndarray of shape (n_samples, n_outputs)
    jacobian : ndarray of shape (n_samples, n_outputs, n_subset)
        ``jacobian[i, j, p] = d raw[i, j] / d params[parameter_index(network, subset)[p]]``.
        Memory: ``8 * n_samples * n_outputs * n_subset`` bytes; callers pass rows in chunks.
    """
    X = np.asarray(network._check_X(X), dtype=np.float64)
    act = network._act
    coefs = [np.asarray(W, dtype=np.float64) for W in network.coefs]
    biases = [np.asarray(b, dtype=np.float64) for b in network.intercepts]
    inputs, pre = [X], []
    h = X
    for W, b in zip(coefs[:-1], biases[:-1]):
        z = h @ W + b
        pre.append(z)
        h = act.forward(z.copy())
        inputs.append(h)
    raw = h @ coefs[-1] + biases[-1]
    n, k = raw.shape
    eye = np.eye(k)
    # the output layer: d raw_j / d W[a, b] = h[a] * [b == j], d raw_j / d b[b] = [b == j]
    last_coef = np.einsum("ia,jb->ijab", h, eye).reshape(n, k, -1)
    last_bias = np.broadcast_to(eye, (n, k, k))
    if subset == "last-layer":
        return raw, np.concatenate([last_coef, last_bias], axis=2)
    coef_blocks, bias_blocks = [last_coef], [last_bias]
    delta = np.broadcast_to(eye, (n, k, k))  # d raw_j / d (output layer's pre-activation)
    for layer in range(network.n_layers - 2, -1, -1):
        z = pre[layer]
        a = inputs[layer + 1]
        # d raw_j / d z_layer = (delta @ W_{layer+1}^T) * act'(z_layer), for every j at once
        delta = np.matmul(delta, coefs[layer + 1].T) * act.derivative(z, a)[:, None, :]
        coef_blocks.append(np.einsum("ia,ijb->ijab", inputs[layer], delta).reshape(n, k, -1))
        bias_blocks.append(delta)
    return raw, np.concatenate(coef_blocks[::-1] + bias_blocks[::-1], axis=2)
