"""Data loading for the benchmarks (read from ../shared/data, never copied into the repo)."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

# PROBNN_SHARED_DATA points elsewhere, e.g. from a git worktree that has no ../shared beside it
DATA_DIR = Path(os.environ.get("PROBNN_SHARED_DATA")
                or Path(__file__).resolve().parents[1] / ".." / "shared" / "data")


def _read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (gzip): big-endian dims after a 4-byte magic whose last byte is ndim."""
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _load_mnist(prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    """``prefix``-images / -labels ("train" or "t10k"): float32 pixels in [0, 1], int64 labels."""
    d = DATA_DIR / "mnist"
    xi, yi = d / f"{prefix}-images-idx3-ubyte.gz", d / f"{prefix}-labels-idx1-ubyte.gz"
    if not (xi.exists() and yi.exists()):
        return None
    X = _read_idx(xi).reshape(-1, 784).astype(np.float32) / np.float32(255.0)
    return X, _read_idx(yi).astype(np.int64)


def load_mnist_train() -> tuple[np.ndarray, np.ndarray] | None:
    """MNIST training set as float32 pixels in [0, 1], shape (60000, 784), and int64 labels.

    Returns None when the files are absent.
    """
    return _load_mnist("train")


def load_mnist_test() -> tuple[np.ndarray, np.ndarray] | None:
    """MNIST test set (10000 x 784 float32 in [0, 1], int64 labels); None when absent."""
    return _load_mnist("t10k")


def load_csv(relative: str):
    """A CSV under ../shared/data as a pandas DataFrame; None when absent."""
    import pandas as pd

    path = DATA_DIR / relative
    return pd.read_csv(path) if path.exists() else None
