"""``python -m bench [--quick] [--scenario N[,M...]] [--repeats R] [--epochs E] [--rows N]``.

Runs the scenarios and writes bench/results/latest.json and latest.md (``--quick``: a smoke run
written to quick.json / quick.md instead, so the committed results stay as they are).
Results are merged: running some scenarios replaces only theirs in the JSON, and the Markdown
is regenerated from the whole JSON. Peers are interleaved within each repeat so that machine
drift cancels in the ratios; every measurement runs in a child process with 2 BLAS / OpenMP
threads (scenario 1: one process per measurement for peak RSS; scenarios 2-4: one process per
scenario, ``python -m bench.scenarioN``).

1. Speed, MNIST-sized (``_scenario1`` here, ``_worker.py``).
2. Speed on small data with L-BFGS (``scenario2.py``).
3. Likelihood against the truth on synthetic tasks (``scenario3.py``).
4. Real data: held-out NLL and accuracy / RMSE (``scenario4.py``).
5. UCI regression protocol: predictive distributions, ensembles (``scenario5.py``).
6. Larger than memory: ``probnn fit`` streaming a generated 20-million-row Parquet folder
   (``scenario6.py``; ``--rows`` scales it down).
7. ``probnn compare`` of 4 families on 2 worker processes (loky, a Dask LocalCluster) against
   one after the other (``scenario7.py``; needs the extra ``dask``).
8. A small network's step (8-200 features, (50,) to (100, 100), batch 32 and 200) against its
   matrix products alone and PyTorch, one thread and the default (``scenario8.py``).
9. Model selection's measure (issue 22): ``probnn fit``'s default family and network against the
   right family's constant model and GLM, and ``compare``'s best family, on real tables of every
   target kind and synthetic ones (``selection.py``, tables in ``_tables.py``; the statsmodels
   tables need the extra ``bench``'s statsmodels, skipped with a line without it).
"""
from __future__ import annotations

import argparse
import datetime
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
    for pkg in ("numpy", "scipy", "scikit-learn", "torch", "probnn", "threadpoolctl", "numba"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "blas": blas, "versions": versions}


# (hidden sizes, batch size): the two reference networks at batch 128, then the regimes where
# per-step overhead weighs most (batch 32, width 64) and where the matmuls dominate (batch 512,
# width 1024)
SCENARIO1_CONFIGS = [("256", 128), ("512-512", 128), ("256", 32), ("256", 512), ("64", 128),
                     ("1024", 128)]
PEERS1 = ("floor", "sklearn", "torch", "probnn", "probnn-fast")
PEER_NEEDS = {"probnn-fast": "numba"}


def _parse_configs(text: str | None, quick: bool) -> list[tuple[str, int]]:
    if text is None:
        return SCENARIO1_CONFIGS[:1] if quick else SCENARIO1_CONFIGS
    out = []
    for item in text.split(","):
        hidden, _, batch = item.strip().partition("/")
        out.append((hidden, int(batch or 128)))
    return out


def _scenario1(epochs: int, repeats: int, env: dict, log, configs, previous=None) -> dict:
    from bench._data import load_mnist_train
    if load_mnist_train() is None:
        log("scenario 1 skipped: ../shared/data/mnist not found")
        return {}
    peers = []
    for p in PEERS1:
        mod = PEER_NEEDS.get(p) or PEER_MODULES[p]
        if importlib.util.find_spec(mod) is None:
            log(f"scenario 1: peer {p} skipped: {mod} is not installed")
        else:
            peers.append(p)
    # rows from earlier runs (this format) stay unless re-measured
    out = {k: v for k, v in (previous or {}).items() if " batch " in k}
    for hidden, batch in configs:
        key = f"784-{hidden}-10 batch {batch}"
        runs = {p: [] for p in peers}
        for r in range(repeats):
            # rotate the order each repeat so no peer always runs first or last
            order = peers[r % len(peers):] + peers[:r % len(peers)]
            for p in order:
                res = subprocess.run([sys.executable, "-m", "bench._worker", p, hidden, str(epochs),
                                      str(batch)], cwd=ROOT, env=env, capture_output=True, text=True)
                if res.returncode != 0:
                    log(f"scenario 1 {key} {p} failed: {res.stderr.strip()[-300:]}")
                    continue
                runs[p].append(json.loads(res.stdout.strip().splitlines()[-1]))
                log(f"  {key} repeat {r} {p}: {runs[p][-1]}")
        out[key] = {p: {
            "sec_per_epoch": [x["sec_per_epoch"] for x in v],
            "epochs": [x["epochs"] for x in v],
            "cpu_sec_per_epoch": [x.get("cpu_sec_per_epoch") for x in v],
            "peak_mib_above_base": [x["peak_mib_above_base"] for x in v]} for p, v in runs.items() if v}
        out[key]["_meta"] = {"epochs": epochs, "repeats": repeats}
    return out


# the configurations whose step scenario 1 splits into phases (bench.tools.profile_probnn --isolated)
GAP_CONFIGS = [("256", 128), ("512-512", 128), ("256", 32), ("64", 128)]


def _scenario1_gap(configs, env: dict, log) -> list:
    """Per-phase CPU time of a step beyond the matmul floor, for the GAP_CONFIGS measured."""
    out = []
    for hidden, batch in [c for c in GAP_CONFIGS if c in configs]:
        cmd = [sys.executable, "-m", "bench.tools.profile_probnn", "--isolated", "--json", "--threads",
               "1", "--hidden", hidden, "--batch", str(batch)]
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if res.returncode != 0:
            log(f"scenario 1 phases 784-{hidden}-10 batch {batch} failed: "
                f"{res.stderr.strip()[-300:]}")
            continue
        load = os.getloadavg()
        out.append(json.loads(res.stdout.strip().splitlines()[-1]))
        out[-1].update(cpu=_machine(env)["cpu"], loadavg=list(load),
                       date=datetime.datetime.now(datetime.timezone.utc).strftime(
                           "%Y-%m-%d %H:%M UTC"))
        log(f"  phases 784-{hidden}-10 batch {batch}: step / floor " + ", ".join(
            f"{e} {v['composed'] / out[-1]['floor']:.2f}" for e, v in out[-1]["engines"].items()))
    return out


def _stat(xs):
    return statistics.median(xs), min(xs), max(xs)


SCENARIO_MODULES = {2: "bench.scenario2", 3: "bench.scenario3", 4: "bench.scenario4",
                    5: "bench.scenario5", 6: "bench.scenario6", 7: "bench.scenario7",
                    8: "bench.scenario8", 9: "bench.selection"}


def _run_scenario_child(s: int, quick: bool, repeats: int, env: dict, log,
                        rows: int | None = None) -> dict:
    """Run ``python -m bench.scenarioN`` with the measurement environment; relay its log lines."""
    import tempfile

    cmd = [sys.executable, "-m", SCENARIO_MODULES[s], "--repeats", str(repeats)]
    if quick:
        cmd.append("--quick")
    if rows is not None and s == 6:
        cmd += ["--rows", str(rows)]
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.PIPE,
                                text=True)
        tail = []
        for line in proc.stderr:
            line = line.rstrip("\n")
            tail = (tail + [line])[-30:]
            if line.startswith("  scenario") or line.startswith("scenario"):
                log(line)
            else:
                print(line, flush=True)
        rc = proc.wait()
        out.seek(0)
        text = out.read().strip()
    if rc != 0 or not text:
        log(f"scenario {s} failed (exit {rc}): " + " | ".join(tail[-5:]))
        return {}
    return json.loads(text.splitlines()[-1])


def _med(peers, p):
    v = peers.get(p)
    return statistics.median(v["sec_per_epoch"]) if v else None


FAST_KERNELS = "optimiser step, bias + relu, relu mask + bias gradients, softmax cross-entropy"


def _fast_kernels(res: dict) -> str:
    """Which compiled kernels the probnn-fast rows ran (runs before they were recorded: the
    optimiser step alone)."""
    meta = res.get("runs", {}).get("scenario1", {})
    return meta.get("fast_kernels") or ("the optimiser step alone: these rows predate the "
                                        "relu-layer and loss kernels")


def _scenario1_markdown(res: dict) -> list[str]:
    lines = ["## Scenario 1: MNIST 60000x784, Adam lr 1e-3, float32, 2 threads", "",
             "Steady state: each measurement is a fresh process that runs one untimed warm-up "
             "epoch, then times the next epochs one by one (epochs 2 to E+1) and keeps their "
             "median; figures are median [min, max] over the repeats (peers interleaved, order "
             "rotated). `probnn`: the NumPy engine (`PROBNN_ENGINE=numpy`); `probnn-fast`: the "
             f"compiled kernels (`PROBNN_ENGINE=numba`, extra `fast`: {_fast_kernels(res)}). Peak memory = "
             "ru_maxrss minus VmRSS after imports and data loading.", "",
             "| network | peer | epochs timed x repeats | s / epoch | CPU s / epoch | "
             "peak MiB above base | probnn / peer | probnn-fast / peer |",
             "|---|---|---|---|---|---|---|---|"]
    for net, peers in res["scenario1"].items():
        meta = peers.get("_meta", {})
        pn, pf = _med(peers, "probnn"), _med(peers, "probnn-fast")
        for p, v in peers.items():
            if p.startswith("_"):
                continue
            t, m_ = _stat(v["sec_per_epoch"]), _stat(v["peak_mib_above_base"])
            r1 = f"{pn / t[0]:.2f}" if pn else "n/a"
            r2 = f"{pf / t[0]:.2f}" if pf else "n/a"
            cpu = [c for c in v.get("cpu_sec_per_epoch", []) if c is not None]
            cpu_s = f"{statistics.median(cpu):.3f}" if cpu else "n/a"
            lines.append(f"| {net} | {p} | {meta.get('epochs', '?')} x {len(v['sec_per_epoch'])} | "
                         f"{t[0]:.3f} [{t[1]:.3f}, {t[2]:.3f}] | {cpu_s} | "
                         f"{m_[0]:.0f} [{m_[1]:.0f}, {m_[2]:.0f}] | {r1} | {r2} |")
    return lines


def _scenario1_gap_markdown(res: dict) -> list[str]:
    lines = []
    gaps = res.get("scenario1_gap") or []
    if gaps:
        from bench.tools.profile_probnn import gap_markdown

        lines += ["### Where a step's time goes beyond the matrix products", "",
                  "`python -m bench.tools.profile_probnn --isolated --threads 1` (run by the harness "
                  "after the peers): CPU time, one BLAS thread, the least of 7 interleaved "
                  "rounds, so other processes on the machine disturb it less than wall time. "
                  "Each phase is timed alone on one batch (the same "
                  "calls the engine makes); *cache interplay* is the whole step on one batch "
                  "minus the phases' sum: each phase repeated alone keeps its own weights and "
                  "inputs in "
                  "cache, while in a step the forward products, the backward products and the "
                  "optimiser's stream of parameters, gradient and state (7 x 4 bytes per "
                  "parameter) evict each other (forward and backward alternating cost about "
                  "300 us more than each repeated alone at 784-256-10, a share the floor pays "
                  "too); *new rows* is a fresh "
                  "batch of rows each step, gathered from memory. The rows add up to the step on "
                  "fresh rows, timed like the floor. The real epoch (the Trainer's loop without "
                  "partial_fit's checks of X, shown apart) adds the loop's Python (target "
                  "gathers, the loss sum, about 30-50 us) and, over a whole epoch, the load of "
                  "the machine. With 2 threads (the table above) the products shrink and the "
                  "serial rest does not, so the ratios there are higher. The last two rows of the "
                  "split are differences of separately timed figures, so under load a small one "
                  "can come out below zero.", ""]
        for t in gaps:
            lines += gap_markdown(t) + [""]
    return lines


def _scenario1_targets(res: dict) -> list[tuple[str, bool, str]]:
    rows = []
    s1 = res.get("scenario1") or {}

    def ratio(key, a, b):
        pa, pb = _med(s1.get(key, {}), a), _med(s1.get(key, {}), b)
        return None if pa is None or pb is None else pa / pb

    for net in ("784-256-10", "784-512-512-10"):
        key = f"{net} batch 128"
        for who, peer, limit in (("probnn-fast", "floor", 1.3), ("probnn-fast", "torch", 0.5),
                                 ("probnn-fast", "sklearn", 0.4), ("probnn", "floor", 2.0)):
            r = ratio(key, who, peer)
            if r is not None:
                rows.append((f"Scenario 1 {key}: {who} / {peer} at most {limit}", r <= limit,
                             f"{r:.2f}"))
    for key in ("784-256-10 batch 32", "784-64-10 batch 128"):
        for who in ("probnn-fast", "probnn"):
            r = ratio(key, who, "floor")
            if r is not None:
                rows.append((f"Scenario 1 {key}: {who} / floor at most 2.5", r <= 2.5, f"{r:.2f}"))
    return rows


def _markdown(res: dict) -> str:
    import importlib

    m = res["machine"]
    runs = res.get("runs", {})
    lines = ["# probnn benchmarks", "", "Commands (the latest run of each scenario):", ""]
    for s in (1, *SCENARIO_MODULES):
        meta = runs.get(f"scenario{s}", res if s == 1 and "scenario1" in res else None)
        if meta and f"scenario{s}" in res:
            when = f" ({meta['date']})" if meta.get("date") else ""
            when += f", on {meta['cpu']}" if meta.get("cpu") else ", CPU not recorded"
            if meta.get("loadavg_start"):
                when += (f"; load average (1, 5, 15 min) at the start "
                         f"{', '.join(f'{x:.1f}' for x in meta['loadavg_start'])}, at the end "
                         f"{', '.join(f'{x:.1f}' for x in meta['loadavg_end'])}")
            lines.append(f"- scenario {s}: `python -m bench {meta['args']}`{when}")
    lines += ["", "## Machine (of the latest run; each scenario's CPU is given above)", "",
              f"- CPU: {m['cpu']} ({m['cores']} logical cores; 2 threads used)",
              f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
              "- BLAS (threadpoolctl): " + "; ".join(
                  f"{b['internal_api']} {b['version']} {b['architecture']}" for b in m["blas"]),
              f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed for the measurements: "
              f"{res['openblas_pins_removed'] or 'none were set'}", ""]
    target_rows = []
    for s in (1, *SCENARIO_MODULES):
        key = f"scenario{s}"
        if s == 1 and not res.get(key) and res.get("scenario1_gap"):
            lines += _scenario1_gap_markdown(res)
            continue
        if not res.get(key):
            lines += [f"## Scenario {s}: not run yet (or skipped: see the log in latest.json)", ""]
            continue
        if s == 1:
            lines += _scenario1_markdown(res) + [""] + _scenario1_gap_markdown(res)
            target_rows += _scenario1_targets(res)
            continue
        mod = importlib.import_module(SCENARIO_MODULES[s])
        lines += mod.markdown(res[key]) + [""]
        target_rows += mod.targets(res[key])
    if target_rows:
        lines += ["## Targets", "", "| target | met | figures (medians) |", "|---|---|---|"]
        lines += [f"| {name} | {'met' if ok else '**not met**'} | {figs} |"
                  for name, ok, figs in target_rows]
        lines.append("")
    skipped = [line for meta in runs.values() for line in meta.get("log", [])
               if "skipped" in line or "failed" in line]
    if skipped:
        lines += ["## Skipped", ""] + [f"- {line.strip()}" for line in skipped] + [""]
    return "\n".join(lines)


def _parse_scenarios(text: str | None) -> list[int]:
    if text is None:
        return [1, *SCENARIO_MODULES]
    try:
        chosen = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        chosen = []
    if not chosen or any(s not in (1, *SCENARIO_MODULES) for s in chosen):
        raise SystemExit(f"--scenario takes numbers 1-{max(SCENARIO_MODULES)} separated by commas; found {text!r}")
    return chosen


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run with small budgets (scenario 1: one network, 1 timed epoch); "
                         "writes quick.*")
    ap.add_argument("--scenario", default=None, help="run only these scenarios, e.g. 3 or 2,4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=4,
                    help="scenario 1: timed epochs per measurement, after one warm-up epoch")
    ap.add_argument("--configs", default=None,
                    help="scenario 1: networks/batches, e.g. 256/128,512-512/128 (default: all "
                         "six; --quick: 256/128)")
    ap.add_argument("--phases-only", action="store_true",
                    help="scenario 1: only the per-phase split of a step (CPU time, robust to "
                         "load), keeping the peers' rows from the last run")
    ap.add_argument("--rows", type=int, default=None,
                    help="scenario 6: rows of the generated Parquet folder (default 20 million)")
    a = ap.parse_args(argv)
    chosen = _parse_scenarios(a.scenario)
    epochs = 1 if a.quick else a.epochs
    env, removed = _child_env()
    stem = "quick" if a.quick else "latest"
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{stem}.json"
    res = json.loads(path.read_text()) if path.exists() else {}
    if "scenario1" in res and "runs" not in res:
        # a file from before the results were merged: scenario 1's settings were top-level
        res["runs"] = {"scenario1": {k: res[k] for k in ("args", "epochs", "repeats") if k in res}
                       | {"log": res.get("log", [])}}
    for k in ("args", "epochs", "repeats", "log"):
        res.pop(k, None)
    res.setdefault("runs", {})
    res.update(openblas_pins_removed=removed, machine=_machine(env))
    args = " ".join(argv if argv is not None else sys.argv[1:])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    for s in chosen:
        log_lines: list[str] = []

        def log(msg, _lines=log_lines):
            print(msg, flush=True)
            _lines.append(msg)

        meta = {"args": args, "date": date, "repeats": a.repeats, "quick": a.quick,
                "cpu": res["machine"]["cpu"]}
        if s == 1:
            meta["epochs"] = epochs
            configs = _parse_configs(a.configs, a.quick)
            meta["loadavg_start"] = list(os.getloadavg())
            meta["fast_kernels"] = FAST_KERNELS
            if a.phases_only:
                # only the per-phase split (CPU time: robust to load); the peers' rows stay
                res["scenario1_gap"] = _scenario1_gap(configs, env, log)
                path.write_text(json.dumps(res, indent=2))
                (RESULTS / f"{stem}.md").write_text(_markdown(res))
                continue
            out = _scenario1(epochs, a.repeats, env, log, configs,
                             res.get("scenario1") if a.configs else None)
            if not a.quick:
                res["scenario1_gap"] = _scenario1_gap(configs, env, log)
            meta["loadavg_end"] = list(os.getloadavg())
        else:
            out = _run_scenario_child(s, a.quick, a.repeats, env, log, rows=a.rows)
        res[f"scenario{s}"] = out
        res["runs"][f"scenario{s}"] = {**meta, "log": log_lines}
        # write after each scenario, so a later failure keeps the finished ones
        path.write_text(json.dumps(res, indent=2))
        (RESULTS / f"{stem}.md").write_text(_markdown(res))
    print((RESULTS / f"{stem}.md").read_text())


if __name__ == "__main__":
    main()
