"""One timed measurement in a fresh process: ``python -m bench._worker PEER HIDDEN EPOCHS``.

Prints one JSON line: seconds per epoch and peak RSS above the RSS after imports and data
loading (peak = ru_maxrss of this process, baseline = VmRSS from /proc/self/status).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "2"

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


def _floor(X, y, hidden, epochs):
    """The same matmuls as one epoch of training (forward, backward weight grads, backward deltas)."""
    W = floor_weights(hidden)
    n, bs = X.shape[0], 128
    t0 = time.perf_counter()
    for _ in range(epochs):
        for s in range(0, n, bs):
            floor_step(X[s:s + bs], W)
    return (time.perf_counter() - t0) / epochs


def _sklearn(X, y, hidden, epochs):
    import warnings
    from sklearn.neural_network import MLPClassifier
    m = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=128,
                      learning_rate_init=1e-3, max_iter=epochs, tol=0, n_iter_no_change=10**9,
                      shuffle=True, alpha=0.0, random_state=0)
    X64 = X  # sklearn keeps float32 when given float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        m.fit(X64, y)
    return (time.perf_counter() - t0) / epochs


def _probnn(X, y, hidden, epochs):
    import warnings
    from probnn.estimators import MLPClassifier
    m = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", batch_size=128,
                      learning_rate_init=1e-3, max_iter=epochs, tol=0, n_iter_no_change=10**9,
                      shuffle=True, alpha=0.0, dtype="float32", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        m.fit(X, y)
    return (time.perf_counter() - t0) / epochs


def _torch(X, y, hidden, epochs):
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
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(Xt.shape[0], generator=gen)
        for s in range(0, Xt.shape[0], 128):
            idx = perm[s:s + 128]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return (time.perf_counter() - t0) / epochs


PEERS = {"floor": _floor, "sklearn": _sklearn, "probnn": _probnn, "torch": _torch}


def main(argv: list[str]) -> None:
    peer, hidden, epochs = argv[0], tuple(int(h) for h in argv[1].split("-")), int(argv[2])
    data = load_mnist_train()
    X, y = data
    # import the peer's library before the baseline so imports are not counted as training memory
    {"sklearn": "sklearn.neural_network", "probnn": "probnn.estimators", "torch": "torch"}.get(peer) \
        and __import__({"sklearn": "sklearn.neural_network", "probnn": "probnn.estimators",
                        "torch": "torch"}[peer])
    base = _rss_mib()
    with threadpool_limits(2):
        sec = PEERS[peer](X, y, hidden, epochs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"peer": peer, "sec_per_epoch": sec, "peak_mib_above_base": peak - base}))


if __name__ == "__main__":
    main(sys.argv[1:])
