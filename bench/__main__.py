"""``python -m bench [--quick] [--scenario N] [--repeats R]``: run and write bench/results/latest.*.

Only scenario 1 (MNIST-sized speed) is implemented so far; the others are reported as not run.
Peers are interleaved within each repeat so that machine drift cancels in the ratios.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
PEER_MODULES = {"floor": "numpy", "sklearn": "sklearn", "torch": "torch", "probnn": "probnn"}


def _child_env() -> tuple[dict, list[str]]:
    """Environment for measurements: 2 threads; the OpenBLAS core-type pins are removed (see notes)."""
    env = dict(os.environ)
    removed = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if env.pop(k, None) is not None]
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = "2"
    return env, removed


def _machine(env: dict) -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    code = ("import json,numpy;from threadpoolctl import threadpool_info;"
            "print(json.dumps([{k:i.get(k) for k in ('internal_api','version','architecture',"
            "'num_threads')} for i in threadpool_info()]))")
    blas = json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                     text=True, check=True).stdout)
    versions = {}
    for pkg in ("numpy", "scipy", "scikit-learn", "torch", "probnn", "threadpoolctl"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "blas": blas, "versions": versions}


def _scenario1(epochs: int, repeats: int, env: dict, log) -> dict:
    from bench._data import load_mnist_train
    if load_mnist_train() is None:
        log("scenario 1 skipped: ../shared/data/mnist not found")
        return {}
    peers = [p for p, m in PEER_MODULES.items() if importlib.util.find_spec(m) is not None]
    for p in PEER_MODULES:
        if p not in peers:
            log(f"scenario 1: peer {p} skipped: {PEER_MODULES[p]} is not installed")
    out = {}
    for hidden in ("256", "512-512"):
        runs = {p: [] for p in peers}
        for r in range(repeats):
            # rotate the order each repeat so no peer always runs first or last
            order = peers[r % len(peers):] + peers[:r % len(peers)]
            for p in order:
                res = subprocess.run([sys.executable, "-m", "bench._worker", p, hidden, str(epochs)],
                                     cwd=ROOT, env=env, capture_output=True, text=True)
                if res.returncode != 0:
                    log(f"scenario 1 {hidden} {p} failed: {res.stderr.strip()[-300:]}")
                    continue
                runs[p].append(json.loads(res.stdout.strip().splitlines()[-1]))
                log(f"  784-{hidden}-10 repeat {r} {p}: {runs[p][-1]}")
        out[f"784-{hidden}-10"] = {p: {
            "sec_per_epoch": [x["sec_per_epoch"] for x in v],
            "peak_mib_above_base": [x["peak_mib_above_base"] for x in v]} for p, v in runs.items() if v}
    return out


def _stat(xs):
    return statistics.median(xs), min(xs), max(xs)


def _markdown(res: dict) -> str:
    m = res["machine"]
    lines = ["# probnn benchmarks", "", f"Command: `python -m bench {res['args']}`", "",
             "## Machine", "", f"- CPU: {m['cpu']} ({m['cores']} logical cores; 2 threads used)",
             f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
             "- BLAS (threadpoolctl): " + "; ".join(
                 f"{b['internal_api']} {b['version']} {b['architecture']}" for b in m["blas"]),
             f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed for the measurements: "
             f"{res['openblas_pins_removed'] or 'none were set'}", "",
             "## Scenario 1: MNIST 60000x784, Adam lr 1e-3, batch 128, float32, 2 threads", "",
             f"Epochs per measurement: {res['epochs']}; repeats: {res['repeats']}. "
             "Each measurement is a fresh process; peak memory = ru_maxrss minus VmRSS after "
             "imports and data loading. Figures: median [min, max].", "",
             "| network | peer | s / epoch | peak MiB above base | probnn / peer (median time) |",
             "|---|---|---|---|---|"]
    for net, peers in res["scenario1"].items():
        pn = peers.get("probnn")
        for p, v in peers.items():
            t, m_ = _stat(v["sec_per_epoch"]), _stat(v["peak_mib_above_base"])
            ratio = f"{_stat(pn['sec_per_epoch'])[0] / t[0]:.2f}" if pn else "n/a"
            lines.append(f"| {net} | {p} | {t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}] | "
                         f"{m_[0]:.0f} [{m_[1]:.0f}, {m_[2]:.0f}] | {ratio} |")
    lines += ["", "Scenarios 2-4: not implemented yet.", ""]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--quick", action="store_true", help="1 epoch, 3 repeats, smoke run")
    ap.add_argument("--scenario", type=int, default=None, help="run only this scenario")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    a = ap.parse_args(argv)
    epochs = 1 if a.quick else a.epochs
    env, removed = _child_env()
    res = {"args": " ".join(argv if argv is not None else sys.argv[1:]), "epochs": epochs,
           "repeats": a.repeats, "openblas_pins_removed": removed, "machine": _machine(env),
           "log": []}

    def log(msg):
        print(msg, flush=True)
        res["log"].append(msg)

    if a.scenario in (None, 1):
        res["scenario1"] = _scenario1(epochs, a.repeats, env, log)
    for s in (2, 3, 4):
        if a.scenario in (None, s):
            log(f"scenario {s} not run: not implemented yet")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(res, indent=2))
    (RESULTS / "latest.md").write_text(_markdown(res))
    print((RESULTS / "latest.md").read_text())


if __name__ == "__main__":
    main()
