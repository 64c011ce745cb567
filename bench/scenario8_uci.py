"""Scenario 8, end to end: ``MLPRegressor()`` on UCI concrete, energy and yacht, NumPy path
against the compiled whole step.

``python -m bench.scenario8_uci [--splits K] [--repeats R]``. For each data set (split 0..K-1
of the standard 20, read as in scenario 5) and engine, one fresh process per fit (interleaved,
``repeats`` times): ``import probnn``, then ``MLPRegressor(random_state=0).fit`` on the split's
training rows, then its test NLL, then the same fit again in the same process (the cost of
each further fit of a model selection, an ensemble or a cross-validation; the same weights). Engines: ``numpy`` (``PROBNN_ENGINE=numpy``: the path every
fit took before the compiled step) and ``auto`` (the default: the cost model picks the
compiled step where it pays; numba's cache warm). Figures: the fit's CPU time (robust to
other processes on a shared machine), its wall time, the process's CPU time from start to
exit (imports included: what a one-off fit costs), epochs, and the test NLL (the same with
both engines only where the arithmetic is the same: the normal family's compiled loss uses
libm's exp / log1p, so the paths part by float32 roundings and early stopping may end at
another epoch). Results: ``bench/results/scenario8_uci.md``.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
SETS = ("concrete", "energy", "yacht")
ENGINES = ("numpy", "auto")

_CHILD = r"""
import json, os, sys, time, warnings
c0 = time.process_time()
import numpy as np
from bench.scenario5 import load_split
from probnn.estimators import MLPRegressor
warnings.simplefilter("ignore")
name, k = sys.argv[1], int(sys.argv[2])
Xtr, ytr, Xte, yte = load_split(name, k)
w0, f0 = time.perf_counter(), time.process_time()
m = MLPRegressor(random_state=0).fit(Xtr, ytr)
w1, f1 = time.perf_counter(), time.process_time()
nll = float(m.score_nll(Xte, yte))
compiled = bool(getattr(m._trainer, "_steps", None))
process = time.process_time() - c0
# the same fit again in this process: what each fit of a model selection or an ensemble costs
f2 = time.process_time()
again = MLPRegressor(random_state=0).fit(Xtr, ytr)
f3 = time.process_time()
assert float(again.score_nll(Xte, yte)) == nll
print(json.dumps({"fit_cpu": f1 - f0, "fit_wall": w1 - w0, "process_cpu": process,
                  "next_fit_cpu": f3 - f2, "epochs": int(m.n_iter_), "nll": nll,
                  "compiled": compiled}))
"""


def _one(name: str, k: int, engine: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    env.pop("PROBNN_ENGINE", None)
    if engine != "auto":
        env["PROBNN_ENGINE"] = engine
    out = subprocess.run([sys.executable, "-c", _CHILD, name, str(k)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(splits: int, repeats: int, log) -> dict:
    res = {}
    for name in SETS:
        for k in range(splits):
            runs = {e: [] for e in ENGINES}
            for _ in range(repeats):
                for e in ENGINES:
                    runs[e].append(_one(name, k, e))
            res[f"{name}/{k}"] = runs
            med = {e: {f: statistics.median(r[f] for r in v) for f in
                       ("fit_cpu", "fit_wall", "process_cpu", "next_fit_cpu")} for e, v in runs.items()}
            log(f"  {name} split {k}: " + "; ".join(
                f"{e} fit {m['fit_cpu']:.3f} s CPU ({m['fit_wall']:.3f} wall, next fit "
                f"{m['next_fit_cpu']:.3f}), process "
                f"{m['process_cpu']:.2f} s, epochs {runs[e][0]['epochs']}, NLL "
                f"{runs[e][0]['nll']:.4f}" for e, m in med.items()))
    return res


def markdown(res: dict, cmd: str, cpu: str, load) -> str:
    lines = [f"# Scenario 8, end to end (`{cmd}`)", "",
             f"CPU: {cpu}; load average at the end {', '.join(f'{x:.1f}' for x in load)}. "
             "`MLPRegressor(random_state=0)`, one fresh process per fit, medians over the "
             "repeats. numpy: `PROBNN_ENGINE=numpy` (every fit's path before the compiled "
             "step); auto: the default (numba importable, its cache warm).", "",
             "| data / split | first fit CPU s numpy | auto | speed-up | next fit CPU s numpy | "
             "auto | speed-up | per epoch | fit wall s numpy | auto | process CPU s numpy | auto "
             "| epochs numpy / auto | test NLL numpy / auto |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    tot = {e: 0.0 for e in ENGINES}
    nxt = {e: 0.0 for e in ENGINES}
    for key, runs in res.items():
        med = {e: {f: statistics.median(r[f] for r in v) for f in
                   ("fit_cpu", "fit_wall", "process_cpu", "next_fit_cpu")}
               for e, v in runs.items()}
        for e in ENGINES:
            tot[e] += med[e]["fit_cpu"]
            nxt[e] += med[e]["next_fit_cpu"]
        n, a = med["numpy"], med["auto"]
        lines.append(
            f"| {key} | {n['fit_cpu']:.3f} | {a['fit_cpu']:.3f} | "
            f"{n['fit_cpu'] / a['fit_cpu']:.1f}x | {n['next_fit_cpu']:.3f} | "
            f"{a['next_fit_cpu']:.3f} | {n['next_fit_cpu'] / a['next_fit_cpu']:.1f}x | "
            f"{n['next_fit_cpu'] / runs['numpy'][0]['epochs'] / (a['next_fit_cpu'] / runs['auto'][0]['epochs']):.1f}x | "
            f"{n['fit_wall']:.3f} | {a['fit_wall']:.3f} | "
            f"{n['process_cpu']:.2f} | {a['process_cpu']:.2f} | {runs['numpy'][0]['epochs']} / "
            f"{runs['auto'][0]['epochs']} | {runs['numpy'][0]['nll']:.4f} / "
            f"{runs['auto'][0]['nll']:.4f} |")
    lines += ["", f"First fits together: {tot['numpy']:.2f} s CPU (numpy) against "
              f"{tot['auto']:.2f} s (auto), {tot['numpy'] / tot['auto']:.1f}x (the first fit of "
              f"a process pays numba's import and the load of its cached kernels); next fits "
              f"together: {nxt['numpy']:.2f} s against {nxt['auto']:.2f} s, "
              f"{nxt['numpy'] / nxt['auto']:.1f}x."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    import argparse

    from bench._common import cpu_name

    ap = argparse.ArgumentParser(prog="python -m bench.scenario8_uci")
    ap.add_argument("--splits", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = run(a.splits, a.repeats, log)
    cmd = "python -m bench.scenario8_uci " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(res, cmd.strip(), cpu_name(), os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scenario8_uci.md").write_text(text)
    print(json.dumps(res))
    log(text)


if __name__ == "__main__":
    main()
