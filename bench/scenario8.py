"""Scenario 8: the step of a small network, probnn against its own matrix products and PyTorch.

Where most probnn fits live: a table of 8-200 columns, a network of (50,), (50, 50) or
(100, 100) relu units, batches of 32 or 200 rows, a 2-output normal head (mean and softplus
scale), Adam. For each configuration, in one process and interleaved:

* ``probnn numpy``: ``Trainer`` with ``engine="numpy"`` (the NumPy reference path);
* ``probnn numba``: ``engine="numba"`` (the compiled whole step, ``probnn.network._step``;
  its kernels are compiled or loaded from numba's cache before the timing starts);
* ``products``: the step's matrix products alone, called from NumPy on the same batches
  (``bench._floor.floor_step``: the forward products, the weight gradients and the deltas
  below the top layer; 3 L - 1 products for L layers);
* ``torch``: a PyTorch loop of the same network, Adam and Gaussian NLL (``torch`` 2.x eager,
  rows gathered by index, ``zero_grad(set_to_none=True)``).

probnn trains with ``MLPRegressor()``'s defaults for small data (a Gaussian prior with
alpha 0.01 and the weights' moving average, decay 0.995), which the products and PyTorch do
not compute: its figures include that work. Each measurement is an epoch of ``STEPS`` steps
over freshly shuffled rows (the products: fixed contiguous batches), after one untimed
warm-up epoch; the figure is the median over ``repeats`` epochs (fewer, at least 2, once a
peer has spent ``BUDGET_S`` seconds), in microseconds per step:
the process's CPU time with one thread (robust to other processes on a shared machine: the
figures of a loaded machine's wall clock are mostly waiting), wall time with the default
threads (both are in the JSON).
Every configuration runs with one BLAS / torch thread, then with the machine's default
(threadpoolctl's and torch's own choice; probnn's own thread rule applies in both).

Results: ``bench/results/scenario8.md`` (and ``latest.md`` through ``python -m bench``).
Run: ``python -m bench.scenario8 [--quick] [--repeats R]``.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from bench._common import cpu_name

RESULTS = Path(__file__).resolve().parent / "results"
FEATURES = (8, 50, 200)
HIDDEN = ((50,), (50, 50), (100, 100))
BATCHES = (32, 200)
STEPS = 100  # steps per timed epoch
BUDGET_S = 3.0  # after this many seconds of timed epochs a peer stops repeating (at least 2)
TARGET = 2.0  # probnn numba / products on the (50, 50), batch-32 cases
PEERS = ("probnn numpy", "probnn numba", "products", "torch")


def _spent(times, steps: int) -> bool:
    """Whether a peer's timed epochs have used the budget (a loaded machine's slow peer)."""
    return len(times) >= 2 and sum(w for w, _ in times) * steps > BUDGET_S


def _data(features: int, batch: int, steps: int):
    rng = np.random.default_rng(0)
    n = batch * steps
    X = rng.normal(size=(n, features)).astype(np.float32)
    y = (X[:, 0] + 0.5 * np.abs(X[:, 1 % features]) * rng.normal(size=n)).astype(np.float32)
    return X, y


def _probnn(engine: str, X, y, hidden, batch: int, repeats: int) -> list[float]:
    from probnn.families import get_family
    from probnn.network.mlp import MLP
    from probnn.network.training import Trainer

    fam = get_family("normal")
    net = MLP([X.shape[1], *hidden, 2], random_state=0)
    t = Trainer(net, fam, batch_size=batch, learning_rate_init=1e-3, prior="gaussian",
                alpha=0.01, ema_decay=0.995, random_state=0)
    t.engine = engine
    t.start_average()
    steps = -(-X.shape[0] // batch)
    t.partial_fit(X, y)  # warm-up: buffers, compiled kernels
    times = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        t.partial_fit(X, y)
        times.append(((time.perf_counter() - t0) / steps, (time.process_time() - c0) / steps))
        if _spent(times, steps):
            break
    if engine == "numba":
        assert t._steps, "the compiled whole step was not taken"
    return times


def _products(X, hidden, batch: int, repeats: int) -> list[float]:
    from bench._floor import floor_step

    rng = np.random.default_rng(1)
    sizes = [X.shape[1], *hidden, 2]
    W = [rng.standard_normal((a, b)).astype(np.float32) * 0.1 for a, b in zip(sizes[:-1],
                                                                              sizes[1:])]
    batches = [X[i:i + batch] for i in range(0, X.shape[0], batch)]
    for xb in batches:
        floor_step(xb, W)
    times = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for xb in batches:
            floor_step(xb, W)
        times.append(((time.perf_counter() - t0) / len(batches),
                      (time.process_time() - c0) / len(batches)))
        if _spent(times, len(batches)):
            break
    return times


def _torch(X, y, hidden, batch: int, repeats: int) -> list[float]:
    import torch

    torch.manual_seed(0)
    layers, prev = [], X.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(prev, h), torch.nn.ReLU()]
        prev = h
    model = torch.nn.Sequential(*layers, torch.nn.Linear(prev, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    n = X.shape[0]
    gen = torch.Generator().manual_seed(0)

    def epoch():
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            out = model(Xt[idx])
            scale = torch.nn.functional.softplus(out[:, 1])
            r = (yt[idx] - out[:, 0]) / scale
            loss = (0.5 * r * r + torch.log(scale)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    epoch()
    steps = -(-n // batch)
    times = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        epoch()
        times.append(((time.perf_counter() - t0) / steps, (time.process_time() - c0) / steps))
        if _spent(times, steps):
            break
    return times


def _configs(quick: bool):
    if quick:
        return [(8, (50, 50), 32), (8, (50, 50), 200)]
    return [(f, h, b) for f in FEATURES for h in HIDDEN for b in BATCHES]


def run(quick: bool, repeats: int, log) -> dict:
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:
        torch = None
        log("scenario 8: peer torch skipped: torch is not installed")
    try:
        import numba  # noqa: F401

        has_numba = True
    except ImportError:
        has_numba = False
        log("scenario 8: peer probnn numba skipped: numba is not installed")
    repeats = max(repeats, 3 if quick else 5)
    steps = 20 if quick else STEPS
    default_torch_threads = torch.get_num_threads() if torch else None
    rows = []
    warnings.simplefilter("ignore")
    for threads in ("1", "default"):
        for features, hidden, batch in _configs(quick):
            X, y = _data(features, batch, steps)
            limit = 1 if threads == "1" else None
            if torch:
                torch.set_num_threads(1 if limit else default_torch_threads)
            res = {}
            with threadpool_limits(limit):
                for peer in PEERS:
                    if peer == "torch" and torch is None:
                        continue
                    if peer == "probnn numba" and not has_numba:
                        continue
                    if peer.startswith("probnn"):
                        res[peer] = _probnn(peer.split()[1], X, y, hidden, batch, repeats)
                    elif peer == "products":
                        res[peer] = _products(X, hidden, batch, repeats)
                    else:
                        res[peer] = _torch(X, y, hidden, batch, repeats)
            wall = {p: statistics.median(w for w, _ in v) * 1e6 for p, v in res.items()}
            cpu = {p: statistics.median(c for _, c in v) * 1e6 for p, v in res.items()}
            # one thread: CPU time (robust to other processes on a shared machine); the
            # default: wall time (several threads' CPU time is not what a user waits for)
            row = {"threads": threads, "features": features, "hidden": list(hidden),
                   "batch": batch, "us_per_step": cpu if limit else wall, "wall_us": wall,
                   "cpu_us": cpu}
            rows.append(row)
            us = row["us_per_step"]
            log(f"  scenario 8: {threads} thread(s), {features}-{'-'.join(map(str, hidden))}"
                f"-2 batch {batch}: " + ", ".join(f"{p} {v:.1f}" for p, v in us.items())
                + " us/step")
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "steps": steps, "repeats": repeats,
            "torch_default_threads": default_torch_threads, "loadavg": list(os.getloadavg()),
            "rows": rows}


def _ratio(us: dict, a: str, b: str):
    return us[a] / us[b] if a in us and b in us else None


def markdown(res: dict) -> list[str]:
    lines = ["## Scenario 8: a small network's step against its matrix products and PyTorch", "",
             f"CPU: {res['cpu']} ({res['cores']} logical cores); {res['steps']} steps per epoch, "
             f"median of {res['repeats']} epochs after one warm-up, microseconds per step "
             "(1 thread: CPU time; default: wall time); load average at the end "
             f"{', '.join(f'{x:.1f}' for x in res['loadavg'])}; "
             "2-output normal head, Adam; probnn with MLPRegressor()'s Gaussian prior and "
             "weight average. 'default' threads: threadpoolctl's and torch's defaults "
             f"(torch {res['torch_default_threads']}).", "",
             "| threads | network | batch | probnn numpy | probnn numba | products | torch "
             "| numba / products | numpy / products | torch / numba |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    f = (lambda v: "n/a" if v is None else f"{v:.1f}")  # noqa: E731
    g = (lambda v: "n/a" if v is None else f"{v:.2f}")  # noqa: E731
    for r in res["rows"]:
        us = r["us_per_step"]
        net = f"{r['features']}-{'-'.join(map(str, r['hidden']))}-2"
        lines.append(
            f"| {r['threads']} | {net} | {r['batch']} | {f(us.get('probnn numpy'))} | "
            f"{f(us.get('probnn numba'))} | {f(us.get('products'))} | {f(us.get('torch'))} | "
            f"{g(_ratio(us, 'probnn numba', 'products'))} | "
            f"{g(_ratio(us, 'probnn numpy', 'products'))} | "
            f"{g(_ratio(us, 'torch', 'probnn numba'))} |")
    return lines


def targets(res: dict) -> list[tuple[str, bool, str]]:
    out = []
    for r in res["rows"]:
        if r["hidden"] == [50, 50] and r["batch"] == 32:
            ratio = _ratio(r["us_per_step"], "probnn numba", "products")
            if ratio is None:
                continue
            out.append((f"scenario 8: {r['features']}-50-50-2 batch 32, {r['threads']} "
                        f"thread(s): step <= {TARGET}x its products", ratio <= TARGET,
                        f"{ratio:.2f}x ({r['us_per_step']['probnn numba']:.1f} vs "
                        f"{r['us_per_step']['products']:.1f} us)"))
    return out


def main(argv=None) -> None:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.scenario8")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = run(quick=a.quick, repeats=a.repeats, log=log)
    print(json.dumps(res))
    md = markdown(res) + ["", "| target | met | figures |", "|---|---|---|"] + [
        f"| {n} | {'met' if ok else '**not met**'} | {figs} |" for n, ok, figs in targets(res)]
    cmd = "python -m bench.scenario8" + (" --quick" if a.quick else "")
    text = "\n".join([f"# Scenario 8 (`{cmd}`)", ""] + md) + "\n"
    if not a.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "scenario8.md").write_text(text)
    log(text)


if __name__ == "__main__":
    main()
