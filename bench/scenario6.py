"""Scenario 6: ``probnn fit`` on a Parquet dataset larger than a test may hold in memory.

The scenario writes its own data, in pieces (bounded memory), into a temporary folder that it
deletes afterwards: ``--rows`` rows (default 20 million) x 20 columns (18 normal features, a
5-level text column and the target ``y``), one Parquet file per million rows. The truth is
heteroscedastic: ``y | x ~ Normal(mu(x), sigma(x))`` with ``mu = sin(2 x0) + 0.5 x1 x2 +
0.3 x3 + effect[shop]`` and ``sigma = 0.5 exp(0.3 x4)``; the other features are noise.

Measured:

* ``probnn fit DIR --target y --epochs E --hidden 64,64`` (streaming: a folder) in a child
  process: wall time, peak RSS (``getrusage(RUSAGE_CHILDREN).ru_maxrss``), rows per second of
  each epoch's training pass (its own log: reading, preprocessing, shuffle buffer and
  training), the seconds of the first passes (preprocessing, target).
* the same training on an in-memory array of the same batches: a fresh network of the same
  settings trained by ``partial_fit`` on the same chunk size over ``IN_MEMORY_ROWS`` rows
  already preprocessed (float32), median over the repeats: rows per second.
* held-out NLL on ``SCORED_ROWS`` rows the streamed fit held out (by its hash): the streamed
  model against an in-memory ``probnn fit --stream no`` on a subsample of ``SUBSAMPLE_ROWS``
  training rows (its defaults: early stopping, up to ``SUBSAMPLE_EPOCHS`` epochs), paired per
  row (difference and its standard error), and the truth's NLL (the floor).

Writes ``bench/results/scenario6.md`` when run directly (``python -m bench.scenario6``).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import cpu_name

ROWS = 20_000_000
FILE_ROWS = 1_000_000
N_NUMERIC = 18
SHOPS = np.array(["north", "south", "east", "west", "centre"], dtype=object)
EFFECT = np.array([0.0, 0.4, -0.3, 0.8, -0.6])
EPOCHS = 3
HIDDEN = "64,64"
IN_MEMORY_ROWS = 1_000_000
SUBSAMPLE_ROWS = 200_000
SUBSAMPLE_EPOCHS = 30
SCORED_ROWS = 200_000
RSS_TARGET_MIB = 1024
# one BLAS thread for both peers: at batch 200 x 64 units a second thread only waits (measured
# here under load: 471,000 rows/s with one, 81,000 with two); the streamed fit reads and
# preprocesses in a second Python thread (probnn.tables.streaming.prefetch)
BLAS_THREADS = 1
THROUGHPUT_TARGET = 1.5
RESULTS = Path(__file__).resolve().parent / "results"


# ------------------------------------------------------------------ the data
def _truth(X: np.ndarray, shop_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] * X[:, 2] + 0.3 * X[:, 3] + EFFECT[shop_index]
    return mu, 0.5 * np.exp(0.3 * X[:, 4])


def _piece(i: int, n: int, seed: int):
    import pandas as pd

    rng = np.random.default_rng([seed, i])
    X = rng.standard_normal((n, N_NUMERIC))
    shop = rng.integers(0, len(SHOPS), n)
    mu, sigma = _truth(X, shop)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(N_NUMERIC)])
    frame["shop"] = SHOPS[shop]
    frame["y"] = mu + sigma * rng.standard_normal(n)
    return frame


def write_dataset(folder: Path, rows: int, seed: int = 0, log=print) -> float:
    """One Parquet file per ``FILE_ROWS`` rows; returns seconds taken."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for i, start in enumerate(range(0, rows, FILE_ROWS)):
        n = min(FILE_ROWS, rows - start)
        table = pa.Table.from_pandas(_piece(i, n, seed), preserve_index=False)
        pq.write_table(table, folder / f"part-{i:04d}.parquet")
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in folder.iterdir())
    log(f"  scenario 6: wrote {rows:,} rows in {math.ceil(rows / FILE_ROWS)} files, "
        f"{size / 2**30:.2f} GiB on disk ({rows * 20 * 8 / 2**30:.2f} GiB as float64), "
        f"in {seconds:.0f} s")
    return seconds


# ------------------------------------------------------------- measurements
def _streamed_fit(folder: Path, work: Path, epochs: int, env: dict, log) -> dict:
    # the family named: the scenario times streamed training, not --family auto's selection
    cmd = [sys.executable, "-m", "probnn", "fit", str(folder), "--target", "y", "--family", "normal",
           "--epochs", str(epochs), "--hidden", HIDDEN, "--seed", "0",
           "--out", str(work / "stream.safetensors"), "--report", str(work / "stream-report")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    load = os.getloadavg()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"probnn fit failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = usage.ru_maxrss
    cpu = (usage.ru_utime + usage.ru_stime) - (before.ru_utime + before.ru_stime)
    text = done.stdout
    found = re.findall(r"^epoch \d+: .*\(([\d.]+) s, ([\d.]+) s CPU\)$", text, re.M)
    epochs_s, epochs_cpu = [float(w) for w, _ in found], [float(c) for _, c in found]
    train_rows = int(re.search(r"training on ([\d,]+)", text).group(1).replace(",", ""))
    first = float(re.search(r"first passes in ([\d.]+) s", text).group(1))
    nll = float(re.search(r"NLL \(nats per example\)\s+([-\d.]+)", text).group(1))
    for line in text.splitlines():
        log(f"  scenario 6 | {line}")
    return {"command": " ".join(["probnn", *cmd[3:]]), "wall_s": wall,
            "peak_rss_mib": peak_kib / 1024, "epoch_s": epochs_s, "train_rows": train_rows,
            "rows_per_s": [train_rows / s for s in epochs_s], "epoch_cpu_s": epochs_cpu,
            "rows_per_cpu_s": [train_rows / c for c in epochs_cpu], "first_passes_s": first,
            "held_out_nll_printed": nll, "cpu_s": cpu, "loadavg_start": list(load),
            "loadavg_end": list(os.getloadavg())}  # fmt: skip


def _training_rows(folder: Path, n: int, part: int, seed: int = 0):
    """The first ``n`` rows of the streamed fit's ``part`` (its hash), in row order."""
    import pandas as pd

    from probnn.tables.sources import TableSource
    from probnn.tables.split import row_parts

    frames, have = [], 0
    for batch in TableSource(folder).batches():
        rows = batch.frame[row_parts(batch.rows, seed, 0.2, 0.1) == part]
        frames.append(rows.iloc[: n - have])
        have += len(frames[-1])
        if have >= n:
            break
    return pd.concat(frames, ignore_index=True)


def _in_memory_throughput(model, frame, repeats: int, log) -> dict:
    """Rows per second of partial_fit over the same chunk size on preprocessed arrays."""
    from probnn.estimators import MLPRegressor
    from probnn.tables.sources import READ_ROWS

    X = np.ascontiguousarray(model.transform(frame), dtype=np.float32)
    y = model.encode_target(frame)
    params = model.estimator.get_params()
    # the batch size the streamed fit trained with ("auto" resolved by its fit: batch_size_)
    bs = params["batch_size"] = int(getattr(model.estimator, "batch_size_", params["batch_size"]))
    chunk = bs * math.ceil(READ_ROWS / bs)
    scaling = (float(model.estimator.target_shift_), float(model.estimator.target_scale_))
    rates, cpu_rates = [], []
    for r in range(repeats):
        est = MLPRegressor(**params)
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(X), chunk):
            est.partial_fit(X[start:start + chunk], y[start:start + chunk],
                            **({"target_scaling": scaling} if start == 0 else {}))
        rates.append(len(X) / (time.perf_counter() - started))
        cpu_rates.append(len(X) / (time.process_time() - cpu))
        log(f"  scenario 6: in-memory epoch of {len(X):,} rows, repeat {r}: {rates[-1]:,.0f} rows/s "
            f"({cpu_rates[-1]:,.0f} per CPU second; load average {os.getloadavg()[0]:.1f})")
    return {"rows": len(X), "chunk_rows": chunk, "batch_size": bs, "rows_per_s": rates,
            "rows_per_cpu_s": cpu_rates}


def _row_nll(model, frame) -> np.ndarray:
    dist = model.predict_dist(frame)
    return -np.asarray(dist.log_prob(model.encode_target(frame)), dtype=np.float64)


def _subsample_fit(folder: Path, work: Path, env: dict, n: int, log) -> tuple[Path, float]:
    sub = _training_rows(folder, n, part=0)
    path = work / "subsample.parquet"
    sub.to_parquet(path, index=False)
    cmd = [sys.executable, "-m", "probnn", "fit", str(path), "--target", "y", "--stream", "no",
           "--family", "normal", "--epochs", str(SUBSAMPLE_EPOCHS), "--hidden", HIDDEN, "--seed", "0", "--quiet",
           "--out", str(work / "sub.safetensors"), "--report", str(work / "sub-report")]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"in-memory fit failed: {done.stderr.strip()[-500:]}")
    seconds = time.perf_counter() - started
    log(f"  scenario 6: in-memory fit on {n:,} training rows in {seconds:.0f} s")
    return work / "sub.safetensors", seconds


def run(quick: bool, repeats: int, log, rows: int | None = None, epochs: int | None = None,
        keep: Path | None = None) -> dict:  # fmt: skip
    from probnn.model_file import load_model

    rows = rows or (200_000 if quick else ROWS)
    epochs = epochs or EPOCHS
    in_memory_rows = min(IN_MEMORY_ROWS, rows // 2)
    sub_rows = min(SUBSAMPLE_ROWS, rows // 4)
    scored_rows = min(SCORED_ROWS, rows // 10)
    env = dict(os.environ)
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[v] = str(BLAS_THREADS)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    work = Path(tempfile.mkdtemp(prefix="probnn-scenario6-", dir=keep))
    try:
        folder = work / "data"
        gen_s = write_dataset(folder, rows, log=log)
        disk = sum(p.stat().st_size for p in folder.iterdir())
        streamed = _streamed_fit(folder, work, epochs, env, log)
        model = load_model(work / "stream.safetensors")
        from threadpoolctl import threadpool_limits

        with threadpool_limits(BLAS_THREADS):
            train = _training_rows(folder, in_memory_rows, part=0)
            memory = _in_memory_throughput(model, train, repeats, log)
            del train
            sub_model_path, sub_s = _subsample_fit(folder, work, env, sub_rows, log)
            sub_model = load_model(sub_model_path)
            held = _training_rows(folder, scored_rows, part=2)
            nll_stream, nll_sub = _row_nll(model, held), _row_nll(sub_model, held)
        X = held[[f"x{j}" for j in range(N_NUMERIC)]].to_numpy()
        shop = held["shop"].map({name: i for i, name in enumerate(SHOPS)}).to_numpy(dtype=int)
        mu, sigma = _truth(X, shop)
        from scipy import stats

        truth = -stats.norm.logpdf(held["y"].to_numpy(), mu, sigma)
        diff = nll_stream - nll_sub
        out = {
            "rows": rows, "columns": N_NUMERIC + 2, "files": math.ceil(rows / FILE_ROWS),
            "disk_gib": disk / 2**30, "float64_gib": rows * 20 * 8 / 2**30, "epochs": epochs,
            "generate_s": gen_s, "streamed": streamed, "in_memory": memory,
            "subsample": {"rows": sub_rows, "fit_s": sub_s, "epochs": SUBSAMPLE_EPOCHS},
            "held_out": {"rows": int(len(held)), "nll_stream": float(nll_stream.mean()),
                         "nll_subsample": float(nll_sub.mean()), "nll_truth": float(truth.mean()),
                         "diff": float(diff.mean()),
                         "diff_se": float(diff.std(ddof=1) / math.sqrt(diff.size))},
            "cpu": cpu_name(), "loadavg": list(os.getloadavg()),
        }  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


# ------------------------------------------------------------------ results
def _ratio(res: dict) -> float:
    stream = statistics.median(res["streamed"]["rows_per_s"])
    return statistics.median(res["in_memory"]["rows_per_s"]) / stream


def _cpu_ratio(res: dict) -> float | None:
    """In-memory rows per CPU second over the streamed fit's (both its threads)."""
    stream = res["streamed"].get("rows_per_cpu_s")
    if not stream:
        return None
    return statistics.median(res["in_memory"]["rows_per_cpu_s"]) / statistics.median(stream)


def targets(res: dict) -> list[tuple[str, bool, str]]:
    s, h = res["streamed"], res["held_out"]
    ratio = _ratio(res)
    return [
        (f"Scenario 6: streamed fit of {res['rows']:,} rows, peak RSS under {RSS_TARGET_MIB} MiB",
         s["peak_rss_mib"] < RSS_TARGET_MIB, f"{s['peak_rss_mib']:.0f} MiB"),
        (f"Scenario 6: streamed rows/s per epoch within {THROUGHPUT_TARGET}x of in-memory",
         ratio <= THROUGHPUT_TARGET,
         f"in-memory / streamed = {ratio:.2f} ({statistics.median(res['in_memory']['rows_per_s']):,.0f}"
         f" vs {statistics.median(s['rows_per_s']):,.0f} rows/s)"),
        ("Scenario 6: streamed held-out NLL no worse than the in-memory subsample fit's "
         "(within 2 SE)", h["diff"] <= 2 * h["diff_se"],
         f"{h['nll_stream']:.4f} vs {h['nll_subsample']:.4f} nats (difference "
         f"{h['diff']:+.4f} ± {h['diff_se']:.4f}; truth {h['nll_truth']:.4f})"),
    ]  # fmt: skip


def markdown(res: dict) -> list[str]:
    s, m, h = res["streamed"], res["in_memory"], res["held_out"]
    epochs = ", ".join(f"{t:.0f} s ({r:,.0f} rows/s)" for t, r in zip(s["epoch_s"], s["rows_per_s"]))
    return [
        "## Scenario 6: larger than memory (a Parquet folder streamed)", "",
        f"Generated by the scenario: {res['rows']:,} rows x {res['columns']} columns (18 normal "
        f"features, a 5-level text column, the target y) in {res['files']} Parquet files, "
        f"{res['disk_gib']:.2f} GiB on disk, {res['float64_gib']:.2f} GiB as float64 "
        f"(written in {res['generate_s']:.0f} s, deleted afterwards). CPU: {res['cpu']} (2 "
        f"cores, shared: load average (1, 5, 15 min) {', '.join(f'{x:.1f}' for x in s['loadavg_start'])} "
        f"when the fit started, {', '.join(f'{x:.1f}' for x in s['loadavg_end'])} when it "
        f"ended); one BLAS thread for both peers.", "",
        f"- `{s['command']}`: {s['wall_s']:.0f} s wall in all ({s['cpu_s']:.0f} s CPU), peak RSS "
        f"**{s['peak_rss_mib']:.0f} MiB**; first passes (preprocessing, target kind and "
        f"statistics) {s['first_passes_s']:.0f} s; epochs of {s['train_rows']:,} training rows: "
        f"{epochs}.",
        f"- The same training on an in-memory array (float32, preprocessed, {m['rows']:,} rows, "
        f"`partial_fit` on chunks of {m['chunk_rows']:,} rows, batch {m['batch_size']}): "
        f"{', '.join(f'{r:,.0f}' for r in m['rows_per_s'])} rows/s; in-memory / streamed = "
        f"**{_ratio(res):.2f}** (medians). Per CPU second (the streamed fit's two threads "
        f"counted together): streamed {', '.join(f'{r:,.0f}' for r in s.get('rows_per_cpu_s', []))}"
        f", in-memory {', '.join(f'{r:,.0f}' for r in m.get('rows_per_cpu_s', []))} rows; "
        f"ratio {_cpu_ratio(res) or float('nan'):.2f}: the wall-clock ratio on a machine with a "
        "core to spare for the reading thread lies between 1 and this.",
        f"- Held-out NLL on {h['rows']:,} rows the streamed fit held out: streamed "
        f"**{h['nll_stream']:.4f}**, in-memory fit (`--stream no`) on {res['subsample']['rows']:,} "
        f"training rows ({res['subsample']['fit_s']:.0f} s, up to {res['subsample']['epochs']} "
        f"epochs, early stopping) {h['nll_subsample']:.4f}; difference {h['diff']:+.4f} ± "
        f"{h['diff_se']:.4f} (paired SE); the truth's NLL {h['nll_truth']:.4f} (the floor).",
    ]  # fmt: skip


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scenario6")
    ap.add_argument("--quick", action="store_true", help="200,000 rows")
    ap.add_argument("--repeats", type=int, default=5, help="in-memory epochs timed")
    ap.add_argument("--rows", type=int, default=None, help=f"rows to generate (default {ROWS:,})")
    ap.add_argument("--epochs", type=int, default=None, help=f"epochs (default {EPOCHS})")
    ap.add_argument("--tmp", type=Path, default=None, help="folder for the temporary data")
    a = ap.parse_args(argv)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = run(quick=a.quick, repeats=a.repeats, log=log, rows=a.rows, epochs=a.epochs, keep=a.tmp)
    print(json.dumps(res))
    text = markdown(res) + ["", "| target | met | figures |", "|---|---|---|"] + [
        f"| {name} | {'met' if ok else '**not met**'} | {figs} |" for name, ok, figs in targets(res)]
    args = " ".join(argv if argv is not None else sys.argv[1:])
    header = ["# Scenario 6: larger than memory", "",
              f"Command: `python -m bench.scenario6 {args}`".rstrip() + " (also `python -m bench "
              "--scenario 6`, which records it in latest.md too).", ""]
    if not a.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "scenario6.md").write_text("\n".join(header + text) + "\n")
    log("\n".join(text))


if __name__ == "__main__":
    main()
