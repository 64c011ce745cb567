"""cProfile of one probnn epoch on MNIST 784-256-10: ``python -m bench.profile_probnn``.

Prints the functions with the most cumulative and own time, to see where time goes beyond the
matrix multiplications.
"""
from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "2"

import cProfile  # noqa: E402
import pstats  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from bench._data import load_mnist_train  # noqa: E402


def main() -> None:
    from probnn.estimators import MLPClassifier
    X, y = load_mnist_train()
    m = MLPClassifier(hidden_layer_sizes=(256,), solver="adam", batch_size=128,
                      learning_rate_init=1e-3, max_iter=1, tol=0, n_iter_no_change=10**9,
                      shuffle=True, alpha=0.0, dtype="float32", random_state=0)
    prof = cProfile.Profile()
    with threadpool_limits(2):
        prof.runcall(m.fit, X, y)
    st = pstats.Stats(prof)
    st.sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
