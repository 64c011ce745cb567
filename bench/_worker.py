"""One measurement in a fresh process: ``python -m bench._worker PEER HIDDEN EPOCHS [BATCH]``.

Steady state: one untimed warm-up epoch (compilation, first-touch allocations, caches), then
EPOCHS timed epochs, one at a time (so epochs 2 to EPOCHS+1 are timed). Prints one JSON line:
the median seconds per timed epoch, each timed epoch's seconds, the median CPU seconds
(process time, all threads: what a loaded machine disturbs least), and peak RSS above the RSS after
imports and data loading (peak = ru_maxrss of this process, baseline = VmRSS from
/proc/self/status). Peers ``probnn`` and ``probnn-fast`` are the NumPy and the compiled (numba)
optimiser paths (``PROBNN_ENGINE``); sklearn and probnn run each epoch as one ``partial_fit``.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "2"
if len(sys.argv) > 1 and sys.argv[1].startswith("probnn"):
    os.environ["PROBNN_ENGINE"] = "numba" if sys.argv[1] == "probnn-fast" else "numpy"

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from bench._data import load_mnist_train  # noqa: E402
from bench._floor import floor_step, floor_weights  # noqa: E402


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _floor(X, y, hidden, bs):
    """The same matmuls as one epoch of training (forward, backward weight grads, backward deltas)."""
    W = floor_weights(hidden)
    n = X.shape[0]

    def epoch():
        for s in range(0, n, bs):
            floor_step(X[s:s + bs], W)
    return epoch


def _sklearn(X, y, hidden, bs):
    import warnings
    from sklearn.neural_network import MLPClassifier
    m = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=bs,
                      learning_rate_init=1e-3, max_iter=1, tol=0, n_iter_no_change=10**9,
                      shuffle=True, alpha=0.0, random_state=0)
    classes = np.unique(y)

    def epoch():  # sklearn keeps float32 when given float32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.partial_fit(X, y, classes=classes)
    return epoch


def _probnn(X, y, hidden, bs):
    import warnings
    from probnn.estimators import MLPClassifier
    m = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=bs,
                      learning_rate_init=1e-3, max_iter=1, tol=0, n_iter_no_change=10**9,
                      shuffle=True, alpha=0.0, dtype="float32", random_state=0)
    classes = np.unique(y)

    def epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.partial_fit(X, y, classes=classes)
    return epoch


def _torch(X, y, hidden, bs):
    import torch
    torch.set_num_threads(2)
    torch.manual_seed(0)
    sizes = [784, *hidden, 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.Linear(a, b)
        # sklearn's Glorot-uniform init (relu hidden layers), the same scheme for every peer
        bound = (6.0 / (a + b)) ** 0.5
        torch.nn.init.uniform_(lin.weight, -bound, bound)
        torch.nn.init.uniform_(lin.bias, -bound, bound)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    loss_fn = torch.nn.CrossEntropyLoss()

    def epoch():
        perm = torch.randperm(Xt.shape[0], generator=gen)
        for s in range(0, Xt.shape[0], bs):
            idx = perm[s:s + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return epoch


PEERS = {"floor": _floor, "sklearn": _sklearn, "probnn": _probnn, "probnn-fast": _probnn,
         "torch": _torch}
IMPORTS = {"sklearn": "sklearn.neural_network", "probnn": "probnn.estimators",
           "probnn-fast": "probnn.network._fast", "torch": "torch"}


def main(argv: list[str]) -> None:
    peer, hidden, epochs = argv[0], tuple(int(h) for h in argv[1].split("-")), int(argv[2])
    bs = int(argv[3]) if len(argv) > 3 else 128
    X, y = load_mnist_train()
    # import the peer's library before the baseline so imports are not counted as training memory
    if peer in IMPORTS:
        __import__(IMPORTS[peer])
    if peer == "probnn-fast":
        __import__("probnn.network._fast", fromlist=["kernels"]).kernels()  # numba itself
    base = _rss_mib()
    with threadpool_limits(2):
        epoch = PEERS[peer](X, y, hidden, bs)
        t0 = time.perf_counter()
        epoch()  # warm-up, untimed in the figure
        warm = time.perf_counter() - t0
        secs, cpu = [], []
        for _ in range(epochs):
            t0, c0 = time.perf_counter(), time.process_time()
            epoch()
            secs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"peer": peer, "sec_per_epoch": statistics.median(secs), "epochs": secs,
                      "cpu_sec_per_epoch": statistics.median(cpu),
                      "warmup_sec": warm, "peak_mib_above_base": peak - base}))


if __name__ == "__main__":
    main(sys.argv[1:])
