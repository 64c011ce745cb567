"""Where one probnn epoch on MNIST goes: ``python -m bench.profile_probnn [--hidden 256] [--cprofile]``.

By default times each phase of every minibatch step (batch gather, forward, loss and gradient,
backward, optimiser step) with ``perf_counter`` around the Trainer's own calls, over two epochs,
and prints per phase the median and minimum per step and the median scaled to one epoch
(469 steps), next to the whole epoch and the matrix-multiply floor (the same matmuls alone). The
minimum is the figure to trust on a busy machine; "other" is the epoch minus the phases (the
loop's own Python, y / weight gathers, the loss sum). ``--cprofile`` prints cProfile's table
instead (its per-call overhead inflates the small calls).

Like the harness (``python -m bench``), it runs with 2 threads and without the
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pins (set them in the shell to compare).
"""
from __future__ import annotations

import os
import sys

# --threads N (default 2, the harness's); 1 is steadier on a busy machine
_THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = _THREADS
if "--keep-pins" not in sys.argv:
    for _v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        os.environ.pop(_v, None)

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from bench._data import load_mnist_train  # noqa: E402
from bench._floor import floor_step, floor_weights  # noqa: E402


def _model(hidden, epochs):
    from probnn.estimators import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=128,
                         learning_rate_init=1e-3, max_iter=epochs, tol=0,
                         n_iter_no_change=10**9, shuffle=True, alpha=0.0, dtype="float32",
                         random_state=0)


def _timed(obj, name, times):
    """Wrap ``obj.name`` (an instance attribute shadowing the method) to record call times."""
    f = getattr(obj, name)
    clock = time.perf_counter

    def wrapper(*a, **k):
        t0 = clock()
        r = f(*a, **k)
        times.append(clock() - t0)
        return r

    setattr(obj, name, wrapper)


def phases(X, y, hidden, epochs=2):
    from probnn.network import training

    times = {k: [] for k in ("gather X", "forward", "loss+gradient", "backward", "optimiser")}
    epoch_times, cpu_times = [], []
    orig_epoch = training.Trainer._epoch

    def epoch(self, *a, **k):
        if not hasattr(self, "_profiled"):
            self._profiled = True
            # the Trainer's unchecked internals where it has them, else the public methods
            net, fam = self.network, self.family
            _timed(net, "_forward_train" if hasattr(net, "_forward_train") else "forward",
                   times["forward"])
            _timed(net, "_backward" if hasattr(net, "_backward") else "backward",
                   times["backward"])
            _timed(fam, "_loss_gradient" if hasattr(self, "_batch_targets") else "loss_gradient",
                   times["loss+gradient"])
        if self._optimizer is None:
            from probnn.network.optimizers import make_optimizer

            from probnn.network import _fast

            self._optimizer = make_optimizer(self.solver, self.network.params.size,
                                             self.network.dtype, **self._opt_kw)
            # as the Trainer does for a fresh optimiser (PROBNN_ENGINE=numba|numpy forces a path)
            _fast.enable_for(self._optimizer, 469 * self.max_iter, self.engine)
        if not hasattr(self._optimizer, "_profiled"):
            self._optimizer._profiled = True
            _timed(self._optimizer, "step", times["optimiser"])
        t0, c0 = time.perf_counter(), time.process_time()
        r = orig_epoch(self, *a, **k)
        epoch_times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        return r

    orig_take = np.take

    def take(*a, **k):
        t0 = time.perf_counter()
        r = orig_take(*a, **k)
        times["gather X"].append(time.perf_counter() - t0)
        return r

    training.Trainer._epoch = epoch
    training.np.take = take  # the module's np is numpy itself: restore below
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _model(hidden, epochs).fit(X, y)
    finally:
        training.Trainer._epoch = orig_epoch
        np.take = orig_take
    return times, epoch_times, cpu_times


def floor(X, hidden, epochs=2):
    """The harness's matrix-multiply floor (bench._floor), timed per step.

    Returns the per-step times of the last epoch (the same matmuls on contiguous slices of X).
    """
    W = floor_weights(hidden)
    n, bs = X.shape[0], 128
    times = []
    for _ in range(epochs):
        times.clear()
        for s in range(0, n, bs):
            t0 = time.perf_counter()
            floor_step(X[s:s + bs], W)
            times.append(time.perf_counter() - t0)
    return np.asarray(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.profile_probnn")
    ap.add_argument("--hidden", default="256", help="hidden sizes, e.g. 256 or 512-512")
    ap.add_argument("--cprofile", action="store_true", help="print cProfile's table instead")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads (2 as the harness)")
    ap.add_argument("--keep-pins", action="store_true",
                    help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from the environment")
    a = ap.parse_args(argv)
    hidden = tuple(int(h) for h in a.hidden.split("-"))
    X, y = load_mnist_train()
    with threadpool_limits(a.threads):
        if a.cprofile:
            m = _model(hidden, 1)
            prof = cProfile.Profile()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prof.runcall(m.fit, X, y)
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
            return
        times, epoch_times, cpu_times = phases(X, y, hidden, a.epochs)
        fl = floor(X, hidden)
    steps = -(-X.shape[0] // 128)
    print(f"784-{a.hidden}-10, batch 128, {steps} steps per epoch, {a.threads} BLAS thread(s); "
          "epochs " + ", ".join(f"{t:.3f}" for t in epoch_times) + " s wall, "
          + ", ".join(f"{t:.3f}" for t in cpu_times) + " s CPU (all threads; with 1 thread "
          "the figure a busy machine disturbs least)")
    print(f"{'phase':14s} {'median us':>10s} {'min us':>8s} {'s/epoch (median)':>17s} "
          f"{'s/epoch (min)':>14s}")
    total_med = total_min = 0.0
    for k, v in times.items():
        v = np.asarray(v[len(v) // 2:])  # the last epoch: caches and pools warm
        if not v.size:
            continue
        med, mn = float(np.median(v)), float(v.min())
        total_med += med * steps
        total_min += mn * steps
        print(f"{k:14s} {med * 1e6:10.1f} {mn * 1e6:8.1f} {med * steps:17.4f} {mn * steps:14.4f}")
    last = epoch_times[-1]
    print(f"{'phases':14s} {'':10s} {'':8s} {total_med:17.4f} {total_min:14.4f}")
    print(f"{'other':14s} {'':10s} {'':8s} {last - total_med:17.4f} {'':14s}")
    fmed, fmin = float(np.median(fl)), float(fl.min())
    print(f"{'matmul floor':14s} {fmed * 1e6:10.1f} {fmin * 1e6:8.1f} {fmed * steps:17.4f} "
          f"{fmin * steps:14.4f}")
    print(f"epoch {last:.4f} s (floor's epoch {fl.sum():.4f} s); phases / floor: "
          f"{total_med / (fmed * steps):.2f} (medians), {total_min / (fmin * steps):.2f} (minima)")


if __name__ == "__main__":
    main()
