"""The matrix-multiply floor: the matmuls of one training step, with nothing else.

Shared by the harness (``bench._worker``, which times whole epochs) and
``bench.tools.profile_probnn`` (which times each step), so both time exactly the same work.
"""
from __future__ import annotations

import numpy as np


def floor_weights(hidden) -> list[np.ndarray]:
    """float32 weight matrices of a 784-``hidden``-10 network (values irrelevant to the timing)."""
    rng = np.random.default_rng(0)
    sizes = [784, *hidden, 10]
    return [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]


def floor_step(xb: np.ndarray, W: list[np.ndarray]) -> None:
    """The forward products, then backward the weight gradients and the deltas below."""
    acts = [xb]
    for w in W:
        acts.append(acts[-1] @ w)
    d = acts[-1]
    for i in range(len(W) - 1, -1, -1):
        acts[i].T @ d  # weight gradient
        if i > 0:
            d = d @ W[i].T  # delta to the layer below
