"""Scenario 7: ``probnn compare`` of 4 families on 2 worker processes against one after the other.

Data: UCI Bike Sharing, hourly (``../shared/data/bike-sharing/hour.csv``, 17,379 rows), target
``cnt`` (counts), ``--drop instant,dteday,casual,registered`` (an index, the date, and the two
parts of the target). Families ``poisson,negative-binomial,normal,laplace`` (the continuous ones
scored by the probability of the integer), ``--epochs 200`` (the default; early stopping ends
every fit sooner), ``--seed 0``, one 80/20 split.

Each measurement is one ``probnn compare`` command in a fresh process (2 BLAS threads, as every
scenario), timed from start to exit: reading the file, the four fits, scoring and the report, as
a user waits for it. Configurations, interleaved within each repeat:

* ``sequential``: ``--jobs 1``, the families one after the other in the command's process,
  with the harness's 2 BLAS threads; ``sequential, 1 BLAS thread``: the same with
  ``OMP_NUM_THREADS=1`` (and its siblings). The ratios are taken against the faster of the two.
* ``loky --jobs 2``: two local worker processes (joblib's loky), each with ``cores // 2`` = 1
  BLAS thread (probnn's limit; the workers are started, and import probnn, in every command).
* ``loky --jobs 2, 2 threads each``: the same under ``parallel_config(inner_max_num_threads=2)``,
  which is what joblib alone does when ``OMP_NUM_THREADS=2`` is set (as here): 4 BLAS threads on
  2 cores. It measures the oversubscription probnn's limit avoids.
* ``dask --scheduler``: ``--jobs 2 --scheduler ADDRESS`` on a ``dask.distributed.LocalCluster``
  of 2 worker processes with 1 thread each, started once by this scenario and warmed up by one
  untimed command (a long-lived cluster's workers have probnn imported already). Its workers
  have 1 BLAS thread each, distributed's default (``pre-spawn-environ``), which the thread
  variables set in a worker's environment would override: they start without them.

Every command's standard output (the ranking table: NLLs, differences, standard errors, the
verdict) must be identical to the sequential one's, character for character.
Results: ``bench/results/scenario7.md`` (and ``latest.md`` through ``python -m bench``).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import fmt, summary, child_main

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
DATA = "bike-sharing/hour.csv"
FAMILIES = "poisson,negative-binomial,normal,laplace"
DROP = "instant,dteday,casual,registered"
EPOCHS = 200  # the default budget; early stopping (patience 10) ends each fit sooner
TARGET_RATIO = 0.65
CONFIGS = ("sequential", "sequential, 1 BLAS thread", "loky --jobs 2",
           "loky --jobs 2, 2 threads each", "dask --scheduler")
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# runs probnn's command line inside parallel_config(inner_max_num_threads=2)
_OVERSUBSCRIBED = ("import sys\nfrom joblib import parallel_config\nfrom probnn.cli import main\n"
                   "with parallel_config(backend='loky', inner_max_num_threads=2):\n"
                   "    code = main(sys.argv[1:])\nsys.exit(code)\n")


def _command(config: str, data: Path, report: Path, epochs: int, address: str | None):
    argv = ["compare", str(data), "--target", "cnt", "--drop", DROP, "--families", FAMILIES,
            "--epochs", str(epochs), "--seed", "0", "--quiet", "--report", str(report)]
    if config.startswith("sequential"):
        return [sys.executable, "-m", "probnn", *argv]
    if config == "loky --jobs 2":
        return [sys.executable, "-m", "probnn", *argv, "--jobs", "2"]
    if config == "loky --jobs 2, 2 threads each":
        return [sys.executable, "-c", _OVERSUBSCRIBED, *argv, "--jobs", "2"]
    return [sys.executable, "-m", "probnn", *argv, "--jobs", "2", "--scheduler", address]


def _measure(cmd: list[str], report: Path, one_thread: bool = False) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    if one_thread:
        env.update({k: "1" for k in THREAD_VARS})
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... failed: {proc.stderr.strip()[-400:]}")
    return {"seconds": seconds, "stdout": proc.stdout.replace(str(report), "REPORT")}


def run(quick: bool, repeats: int, log) -> dict:
    from bench._data import DATA_DIR

    data = DATA_DIR / DATA
    if not data.exists():
        log(f"scenario 7 skipped: ../shared/data/{DATA} not found")
        return {}
    try:
        from distributed import LocalCluster
    except ImportError:
        log("scenario 7 skipped: dask.distributed is not installed (pip install 'probnn[dask]')")
        return {}
    epochs, repeats = (3, 1) if quick else (EPOCHS, repeats)
    load_start = list(os.getloadavg())
    runs = {c: [] for c in CONFIGS}
    # distributed gives its workers 1 BLAS thread (pre-spawn-environ), unless the variables are
    # set where they start, as the harness sets them (2): the workers start without them
    saved = {k: os.environ.pop(k, None) for k in THREAD_VARS}
    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
    finally:
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    with tempfile.TemporaryDirectory() as tmp, cluster:
        report = Path(tmp) / "report"
        address = cluster.scheduler_address
        _measure(_command("dask --scheduler", data, report, epochs, address), report)  # warm-up
        for r in range(repeats):
            order = CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]
            for config in order:
                runs[config].append(_measure(_command(config, data, report, epochs, address),
                                             report, one_thread=config.endswith("thread")))
                log(f"  scenario 7 repeat {r} {config}: {runs[config][-1]['seconds']:.2f} s")
    reference = runs["sequential"][0]["stdout"]
    out = {"settings": {"data": DATA, "families": FAMILIES, "drop": DROP, "epochs": epochs,
                        "repeats": repeats, "cores": os.cpu_count()},
           "loadavg_start": load_start, "loadavg_end": list(os.getloadavg()),
           "ranking": reference, "configs": {}}  # fmt: skip
    for config, rs in runs.items():
        out["configs"][config] = {
            "seconds": summary([x["seconds"] for x in rs]),
            "identical": sum(x["stdout"] == reference for x in rs), "runs": len(rs),
        }
    if not quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "scenario7.json").write_text(json.dumps(out, indent=2))
        (RESULTS / "scenario7.md").write_text("\n".join(["# probnn benchmarks: scenario 7", "",
                                                         *markdown(out), "", *_target_lines(out)]))
    return out


def _sequential(res: dict) -> float:
    """The faster sequential configuration's median seconds (the stricter baseline)."""
    return min(res["configs"][c]["seconds"]["median"] for c in CONFIGS[:2]
               if c in res["configs"])


def _ratio(res: dict, config: str) -> float:
    return res["configs"][config]["seconds"]["median"] / _sequential(res)


def targets(res: dict) -> list[tuple[str, bool, str]]:
    """Same output as sequential everywhere; the cluster's wall time at most 0.65x sequential."""
    if not res.get("configs"):
        return []
    same = all(c["identical"] == c["runs"] for c in res["configs"].values())
    r = _ratio(res, "dask --scheduler")
    return [
        ("Scenario 7: compare --jobs 2 (loky and a 2-worker LocalCluster) prints the sequential "
         "ranking and figures exactly", same,
         ", ".join(f"{k}: {c['identical']}/{c['runs']}" for k, c in res["configs"].items())),
        (f"Scenario 7: compare --jobs 2 on a 2-worker LocalCluster at most {TARGET_RATIO}x the "
         "sequential wall time (the faster of 2 and 1 BLAS threads)", r <= TARGET_RATIO,
         f"{r:.2f} ({res['configs']['dask --scheduler']['seconds']['median']:.1f} s vs "
         f"{_sequential(res):.1f} s)"),
    ]


def _target_lines(res: dict) -> list[str]:
    return ["| target | met | figures (medians) |", "|---|---|---|"] + [
        f"| {name} | {'met' if ok else '**not met**'} | {figs} |" for name, ok, figs in targets(res)]


def markdown(res: dict) -> list[str]:
    if not res.get("configs"):
        return ["## Scenario 7: not run (see the log)"]
    s = res["settings"]
    load = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    lines = ["## Scenario 7: compare of 4 families, 2 worker processes vs one after the other", "",
             f"`probnn compare {s['data']} --target cnt --drop {s['drop']} --families "
             f"{s['families']} --epochs {s['epochs']} --seed 0` (UCI Bike Sharing, hourly: "
             f"17,379 rows, one 80/20 split); each run a fresh process, timed from start to exit "
             f"(reading, 4 fits, scoring, report); {s['repeats']} repeats, configurations "
             f"interleaved; {s['cores']} cores. Load average (1, 5, 15 min) at the start "
             f"{load(res['loadavg_start'])}, at the end {load(res['loadavg_end'])}. "
             "Seconds: median [min, max]. *identical*: runs whose printed ranking table "
             "(NLLs to 4 decimals, SEs, verdict) is the sequential run's, character for character "
             "(tests/test_parallel.py checks the per-row NLLs bit for bit).", "",
             "*/ sequential*: against the faster of the two sequential rows.", "",
             "| configuration | BLAS threads per process | wall s | / sequential | identical |",
             "|---|---|---|---|---|"]
    threads = {"sequential": "2 (one process)", "sequential, 1 BLAS thread": "1 (one process)",
               "loky --jobs 2": "1 (probnn's limit)",
               "loky --jobs 2, 2 threads each": "2 (oversubscribed: 4 on 2 cores)",
               "dask --scheduler": "1 (distributed's default)"}
    for config, c in res["configs"].items():
        lines.append(f"| {config} | {threads[config]} | {fmt(c['seconds'], 2)} | "
                     f"{_ratio(res, config):.2f} | {c['identical']}/{c['runs']} |")
    lines += ["", "The ranking every configuration printed:", "", "```",
              res["ranking"].rstrip(), "```"]
    return lines


if __name__ == "__main__":
    child_main(run)
