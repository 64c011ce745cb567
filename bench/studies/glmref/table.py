"""selection_s41_glmref.{md,json}: auto (the selection's held-out NLL as saved by the s40 / s41
bench runs) against the new reference GLM (probnn fit --family RIGHT --hidden none, from
bench.studies.glmref.glms), per table.

auto's per-row NLLs were not saved by those runs, so auto - GLM_new is assembled exactly as
(auto - GLM_old) + (GLM_old - GLM_new): the first the saved paired mean and SE of the run,
the second paired over the rows of this rerun (GLM_old refitted: its mean must be the saved
one, checked). Its SE is bounded by the sum of the two SEs (Cauchy-Schwarz: conservative).
Where a full bench rerun saved auto's rows (BENCH_SAVE_ROWS=1), its exact paired SE is used.

``python -m bench.studies.glmref.table GLMS.jsonl,... SAVED.json,... [RERUN.json,...]``"""
import json
import math
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[2] / "results"


def _paired(a, b):
    d = np.asarray(a) - np.asarray(b)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def main(argv):
    glms = [json.loads(line) for p in argv[0].split(",") for line in open(p)]
    saved = {t["table"]: t for p in argv[1].split(",") for t in json.load(open(p))["tables"]}
    reruns = {}
    for p in (argv[2].split(",") if len(argv) > 2 and argv[2] else []):
        for t in json.load(open(p))["tables"]:
            for r in t.get("seeds", []):
                if "rows" in r:
                    reruns[(t["table"], r["seed"])] = r
    rows_out, per = [], {}
    for g in glms:
        name, seed = g["table"], g["seed"]
        rec = {"table": name, "seed": seed, "right": g["right"], "measure": g["measure"]}
        t = saved.get(name, {})
        s = next((r for r in t.get("seeds", []) if r["seed"] == seed), None)
        rr = g["rows"]
        if "glm_lbfgs" in rr:
            rec["glm_old"] = float(np.mean(rr["glm_lbfgs"]))
        if "glm" in rr:
            rec["glm_new"] = float(np.mean(rr["glm"]))
        if "const" in rr:
            rec["const"] = float(np.mean(rr["const"]))
        rec["glm_error"] = g.get("glm_error")
        rerun = reruns.get((name, seed))
        if rerun is not None and "auto" in rerun["rows"] and "glm" in rerun["rows"]:
            a = rerun["rows"]["auto"]
            rec["auto"] = float(np.mean(a))
            rec["d_new"], rec["se_new"] = _paired(a, rerun["rows"]["glm"])
            rec["d_old"], rec["se_old"] = _paired(a, rerun["rows"]["glm_lbfgs"])
            rec["how"] = "rerun (auto's rows saved): exact paired SE"
            rec["chosen"] = rerun.get("chosen")
            if s is not None and "auto" in s.get("nll", {}):  # the saved run's auto, same code?
                rec["check_auto"] = rec["auto"] - s["nll"]["auto"]
                if abs(rec["check_auto"]) > 1e-6:
                    rec["how"] += f" (auto moved {rec['check_auto']:+.4f} since the saved run)"
        elif s is not None and "auto" in s.get("nll", {}) and "glm" in s.get("diff", {}):
            rec["auto"] = s["nll"]["auto"]
            rec["d_old"], rec["se_old"] = s["diff"]["glm"]
            rec["glm_old_saved"] = s["nll"]["glm"]
            if "glm_new" in rec:
                shift, se_shift = _paired(rr["glm_lbfgs"], rr["glm"])
                rec["check_old_glm"] = rec["glm_old"] - s["nll"]["glm"]
                rec["d_new"] = rec["auto"] - rec["glm_new"]  # (exact, whatever the check)
                rec["se_new"] = rec["se_old"] + se_shift
                rec["how"] = "saved auto - old GLM + rerun old - new GLM; SE bound"
                chosen = s.get("chosen", "")
                if chosen == f"{g['right']} glm" and abs(rec["d_new"]) < 1e-9:
                    rec["se_new"] = 0.0  # auto's choice is this very GLM: the same rows
                    rec["how"] = "auto chose this GLM (the same model: difference 0)"
                elif abs(rec["check_old_glm"]) > 1e-6:  # the code moved since the saved run
                    rec.pop("d_new"), rec.pop("se_new")
                    rec["how"] = (f"old GLM not reproduced ({rec['check_old_glm']:+.4f}: code "
                                  "since the saved run): needs a rerun of auto")
            elif g.get("glm_error", "").startswith("censored") and "glm_old" in rec:
                rec["check_old_glm"] = rec["glm_old"] - s["nll"]["glm"]
                rec["d_new"], rec["se_new"] = rec["d_old"], rec["se_old"]
                rec["glm_new"] = rec["glm_old"]
                rec["how"] = ("censored measure: the reference GLM unchanged (Python API, "
                              f"censored; refitted {rec['check_old_glm']:+.4f} from the saved)")
            else:
                rec["how"] = "no new GLM"
        else:
            rec["how"] = ("auto not scored in the saved run: "
                          + (s or {}).get("auto_error", "no saved seed")[:120])
        rows_out.append(rec)
        per.setdefault(name, []).append(rec)
    tables = []
    order = list(saved)
    for name, recs in sorted(per.items(), key=lambda kv: order.index(kv[0])):
        ok = [r for r in recs if "d_new" in r]

        def pool(k):
            if not ok:
                return None, None
            return (float(np.mean([r[f"d_{k}"] for r in ok])),
                    float(math.sqrt(np.mean([r[f"se_{k}"] ** 2 for r in ok]) / len(ok))))
        d_old, se_old = pool("old")
        d_new, se_new = pool("new")
        mean = lambda k: float(np.mean([r[k] for r in ok])) if ok and all(k in r for r in ok) else None  # noqa: E731
        tables.append({"table": name, "right": recs[0]["right"], "seeds": [r["seed"] for r in ok],
                       "auto": mean("auto"), "glm_old": mean("glm_old"),
                       "glm_new": mean("glm_new"), "const": mean("const"),
                       "d_old": d_old, "se_old": se_old, "d_new": d_new, "se_new": se_new,
                       "notes": sorted({r["how"] for r in recs} | {r["glm_error"] for r in recs
                                                                    if r.get("glm_error")})})
    (RESULTS / "selection_s41_glmref.json").write_text(json.dumps(
        {"command": "python -m bench.studies.glmref.table " + " ".join(argv),
         "seeds": rows_out, "tables": tables}, indent=1))
    f = lambda v, fmt=".4f": "n/a" if v is None else format(v, fmt)  # noqa: E731

    def verdict(d, se):
        if d is None:
            return "n/a"
        if d <= 0:
            return "at or below"
        return "**above, beyond noise**" if d > 2 * se else "above, within noise"
    lines = ["| table | right | seeds | auto | GLM before (default alpha) | GLM now (probnn fit "
             "--hidden none) | auto - GLM before | auto - GLM now | verdict before | verdict "
             "now |", "|---|---|---|---|---|---|---|---|---|---|"]
    for t in tables:
        lines.append(
            f"| {t['table']} | {t['right']} | {','.join(map(str, t['seeds'])) or 'none'} | "
            f"{f(t['auto'])} | {f(t['glm_old'])} | {f(t['glm_new'])} | "
            f"{f(t['d_old'], '+.4f')} +- {f(t['se_old'])} | {f(t['d_new'], '+.4f')} +- "
            f"{f(t['se_new'])} | {verdict(t['d_old'], t['se_old'] or 0)} | "
            f"{verdict(t['d_new'], t['se_new'] or 0)} |")
    lines += ["", "Per table-seed notes:", ""] + [
        f"- {t['table']}: " + "; ".join(t["notes"]) for t in tables]
    (RESULTS / "selection_s41_glmref_table.md")  # (pasted into selection_s41_glmref.md).write_text(
        f"`{' '.join(['python -m bench.studies.glmref.table', *argv])}`\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
