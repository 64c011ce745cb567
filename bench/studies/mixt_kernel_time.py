"""CPU time of mixture-studentt fits with and without its compiled loss (issue 22).

Usage: ``python -m bench.studies.mixt_kernel_time``: 2,000 rows of a two-mode, t(3)-noised
target on 3 features; a network (hidden (32,), Adam, 30 epochs), the same with a floor (min_scale 0.05) and a
GLM (L-BFGS) under
the numba engine, the compiled loss on and off (``compiled_loss_applies`` patched False:
the NumPy loss, as before), interleaved, 3 repeats each, one process (caches warm after
the first fit); CPU seconds per fit (process_time), and whether the two fits agree.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

os.environ["PROBNN_ENGINE"] = "numba"


def main() -> None:
    from probnn.estimators import MLPRegressor
    from probnn.families.mixture_studentt import MixtureStudentTFamily

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 3))
    y = np.where(rng.random(2000) < 0.5, -2.0, 2.0) + X[:, 0] + rng.standard_t(3, 2000) * 0.5
    setups = {"network": dict(hidden_layer_sizes=(32,), max_iter=30),
              "glm": dict(hidden_layer_sizes=(), solver="lbfgs"),
              "floored network": dict(hidden_layer_sizes=(32,), max_iter=30,
                                      family_params={"min_scale": 0.05})}
    applies = MixtureStudentTFamily.compiled_loss_applies
    off = property(lambda self: False)
    times = {(s, c): [] for s in setups for c in ("numpy loss", "compiled loss")}
    out = {}
    for rep in range(4):
        for name, kw in setups.items():
            for case, prop in (("numpy loss", off), ("compiled loss", applies)):
                MixtureStudentTFamily.compiled_loss_applies = prop
                model = MLPRegressor(family="mixture-studentt", random_state=0, **kw)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.process_time()
                    model.fit(X, y)
                    took = time.process_time() - t0
                if rep > 0:  # the first: compiling / loading caches
                    times[(name, case)].append(took)
                out[(name, case)] = model.predict_dist(X).log_prob(y)
    MixtureStudentTFamily.compiled_loss_applies = applies
    for (name, case), ts in times.items():
        print(f"{name:16s} {case:14s} CPU s per fit: {np.median(ts):.3f} ({', '.join(f'{t:.3f}' for t in ts)})")
    for name in setups:
        same = np.array_equal(out[(name, "numpy loss")], out[(name, "compiled loss")])
        print(f"{name}: the two fits bit-identical: {same}")


if __name__ == "__main__":
    main()
