"""Merge bench.selection result files whose tables were run on different seeds (a
``--seeds 1`` run and seeds.py's later seeds) into one: each table's seeds joined (one record
per seed: the first file's), summarised again, written as bench.selection writes its results.
python -m bench.studies.holdout8.combine OUT_STEM A.json,B.json,..."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import selection as B
from bench._tables import all_tables


def main(stem: str, paths: list[str]) -> None:
    parts = [json.loads(Path(p).read_text()) for p in paths]
    order = [t.name for t in all_tables()]
    tables: dict[str, dict] = {}
    for part in parts:
        for t in part["tables"]:
            if t["table"] not in tables:
                tables[t["table"]] = dict(t, seeds=list(t.get("seeds", [])))
                continue
            have = {s["seed"] for s in tables[t["table"]]["seeds"]}
            tables[t["table"]]["seeds"] += [s for s in t.get("seeds", []) if s["seed"] not in have]
            tables[t["table"]]["wall_s"] = tables[t["table"]].get("wall_s", 0) + t.get("wall_s", 0)
    res = dict(parts[0])
    res["tables"] = sorted(tables.values(), key=lambda t: order.index(t["table"]))
    for t in res["tables"]:
        t["seeds"].sort(key=lambda s: s["seed"])
        if "skipped" not in t:
            t["summary"] = B.summarise(t)
    res["seeds"] = sorted({s["seed"] for t in res["tables"] for s in t.get("seeds", [])})
    res["command"] = f"python -m bench.studies.holdout8.combine {stem} {','.join(paths)}"
    res["merged"] = [p["command"] for p in parts]
    res["loadavg_end"] = parts[-1].get("loadavg_end")
    res["total_s"] = sum(p.get("total_s", 0) for p in parts)
    (B.RESULTS / f"{stem}.json").write_text(json.dumps(res, indent=1))
    md = B.markdown(res) + ["", "| target | met | figures |", "|---|---|---|"] + [
        f"| {n} | {'met' if ok else '**not met**'} | {figs} |" for n, ok, figs in B.targets(res)]
    (B.RESULTS / f"{stem}.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2].split(","))
