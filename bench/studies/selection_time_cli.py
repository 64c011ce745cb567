"""``probnn fit`` with the selection against one default fit, end to end (issue 22's 3x).

Usage: ``python -m bench.studies.selection_time_cli {bike,california} ROUNDS [THREADS]``.
Runs, ROUNDS times in turn in the same session (the machine is shared: alternating puts the
same load on each), three ``probnn fit`` commands on the table's CSV in a scratch folder:
``--family auto`` (the default: the selection), ``--family poisson`` (the type rule's choice
before selection, the README's unit) and ``--family mixture-normal`` (the family the selection
chooses on both tables); each in a fresh process, as a user runs it. For each: wall seconds and
CPU seconds (the child's user + system time), their medians and the ratios of the medians.
``THREADS``: the BLAS / OpenMP threads each command gets (``OMP_NUM_THREADS`` and siblings);
omitted, the environment's (none set: the machine's cores, as the CLI uses them by default).
Prints the load average before each round.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from bench._data import DATA_DIR

TABLES = {
    "bike": (DATA_DIR / "bike-sharing" / "hour.csv",
             ["--target", "cnt", "--drop", "instant,dteday,casual,registered"]),
    "california": (DATA_DIR / "california-housing" / "housing.csv",
                   ["--target", "median_house_value", "--impute"]),
}
FAMILIES = ("auto", "poisson", "mixture-normal")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def run_once(path, options, family: str, env: dict, where: str) -> tuple[float, float]:
    """(wall, cpu) seconds of one ``probnn fit`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "probnn", "fit", str(path), *options, "--family",
                    family, "--quiet"], cwd=where, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str]) -> None:
    name, rounds = argv[0], int(argv[1])
    env = dict(os.environ)
    if len(argv) > 2:
        env.update({v: argv[2] for v in THREAD_VARIABLES})
    path, options = TABLES[name]
    times: dict[str, list[tuple[float, float]]] = {f: [] for f in FAMILIES}
    with tempfile.TemporaryDirectory() as where:
        for r in range(rounds):
            print(f"round {r}: load {os.getloadavg()[0]:.2f}", flush=True)
            for family in FAMILIES:
                wall, cpu = run_once(path, options, family, env, where)
                times[family].append((wall, cpu))
                print(f"  {family:15s} wall {wall:7.2f}s cpu {cpu:7.2f}s", flush=True)
    med = {f: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
           for f, t in times.items()}  # fmt: skip
    threads = argv[2] if len(argv) > 2 else env.get("OMP_NUM_THREADS", "unset")
    print(f"{name}, {rounds} rounds, threads {threads}, medians:")
    for f, (w, c) in med.items():
        print(f"  {f:15s} wall {w:7.2f}s cpu {c:7.2f}s")
    for unit in FAMILIES[1:]:
        print(f"  auto / {unit}: wall {med['auto'][0] / med[unit][0]:.2f}x, "
              f"cpu {med['auto'][1] / med[unit][1]:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
