"""Scenario 9 (bench.selection's measurements) on chosen seeds of chosen tables, for a run
that adds seeds to an earlier ``--seeds 1`` run (bench.selection runs seeds 0..N-1 only):
python -m bench.studies.holdout8.seeds STEM SEEDS TABLES, e.g. ``s41_c 1,2 h8-mathlevel``;
writes bench/results/STEM.json as bench.selection does (merge with combine.py)."""
from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

from bench import selection as B
from bench._tables import all_tables, write_csv
from probnn.tables.sources import read_table


def main(stem: str, seeds: list[int], names: list[str]) -> None:
    warnings.simplefilter("ignore", ConvergenceWarning)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    res = {"cpu": B.cpu_name(), "cores": os.cpu_count(), "loadavg_start": list(os.getloadavg()),
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": "python -m bench.studies.holdout8.seeds " + " ".join(sys.argv[1:]),
           "seeds": seeds, "compare_max_rows": 0, "max_rows_all_seeds": 3000, "quick": False,
           "tables": []}
    with tempfile.TemporaryDirectory() as tmp:
        for table in [t for t in all_tables() if t.name in names]:
            frame, _ = table.load()
            frame = read_table(write_csv(frame, Path(tmp), table.name))
            t0 = time.perf_counter()
            t = B.run_table(table, frame, seeds, 0, log, "censor")
            t["summary"], t["wall_s"] = B.summarise(t), time.perf_counter() - t0
            res["tables"].append(t)
            log(f"scenario 9 {table.name}: {t['wall_s']:.0f} s")
            res.update(loadavg_end=list(os.getloadavg()), total_s=time.perf_counter() - started)
            (B.RESULTS / f"{stem}.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], [int(s) for s in sys.argv[2].split(",")], sys.argv[3].split(","))
