"""The negative binomial network's step with the compiled NB loss against the NumPy loss.

Usage: ``OMP_NUM_THREADS=1 python -m bench.studies.nb_kernel_step [REPEATS]``. In one process,
side by side (CPU seconds, ``time.process_time``): (1) the loss + gradient of a 32-row batch,
the family's NumPy ``_loss_gradient`` against ``_fast.loss_kernel_for``'s compiled one, and
the hurdle NB's with its count part compiled; (2) a
fit of the NB network (302 rows, 8 inputs, (32,) hidden, batch 32, 60 epochs, no early
stopping) with ``PROBNN_ENGINE=numba``, its loss compiled against the NumPy loss (the kernel
table's NB entry removed), per optimiser step. Medians of REPEATS (default 7).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np


def _median_cpu(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return float(np.median(times))


def main(repeats: int = 7) -> None:
    from probnn import MLPRegressor
    from probnn.families import get_family
    from probnn.network import _fast

    family = get_family("negative-binomial")
    rng = np.random.default_rng(0)
    raw = np.column_stack([rng.normal(1.0, 1.0, 32), rng.normal(-1.0, 2.0, 32)]).astype(np.float32)
    y = rng.negative_binomial(2.0, 0.3, 32).astype(np.float32)
    fused = _fast.loss_kernel_for(family)
    fused(raw, y, True)  # load the kernel
    calls = 2000
    numpy_s = _median_cpu(lambda: [family._loss_gradient(raw, y, True) for _ in range(calls)], repeats)
    fused_s = _median_cpu(lambda: [fused(raw, y, True) for _ in range(calls)], repeats)
    print(f"loss+gradient, 32 rows: NumPy {numpy_s / calls * 1e6:.1f} us, "
          f"compiled {fused_s / calls * 1e6:.1f} us per call ({numpy_s / fused_s:.1f}x)")
    hurdle = get_family("hurdle-negative-binomial")
    raw3 = np.column_stack([raw, rng.normal(0.0, 1.0, 32)]).astype(np.float32)
    y3 = np.where(rng.random(32) < 0.3, 0.0, y).astype(np.float32)
    fused3 = _fast.loss_kernel_for(hurdle)
    numpy_s = _median_cpu(lambda: [hurdle._loss_gradient(raw3, y3, True) for _ in range(calls)], repeats)
    fused_s = _median_cpu(lambda: [fused3(raw3, y3, True) for _ in range(calls)], repeats)
    print(f"hurdle NB loss+gradient, 32 rows: NumPy {numpy_s / calls * 1e6:.1f} us, "
          f"count part compiled {fused_s / calls * 1e6:.1f} us per call ({numpy_s / fused_s:.1f}x)")

    X = rng.normal(size=(302, 8))
    mu = np.exp(0.5 + X[:, 0] - 0.3 * X[:, 1])
    yy = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(np.float64)
    epochs = 60
    steps = epochs * -(-302 // 32)
    os.environ["PROBNN_ENGINE"] = "numba"
    key = ("probnn.families.negative_binomial", "NegativeBinomialFamily")
    entry = _fast._LOSSES[key]

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPRegressor(family="negative-binomial", hidden_layer_sizes=(32,), max_iter=epochs,
                         batch_size=32, early_stopping=False, tol=0.0, n_iter_no_change=10**6,
                         random_state=0).fit(X, yy)

    fit()  # load the compiled step
    result = {}
    for label, on in (("compiled loss", True), ("NumPy loss", False)):
        if on:
            _fast._LOSSES[key] = entry
        else:
            _fast._LOSSES.pop(key)
        result[label] = _median_cpu(fit, repeats) / steps
    _fast._LOSSES[key] = entry
    a, b = result["NumPy loss"], result["compiled loss"]
    print(f"NB network step (302 x 8, (32,), batch 32, engine numba): NumPy loss {a * 1e6:.0f} us, "
          f"compiled loss {b * 1e6:.0f} us per step ({a / b:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
