"""Where one probnn epoch on MNIST goes: ``python -m bench.tools.profile_probnn [--hidden 256] [--cprofile]``.

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


def _cpu_per_call(fn, reps: int | None) -> float:
    """CPU seconds per call of ``fn`` over ``reps`` calls (process time: all threads).

    ``reps=None``: as many calls as fill about 50 ms (10 to 200), from one call timed first.
    """
    if reps is None:
        c0 = time.process_time()
        fn()
        one = max(time.process_time() - c0, 1e-6)
        reps = int(min(200, max(10, 0.05 / one)))
    c0 = time.process_time()
    for _ in range(reps):
        fn()
    return (time.process_time() - c0) / reps


def isolated(X, y, hidden, bs=128, reps=None, rounds=7):
    """CPU seconds per call of each phase of one step, each phase repeated on one batch.

    For the NumPy engine and the compiled one (when numba is importable), the same calls as
    ``MLP._forward_train`` / ``MLP._backward`` / the Trainer's loop make, timed apart:
    the matrix products (forward and backward, into their ``out=`` buffers), bias + activation
    of every layer, relu mask + bias gradients, loss and gradient (with the Trainer's scaling
    and sum), the optimiser step (Adam), the batch gather; then the whole step composed of
    them on one batch, and on a new batch of rows each call (as an epoch does). The matmul
    floor runs on the same batch. Rounds interleave everything; each figure is the minimum over
    rounds (CPU time, ``--threads 1``: the least disturbed figure on a busy machine, whose other
    processes still slow a process they share caches and cores with).
    """
    from probnn.families import get_family
    from probnn.network import _fast
    from probnn.network.activations import ACTIVATIONS

    relu = ACTIVATIONS["relu"].forward
    from probnn.network.mlp import MLP
    from probnn.network.optimizers import make_optimizer

    sizes = [784, *hidden, 10]
    rng = np.random.default_rng(0)
    idx = rng.permutation(X.shape[0])[:bs]
    perm = rng.permutation(X.shape[0])
    yb = y[idx].astype(np.intp)
    xbuf = np.empty((bs, 784), np.float32)
    xb = X[idx].copy()
    engines = ["numpy"] + (["numba"] if _fast.numba_available() else [])
    setups = {}
    for engine in engines:
        net = MLP(sizes, random_state=0)
        fam = get_family("categorical")
        opt = make_optimizer("adam", net.params.size, net.dtype, beta_1=0.9, beta_2=0.999,
                             epsilon=1e-8)
        loss = fam._loss_gradient
        if engine == "numba":
            _fast.enable_for(opt, 1, "numba", network=net)
            loss = _fast.loss_kernel_for(fam)
        raw = net._forward_train(xb)
        g0 = loss(raw, yb, True)[1] * np.float32(1.0 / bs)
        net._backward(g0.copy())
        grad = net.grad.copy()
        L = net.n_layers
        hs = [xb] + [a[:bs] for a in net._a]
        outs = [a[:bs] for a in net._a] + [net._out[:bs]]
        ds = [d[:bs] for d in net._d]
        ones = net._ones[:bs]
        kern = net._fused

        def matmuls(net=net, hs=hs, outs=outs, ds=ds):
            for k in range(L):
                np.dot(hs[k], net.coefs[k], out=outs[k])
            d = g0
            for k in range(L - 1, -1, -1):
                np.dot(hs[k].T, d, out=net.coef_grads[k])
                if k:
                    np.matmul(d, net.coefs[k].T, out=ds[k - 1])
                    d = ds[k - 1]

        def bias_act(net=net, outs=outs, kern=kern):
            for k in range(L - 1):
                a = outs[k]
                if kern is not None:
                    kern["bias_relu"](a, net.intercepts[k])
                else:
                    a += net.intercepts[k]
                    relu(a, out=a)
            outs[-1] += net.intercepts[-1]

        def mask_bias_grads(net=net, outs=outs, ds=ds, kern=kern):
            np.dot(ones, g0, out=net.intercept_grads[L - 1])
            for k in range(L - 2, -1, -1):
                if kern is not None:
                    kern["relu_mask_colsum"](ds[k], outs[k], net.intercept_grads[k])
                else:
                    np.multiply(ds[k], outs[k] > 0, out=ds[k])
                    np.dot(ones, ds[k], out=net.intercept_grads[k])

        def loss_step(loss=loss, raw=raw):
            nll, g = loss(raw, yb, True)
            g *= np.float32(1.0 / bs)
            return float(np.sum(nll, dtype=np.float64))

        def composed(net=net, opt=opt, loss=loss, ix=idx):
            xg = np.take(X, ix, axis=0, out=xbuf, mode="clip")
            out = net._forward_train(xg)
            nll, g = loss(out, yb, True)
            g *= np.float32(1.0 / bs)
            float(np.sum(nll, dtype=np.float64))
            opt.step(net.params, net._backward(g), 1e-9)

        pos = [0]

        def composed_fresh(composed=composed):
            p = pos[0]
            pos[0] = (p + bs) % (X.shape[0] - bs)
            composed(ix=perm[p:p + bs])

        setups[engine] = {
            "matmuls": matmuls,
            "bias + activation": bias_act,
            "mask + bias gradients": mask_bias_grads,
            "loss + gradient": loss_step,
            "optimiser": lambda net=net, opt=opt, grad=grad: opt.step(net.params, grad, 1e-9),
            "gather X": lambda: np.take(X, idx, axis=0, out=xbuf, mode="clip"),
            "step, one batch": composed,
            "step, fresh rows": composed_fresh,
        }
    W = floor_weights(hidden)
    res = {e: {k: [] for k in setups[e]} for e in engines}
    res["floor"] = []
    for _ in range(rounds):
        for e in engines:
            for k, fn in setups[e].items():
                fn()
                res[e][k].append(_cpu_per_call(fn, reps))
        res["floor"].append(_cpu_per_call(lambda: floor_step(xb, W), reps))
    out = {e: {k: float(np.min(v)) for k, v in res[e].items()} for e in engines}
    out["floor"] = float(np.min(res["floor"]))
    return out


PHASES = ("matmuls", "bias + activation", "mask + bias gradients", "loss + gradient",
          "optimiser", "gather X")


def gap_table(X, y, hidden, bs=128) -> dict:
    """Where each engine's step goes beyond the matmul floor, in CPU seconds per step.

    ``phases``: each phase alone; ``cache interplay``: the composed step on one batch minus
    the phases' sum (the phases evict each other's data: the optimiser streams the
    parameters, gradient and state through the caches the matmuls' weights sat in);
    ``new rows``: a fresh batch of rows each step minus the same batch. phases + interplay +
    new rows = ``composed``, the step on fresh rows timed like the floor (least of the rounds).
    ``step``: a real epoch's (the Trainer's loop, without partial_fit's checks of X) per step,
    which adds the loop's Python and whatever the machine's load adds over a whole epoch;
    ``checks``: partial_fit's per-call validation of X, per step.
    """
    r = isolated(X, y, hidden, bs)
    engines = [e for e in r if e != "floor"]
    out = {"net": f"784-{'-'.join(map(str, hidden))}-10", "batch": bs, "floor": r["floor"],
           "engines": {}}
    for e in engines:
        d = r[e]
        whole_pf, loop = epoch_cpu(X, y, hidden, e, bs)
        rows = {k: d[k] for k in PHASES}
        rows["cache interplay"] = d["step, one batch"] - sum(d[k] for k in PHASES)
        rows["new rows"] = d["step, fresh rows"] - d["step, one batch"]
        out["engines"][e] = {"rows": rows, "composed": d["step, fresh rows"], "step": loop,
                             "checks": whole_pf - loop}
    return out


def gap_markdown(t: dict) -> list[str]:
    engines = list(t["engines"])
    fl = t["floor"]
    where = ""
    if t.get("cpu"):
        where = (f" ({t['cpu']}, {t['date']}, load average "
                 f"{', '.join(f'{x:.1f}' for x in t['loadavg'])})")
    lines = [f"{t['net']}, batch {t['batch']}: CPU microseconds per step, one BLAS "
             f"thread{where}",
             "", "| | " + " | ".join(engines) + " |", "|---|" + "---|" * len(engines)]
    for k in t["engines"][engines[0]]["rows"]:
        lines.append(f"| {k} | " + " | ".join(
            f"{t['engines'][e]['rows'][k] * 1e6:.0f}" for e in engines) + " |")
    lines.append("| **step, fresh rows (sum of the above)** | " + " | ".join(
        f"**{t['engines'][e]['composed'] * 1e6:.0f}**" for e in engines) + " |")
    lines.append(f"| matmul floor (timed the same way) | {fl * 1e6:.0f} |"
                 + " |" * (len(engines) - 1))
    lines.append("| **step / floor** | " + " | ".join(
        f"**{t['engines'][e]['composed'] / fl:.2f}**" for e in engines) + " |")
    lines.append("| real epoch, per step (adds the loop and the load) | " + " | ".join(
        f"{t['engines'][e]['step'] * 1e6:.0f}" for e in engines) + " |")
    lines.append("| real epoch / floor | " + " | ".join(
        f"{t['engines'][e]['step'] / fl:.2f}" for e in engines) + " |")
    lines.append("| partial_fit's checks of X, per step | " + " | ".join(
        f"{t['engines'][e]['checks'] * 1e6:.0f}" for e in engines) + " |")
    # issue 13's targets: 1.3x the floor, 2.5x in the worst regimes (batch 32, width 64)
    target = 2.5 if int(t["batch"]) == 32 or t["net"] == "784-64-10" else 1.3
    lines += ["", gap_explained(t, target)]
    return lines


def gap_explained(t: dict, target: float) -> str:
    """One paragraph: the compiled step's excess over the floor, phase by phase, against
    what a ``target`` x floor step would leave for everything but the products."""
    engine = "numba" if "numba" in t["engines"] else next(iter(t["engines"]))
    rows = t["engines"][engine]["rows"]
    us = {k: v * 1e6 for k, v in rows.items()}
    floor = t["floor"] * 1e6
    composed = t["engines"][engine]["composed"] * 1e6
    sizes = [int(s) for s in t["net"].split("-")]
    n_params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    streamed = 7 * 4 * n_params  # Adam: read p, g, m, v; write p, m, v (float32)
    allowance = (target - 1) * floor
    opt = us["optimiser"]
    rest = sorted(((v, k) for k, v in us.items() if k not in ("matmuls", "optimiser")),
                  reverse=True)  # fmt: skip
    rest_text = ", ".join(f"{k} {v:.0f}" for v, k in rest)
    extra = us["matmuls"] - floor
    products = (
        f"The step's products take {extra:.0f} us more than the floor's own (the same calls; "
        "in a step the optimiser's stream runs between them and evicts the weights from "
        "cache)." if extra > 0.05 * floor else
        f"The step's products cost what the floor's do ({extra:+.0f} us)."
    )
    return (
        f"*The gap, {engine} engine:* its step is {composed / floor:.2f}x the floor, "
        f"{composed - floor:.0f} us beyond it, where {target}x leaves {allowance:.0f} us for "
        f"everything but the products. The optimiser is one fused pass over the "
        f"{n_params:,} parameters (parameters, gradient and two moments read, three written: "
        f"{streamed / 1e6:.1f} MB a step, {streamed / max(opt, 1e-9) / 1e3:.0f} GB/s), so its "
        f"{opt:.0f} us is a memory stream no per-step optimiser can skip: "
        f"{opt / allowance:.0%} of the allowance by itself. {products} The rest, in us: "
        f"{rest_text}."
    )


def epoch_cpu(X, y, hidden, engine, bs=128, epochs=3):
    """CPU seconds per step of real epochs (``partial_fit``, PROBNN_ENGINE=engine).

    Returns ``(whole, loop)``, the least of the epochs after the first: the whole
    ``partial_fit`` (with its validation of X) and the Trainer's epoch loop alone, both divided
    by the steps.
    """
    from probnn.network import training

    os.environ["PROBNN_ENGINE"] = engine
    from probnn.estimators import MLPClassifier

    m = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=bs,
                      learning_rate_init=1e-3, max_iter=1, tol=0, n_iter_no_change=10**9,
                      shuffle=True, alpha=0.0, dtype="float32", random_state=0)
    classes = np.unique(y)
    steps = -(-X.shape[0] // bs)
    loop = []
    orig = training.Trainer._epoch

    def timed(self, *a, **k):
        c0 = time.process_time()
        r = orig(self, *a, **k)
        loop.append((time.process_time() - c0) / steps)
        return r

    whole = []
    training.Trainer._epoch = timed
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(epochs):
                c0 = time.process_time()
                m.partial_fit(X, y, classes=classes)
                whole.append((time.process_time() - c0) / steps)
    finally:
        training.Trainer._epoch = orig
    return float(np.min(whole[1:])), float(np.min(loop[1:]))


def print_isolated(X, y, hidden, bs=128, as_json=False) -> None:
    t = gap_table(X, y, hidden, bs)
    if as_json:
        import json

        print(json.dumps(t))
        return
    print("\n".join(gap_markdown(t)))


_COMPILE_CHILD = """
import os, sys, warnings
import numpy as np
from probnn.estimators import MLPClassifier
rng = np.random.default_rng(0)
X = rng.random((256, 20)).astype(np.float32)
y = rng.integers(0, 3, 256)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    MLPClassifier(hidden_layer_sizes=(16,), max_iter=1, batch_size=128, dtype="float32",
                  random_state=0).fit(X, y)
"""


def compile_cost(repeats: int = 3) -> dict:
    """CPU seconds the compiled path adds to a tiny fit: cold numba cache, warm cache.

    Each figure is a child process's CPU time (``getrusage``, robust to load) for the same tiny
    fit (256 x 20, 16 hidden, one epoch) with ``PROBNN_ENGINE=numba`` minus the NumPy engine's;
    cold: an empty ``NUMBA_CACHE_DIR`` (import numba + compile every kernel the fit calls),
    warm: the same folder again (import numba + load the cached machine code).
    """
    import resource
    import subprocess
    import tempfile

    def child(engine, cache):
        env = dict(os.environ, PROBNN_ENGINE=engine, NUMBA_CACHE_DIR=cache,
                   PYTHONPATH=os.getcwd())
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", _COMPILE_CHILD], env=env, check=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

    out = {"numpy": [], "cold": [], "warm": []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            out["numpy"].append(child("numpy", cache))
            out["cold"].append(child("numba", cache))
            out["warm"].append(child("numba", cache))
    base = float(np.median(out["numpy"]))
    return {"numpy fit": base, "cold extra": float(np.median(out["cold"])) - base,
            "warm extra": float(np.median(out["warm"])) - base}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.tools.profile_probnn")
    ap.add_argument("--hidden", default="256", help="hidden sizes, e.g. 256 or 512-512")
    ap.add_argument("--cprofile", action="store_true", help="print cProfile's table instead")
    ap.add_argument("--isolated", action="store_true",
                    help="CPU time of each phase repeated on one batch, per engine (robust to "
                         "load; use with --threads 1)")
    ap.add_argument("--batch", type=int, default=128, help="batch size (--isolated only)")
    ap.add_argument("--json", action="store_true", help="--isolated: print the table as JSON")
    ap.add_argument("--compile-cost", action="store_true",
                    help="CPU seconds the compiled path adds to a tiny fit (cold / warm cache)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="BLAS threads (2 as the harness)")
    ap.add_argument("--keep-pins", action="store_true",
                    help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from the environment")
    a = ap.parse_args(argv)
    hidden = tuple(int(h) for h in a.hidden.split("-"))
    if a.compile_cost:
        for k, v in compile_cost().items():
            print(f"{k:12s} {v:6.2f} CPU s")
        return
    X, y = load_mnist_train()
    with threadpool_limits(a.threads):
        if a.isolated:
            print_isolated(X, y, hidden, a.batch, a.json)
            return
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
