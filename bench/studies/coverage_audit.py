"""Is the selection's 90% interval coverage systematically short? (issue 22's 85-95% bar)

``python -m bench.studies.coverage_audit``: from scenario 9's results already in
``bench/results`` (selection, selection_r, selection_holdout, selection_h3; selection_holdout2
is an earlier run of the h2 tables that selection_holdout supersedes), per table the chosen
model's (``auto``) mean coverage minus its expected value (0.90 for a continuous family, the
model's own mass of the interval for a count one), its SE over seeds and the binomial SE given
the held-out rows; pooled: the mean over tables with a t CI, the sign test, the sum of z^2;
groups by capacity, family kind and size; the slope on features per training row; and how many
tables a perfectly calibrated model would put outside 85-95% by binomial noise alone.
Results: ``coverage_audit.md``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

RESULTS = Path(__file__).resolve().parents[1] / "results"
FILES = ("selection", "selection_r", "selection_holdout", "selection_h3")
COUNT = {"poisson", "negative-binomial", "hurdle-negative-binomial", "hurdle-poisson",
         "zero-inflated-poisson", "zero-inflated-negative-binomial", "binomial"}


def tables(prefix: str = "auto") -> list[dict]:
    out = []
    for f in FILES:
        for t in json.loads((RESULTS / f"{f}.json").read_text())["tables"]:
            s = [r for r in t["seeds"] if r.get(f"{prefix}_coverage") is not None]
            if not s:
                continue
            out.append(dict(
                table=t["table"], rows=t["rows"], features=t["features"],
                c=np.array([r[f"{prefix}_coverage"] for r in s]),
                e=np.array([r[f"{prefix}_coverage_expected"] for r in s]),
                n=np.array([r["n_test"] for r in s]),
                chosen=[r.get("chosen", "glm") if prefix == "auto" else "x glm" for r in s]))
    return out


def per_table(ts: list[dict]) -> None:
    print("| table | held-out rows/seed | coverage | expected | diff | SE seeds | SE binomial | z | chosen |")
    print("|---|---|---|---|---|---|---|---|---|")
    for t in ts:
        d, k = t["c"] - t["e"], t["c"].size
        t["d"] = float(d.mean())
        t["se_bin"] = math.sqrt(float(np.sum(t["e"] * (1 - t["e"]) / t["n"]))) / k
        t["z"] = t["d"] / t["se_bin"]
        seed_se = d.std(ddof=1) / math.sqrt(k) if k > 1 else math.nan
        print(f"| {t['table']} | {t['n'].mean():.0f} | {t['c'].mean():.3f} | {t['e'].mean():.3f} "
              f"| {t['d']:+.3f} | {seed_se:.3f} | {t['se_bin']:.3f} | {t['z']:+.2f} "
              f"| {'; '.join(sorted(set(t['chosen'])))} |")


def pooled(ts: list[dict], label: str) -> None:
    d = np.array([t["d"] for t in ts])
    z = np.array([t["z"] for t in ts])
    se = d.std(ddof=1) / math.sqrt(d.size)
    q = stats.t.ppf(0.975, d.size - 1)
    below = int(np.sum(d < 0))
    print(f"\n{label}: {d.size} tables, mean diff {d.mean():+.4f}, 95% CI "
          f"[{d.mean() - q * se:+.4f}, {d.mean() + q * se:+.4f}], median {np.median(d):+.4f}; "
          f"{below} of {d.size} below (sign test p = {stats.binomtest(below, d.size).pvalue:.2f}); "
          f"mean z {z.mean():+.2f} (1/sqrt(n) = {1 / math.sqrt(z.size):.2f} if calibrated); "
          f"sum z^2 {np.sum(z**2):.0f} on {z.size} df (p = {stats.chi2.sf(np.sum(z**2), z.size):.1g}); "
          f"|z| > 1.96: {int(np.sum(z < -1.96))} below, {int(np.sum(z > 1.96))} above")


def groups(ts: list[dict]) -> None:
    seeds = []
    for t in ts:
        for i in range(t["c"].size):
            fam, cap = t["chosen"][i].rsplit(" ", 1)
            seeds.append(dict(table=t["table"], d=t["c"][i] - t["e"][i], cap=cap,
                              count=fam in COUNT, rows=t["rows"], fpn=t["features"] / (0.8 * t["rows"])))
    print("\n| group | seeds | tables | mean diff (table means) | 95% CI half-width |\n|---|---|---|---|---|")
    for name, sel in [("GLM chosen", lambda s: s["cap"] == "glm"),
                      ("network chosen", lambda s: s["cap"] == "network"),
                      ("constant chosen", lambda s: s["cap"] == "constant"),
                      ("count family", lambda s: s["count"]),
                      ("continuous family", lambda s: not s["count"]),
                      ("rows <= 250", lambda s: s["rows"] <= 250),
                      ("250 < rows <= 1000", lambda s: 250 < s["rows"] <= 1000),
                      ("rows > 1000", lambda s: s["rows"] > 1000)]:
        x = [s for s in seeds if sel(s)]
        names = sorted({s["table"] for s in x})
        td = np.array([np.mean([s["d"] for s in x if s["table"] == n]) for n in names])
        half = 1.96 * td.std(ddof=1) / math.sqrt(td.size) if td.size > 1 else math.nan
        print(f"| {name} | {len(x)} | {td.size} | {td.mean():+.4f} | {half:.4f} |")
    X = np.array([[1.0, s["fpn"]] for s in seeds])
    y = np.array([s["d"] for s in seeds])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    inv = np.linalg.inv(X.T @ X)
    meat = np.zeros((2, 2))
    for n in {s["table"] for s in seeds}:  # SEs clustered by table
        idx = [i for i, s in enumerate(seeds) if s["table"] == n]
        g = X[idx].T @ (y[idx] - X[idx] @ b)
        meat += np.outer(g, g)
    v = inv @ meat @ inv
    print(f"\ndiff = a + b * features / training rows: a = {b[0]:+.4f} (SE {math.sqrt(v[0, 0]):.4f}), "
          f"b = {b[1]:+.3f} (SE {math.sqrt(v[1, 1]):.3f}); a Normal linear model's plug-in "
          "interval: about -0.34 to -0.4 per unit of p / n")


def noise_misses(ts: list[dict], draws: int = 20000) -> None:
    """Tables outside 85-95%, and outside their own mass +-5 points (the band a calibrated
    model's coverage lies in: a count law's integer interval holds its ends' whole masses, so
    a calibrated count model covers its own mass, up to 0.96 here, not 0.90), each against
    what binomial noise alone puts outside (each seed's held-out rows Binomial(n, own mass))."""
    rng = np.random.default_rng(0)
    exp_out = exp_low = exp_own = 0.0
    for t in ts:
        sims = np.mean([rng.binomial(int(n), e, size=draws) / int(n) for n, e in zip(t["n"], t["e"])], axis=0)
        exp_out += np.mean((sims < 0.85 - 1e-12) | (sims > 0.95 + 1e-12))
        exp_low += np.mean(sims < 0.85 - 1e-12)
        exp_own += np.mean(np.abs(sims - t["e"].mean()) > 0.05 + 1e-12)
    c = np.array([t["c"].mean() for t in ts])
    e = np.array([t["e"].mean() for t in ts])
    print(f"\noutside 85-95%: {int(np.sum((c < .85) | (c > .95)))} observed, {exp_out:.1f} expected of a "
          f"calibrated model by binomial noise alone; below 85%: {int(np.sum(c < .85))} observed, "
          f"{exp_low:.1f} expected")
    own = np.abs(c - e) > 0.05 + 1e-12
    above = [f"{t['table']} {t['c'].mean():.3f} (own mass {t['e'].mean():.3f}, z {t['z']:+.2f})"
             for t, ci, o in zip(ts, c, own) if ci > .95 and not o]
    print(f"\noutside their own mass +-5 points (85-95% for a continuous law; bench.selection's "
          f"bar): {int(own.sum())} observed ({', '.join(t['table'] for t, o in zip(ts, own) if o)}), "
          f"{exp_own:.1f} expected by binomial noise alone; above 95% but within their own mass "
          f"+-5 points, a count law's calibrated atoms: {len(above)} ({'; '.join(above)})")


if __name__ == "__main__":
    ts = tables("auto")
    per_table(ts)
    pooled(ts, "auto (the chosen model)")
    groups(ts)
    noise_misses(ts)
    # coverage against the own mass, where it is not the nominal: tables whose every seed
    # chose a count family
    counts = [t for t in ts if all(c.rsplit(" ", 1)[0] in COUNT for c in t["chosen"])]
    pooled(counts, "count families chosen on every seed")
    g = tables("glm")
    import contextlib, io
    with contextlib.redirect_stdout(io.StringIO()):
        per_table(g)
    pooled(g, "the right family's GLM (reference)")
