"""Scenario 8, end to end: ``MLPRegressor()`` on UCI concrete, energy and yacht, NumPy path
against the compiled whole step.

``python -m bench.scenario8_uci [--splits K] [--repeats R] [--protocol-splits S]``. For each
data set (split 0..K-1 of the standard 20, read as in scenario 5) and engine, one fresh process
per fit (interleaved, ``repeats`` times): ``import probnn``, then
``MLPRegressor(random_state=0).fit`` on the split's training rows, then its test NLL, then the
same fit again in the same process (the cost of each further fit of a model selection, an
ensemble or a cross-validation; the same weights). Engines: ``numpy``
(``PROBNN_ENGINE=numpy``: the path every fit took before the compiled step) and ``auto`` (the
default: the cost model picks the compiled step where it pays; numba's cache warm). Figures:
the fit's CPU time (robust to other processes on a shared machine), its wall time, the
process's CPU time from start to exit (imports included: what a one-off fit costs), the first
fit's CPU time in importing numba and in loading the cached epoch kernel, epochs, and the test
NLL (the same with both engines: the compiled step does the NumPy path's arithmetic, NumPy's
own exp / log1p / log loops included, so with the same BLAS the fits are bit-identical and
early stopping ends at the same epoch). Then the UCI protocol's fits (scenario 5's ``probnn
default`` on the first S splits, one process per data set and engine). Results:
``bench/results/scenario8_uci.md``.
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
# where the first fit's extra time goes: _fast.kernels() imports numba (and the kernels'
# module); _fast.preload loads the epoch kernel's machine code from numba's cache
from probnn.network import _fast
spent = {"import": 0.0, "load": 0.0}
def _timed(fn, key):
    def wrapper(*a, **kw):
        c = time.process_time()
        try:
            return fn(*a, **kw)
        finally:
            spent[key] += time.process_time() - c
    return wrapper
_fast.kernels = _timed(_fast.kernels, "import")
_fast.preload = _timed(_fast.preload, "load")
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
                  "import_cpu": spent["import"], "load_cpu": spent["load"],
                  "next_fit_cpu": f3 - f2, "epochs": int(m.n_iter_), "nll": nll,
                  "compiled": compiled}))
"""


# the UCI protocol's fits (scenario 5's `probnn default`: MLPRegressor(random_state=split) on
# each split's training rows) in one process per data set and engine, as a model selection or
# a cross-validation runs them: the first fit pays numba's import and load, the others not
_PROTOCOL_CHILD = r"""
import json, sys, time, warnings
from bench.scenario5 import load_split
from probnn.estimators import MLPRegressor
warnings.simplefilter("ignore")
name, n = sys.argv[1], int(sys.argv[2])
out = []
for k in range(n):
    Xtr, ytr, Xte, yte = load_split(name, k)
    f0 = time.process_time()
    m = MLPRegressor(random_state=k).fit(Xtr, ytr)
    f1 = time.process_time()
    out.append({"fit_cpu": f1 - f0, "epochs": int(m.n_iter_),
                "nll": float(m.score_nll(Xte, yte))})
print(json.dumps(out))
"""


def _env(engine: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    env.pop("PROBNN_ENGINE", None)
    if engine != "auto":
        env["PROBNN_ENGINE"] = engine
    return env


def protocol(splits: int, log) -> dict:
    """Each data set's first ``splits`` splits fitted in one process per engine (interleaved)."""
    res = {}
    for name in SETS:
        res[name] = {}
        for e in ENGINES:
            out = subprocess.run([sys.executable, "-c", _PROTOCOL_CHILD, name, str(splits)],
                                 cwd=ROOT, env=_env(e), capture_output=True, text=True,
                                 check=True).stdout
            res[name][e] = json.loads(out.strip().splitlines()[-1])
        runs = res[name]
        log(f"  protocol {name}: " + "; ".join(
            f"{e} {sum(r['fit_cpu'] for r in v):.2f} s CPU" for e, v in runs.items()))
    return res


def protocol_markdown(res: dict, splits: int) -> str:
    lines = ["", f"## The UCI protocol's fits, {splits} splits per data set, one process per "
             "data set and engine", "",
             "Scenario 5's `probnn default` (`MLPRegressor(random_state=split)`, one seed) on "
             "each split in turn, in one process (as a model selection or a cross-validation "
             "fits): the first fit pays numba's import and load, the others not. CPU s of the "
             "fits; test NLL mean over the splits.", "",
             "| data | fits CPU s numpy | auto | speed-up | first fit numpy | auto | "
             "splits with the same test NLL | test NLL numpy | auto | epochs numpy / auto |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, runs in res.items():
        n, a = runs["numpy"], runs["auto"]
        tn, ta = sum(r["fit_cpu"] for r in n), sum(r["fit_cpu"] for r in a)
        same = sum(x["nll"] == y["nll"] for x, y in zip(n, a))
        lines.append(
            f"| {name} | {tn:.2f} | {ta:.2f} | {tn / ta:.1f}x | {n[0]['fit_cpu']:.3f} | "
            f"{a[0]['fit_cpu']:.3f} | {same} of {len(n)} | "
            f"{statistics.fmean(r['nll'] for r in n):.4f} | "
            f"{statistics.fmean(r['nll'] for r in a):.4f} | "
            f"{sum(r['epochs'] for r in n)} / {sum(r['epochs'] for r in a)} |")
    return "\n".join(lines) + "\n"


def _one(name: str, k: int, engine: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, name, str(k)], cwd=ROOT,
                         env=_env(engine), capture_output=True, text=True,
                         check=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    if engine == "auto" and not res["compiled"]:
        # with numba's cache cold the cost model counts the 18 s compile and keeps NumPy:
        # the "auto" column would time the NumPy path again
        raise SystemExit("the auto fit did not take the compiled step; warm numba's cache "
                         "first: python -c 'from probnn.network import training; "
                         "training.precompile()'")
    return res


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
             "| data / split | first fit CPU s numpy | auto | speed-up | of which import numba "
             "/ load kernel | next fit CPU s numpy | "
             "auto | speed-up | per epoch | fit wall s numpy | auto | process CPU s numpy | auto "
             "| epochs numpy / auto | test NLL numpy / auto |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    same = True
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
        same = same and {r["nll"] for v in runs.values() for r in v} == {
            runs["numpy"][0]["nll"]}
        imp = statistics.median(r.get("import_cpu", 0.0) for r in runs["auto"])
        load = statistics.median(r.get("load_cpu", 0.0) for r in runs["auto"])
        lines.append(
            f"| {key} | {n['fit_cpu']:.3f} | {a['fit_cpu']:.3f} | "
            f"{n['fit_cpu'] / a['fit_cpu']:.1f}x | {imp:.3f} / {load:.3f} | "
            f"{n['next_fit_cpu']:.3f} | "
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
              f"{nxt['numpy'] / nxt['auto']:.1f}x. Test NLL "
              + ("the same with both engines in every fit." if same else
                 "**not** the same with both engines in every fit.")]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    import argparse

    from bench._common import cpu_name

    ap = argparse.ArgumentParser(prog="python -m bench.scenario8_uci")
    ap.add_argument("--splits", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--protocol-splits", type=int, default=20,
                    help="splits per data set of the protocol's fits (0: none)")
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = run(a.splits, a.repeats, log)
    proto = protocol(a.protocol_splits, log) if a.protocol_splits > 0 else None
    cmd = "python -m bench.scenario8_uci " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(res, cmd.strip(), cpu_name(), os.getloadavg())
    if proto is not None:
        text += protocol_markdown(proto, a.protocol_splits)
        res = {"fits": res, "protocol": proto}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scenario8_uci.md").write_text(text)
    print(json.dumps(res))
    log(text)


if __name__ == "__main__":
    main()
