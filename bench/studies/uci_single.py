"""Rules for one default ``MLPRegressor()`` on the UCI protocol, chosen on validation rows only
(bench/studies/uci_single.md).

``python -m bench.studies.uci_single SEEDS [--sets a,b] [--rules default,refit,...]``
(``--from FILE``: the tables again from an earlier run's printed JSON lines, paired with
the first of ``--rules`` where given). Each task is a
*fit* part and a *validation* part (``single_overconfidence.task``: for the UCI sets a fifth of
split k's training rows, k = seed; the synthetic stand-ins drawn afresh per seed); test rows are
never read. One process, one BLAS thread. Each seed fits ``MLPRegressor(random_state=seed)``
once on the fit part, then scores the rules that reuse it:

* ``default``: that network as it is;
* ``auto``: the same network with the posterior ``MLPRegressor()`` now fits itself
  (``predictive="auto"``, ``probnn.estimators._last_layer``; "default" is ``predictive="plug-in"``);
* ``laplace``: the last layer's Laplace posterior over it (``defaults.TABLE_LAPLACE``: full GGN,
  the evidence's prior precision; probnn fit --posterior laplace);
* ``refit``: a second network, the same seed, trained on *all* fit rows (early stopping's tenth
  too) for the epochs and rates early stopping found: the lineage of the weights the first fit
  kept (its rate drops go on from the best epoch: the epochs of each segment that lead to the
  kept weights), replayed without early stopping at those rates, warm-up included; its scales
  widened by the first fit's factor (the refit holds out no rows to fit one). The protocol of
  Hernandez-Lobato & Adams (2015) and the papers that follow it: settings found on a
  validation split, then one training on all training rows;
* ``refit+laplace``: the refit with the last layer's posterior;
* ``full-laplace``: every weight's Laplace posterior over that network (full GGN, the evidence's
  prior precision), its linearised predictive;
* ``snapshot-var``: ``auto``'s predictive, its variance increased by the variance of the
  location over ``SNAPSHOTS`` checkpoints of the same run (``snapshot_epochs``).

Printed per fit (JSON): rule, task, seed, validation NLL (y's units), worst row, RMSE, epochs,
fit CPU seconds (the refit's: both fits).
"""
from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np

from bench.studies import json_lines

SETS = ("concrete", "energy", "yacht", "boston", "wine", "kin8nm", "power", "naval", "smooth",
        "diabetes", "bike-day", "bike", "california")


def task(name: str, seed: int):
    """(X_fit, y_fit, X_val, y_val, the truth's validation NLL or None). The UCI sets and
    boston: ``single_overconfidence.task``; the synthetic stand-ins, Bike Sharing hourly and
    California: ``stopping_rule.task``; scikit-learn's diabetes (442 rows) and Bike Sharing
    daily (731 rows, count ``cnt``): a random fifth (seed 100 + seed) of the rows scored, x
    standardised on the other four fifths. ``test:SET``: split ``seed``'s training and *test*
    rows of the UCI protocol (``bench.scenario5.load_split``): a check after the choice."""
    from bench.studies import single_overconfidence, stopping_rule

    if name.startswith("test:"):  # a check on the protocol's test rows: never used to choose
        from bench.scenario5 import load_split

        return (*load_split(name[5:], seed), None)
    if name in ("concrete", "energy", "yacht", "boston"):
        return (*single_overconfidence.task(name, seed), None)
    if name not in ("diabetes", "bike-day"):
        return stopping_rule.task(name, seed)
    if name == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
    else:
        from bench._data import load_csv

        frame = load_csv("bike-sharing/day.csv")
        y = frame["cnt"].to_numpy(np.float64)
        X = frame.drop(columns=["instant", "dteday", "casual", "registered", "cnt"]).to_numpy(
            np.float64)
    p = np.random.default_rng(100 + seed).permutation(len(y))
    va, fit = p[: len(y) // 5], p[len(y) // 5:]
    mu, sd = X[fit].mean(0), X[fit].std(0)
    sd[sd == 0] = 1.0
    return (X[fit] - mu) / sd, y[fit], (X[va] - mu) / sd, y[va], None
RULES = ("default", "auto", "laplace", "refit", "refit+laplace", "refit-steps", "evidence-alpha",
         "full-laplace", "snapshot-var", "snapshot-kept", "snapshot-first-if-kept",
         "snapshot-gated", "snapshot-shrunk", "widen-t", "library")
# the snapshot rules of the second study (uci_single.md, "Checkpoints around the kept weights")
SNAPSHOT_RULES = ("snapshot-var", "snapshot-kept", "snapshot-first-if-kept", "snapshot-gated",
                  "snapshot-shrunk", "widen-t")
# snapshot-var: this many averaged-weight checkpoints over the first rate's plateau
SNAPSHOTS = 5


def snapshot_epochs(decisions: list[str], scores: list[float], k: int = SNAPSHOTS) -> list[int]:
    """The epochs (1-based) of the ``k`` checkpoints of rule ``snapshot-var``: evenly spaced
    over the first rate's plateau, from that rate's best epoch to the epoch of its first drop
    (the epochs the stopping rule itself found no better); without a drop, from the best epoch
    to the last."""
    end = decisions.index("drop") + 1 if "drop" in decisions else len(decisions)
    best = int(np.argmin(scores[:end])) + 1
    return sorted({int(round(e)) for e in np.linspace(best, end, k)})


Array = np.ndarray


def kept_epochs(decisions: list[str], scores: list[float], k: int = SNAPSHOTS) -> list[int]:
    """The epochs (1-based) of rule ``snapshot-kept``: evenly spaced over the plateau of the
    *kept* weights, from the best epoch of the whole run (the weights early stopping keeps) to
    the end of its rate's segment (the next drop, or the stop): checkpoints around the kept
    weights at the rate that found them."""
    best = int(np.argmin(scores)) + 1
    ends = [e for e, d in enumerate(decisions, start=1) if e >= best and d in ("drop", "stop")]
    end = ends[0] if ends else len(decisions)
    return sorted({int(round(e)) for e in np.linspace(best, end, k)})


def shrink_weight(resid: Array, base_var: Array, extra_var: Array) -> float:
    """Rule ``snapshot-shrunk``'s ``b`` in ``[0, 1]``: the Normal likelihood's maximiser on
    held-out rows of ``scale^2 = base_var + b * extra_var`` (residuals ``resid``)."""
    from scipy.optimize import minimize_scalar

    def nll(b: float) -> float:
        v = base_var + b * extra_var
        return float(np.sum(0.5 * np.log(v) + 0.5 * resid**2 / v))

    r = minimize_scalar(nll, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-4})
    b = float(r.x)
    # the bounded search never evaluates the ends themselves: keep an end that is better
    return min((0.0, b, 1.0), key=nll)



def lineage(scores: list[float], decisions: list[str], start: float) -> list[int]:
    """The rate index (drops so far) of each epoch on the path to the weights early stopping
    kept, from the first fit's validation scores and its rule's decisions (one per epoch).

    A drop goes on from the best epoch so far (``PLATEAU_FROM_BEST``), so the kept weights
    descend from the epochs of earlier segments up to their best, not from the whole run.
    """
    best, best_epoch = start, 0
    parent, rate_of = {}, {}
    prev, drops = 0, 0
    for e, (s, d) in enumerate(zip(scores, decisions), start=1):
        parent[e], rate_of[e] = prev, drops
        if s < best:
            best, best_epoch = s, e
        prev = e
        if d == "drop":
            drops += 1
            prev = best_epoch
    path, e = [], best_epoch
    while e:
        path.append(rate_of[e])
        e = parent[e]
    return path[::-1]


def _replaying(path: list[int]):
    """A PlateauRule.update that ignores the scores and replays ``path``'s rate drops, then
    stops after its last epoch."""
    state = {"epoch": 0}

    def update(self, score, rate=float("inf"), *, warming=False):
        e = state["epoch"] = state["epoch"] + 1
        if e >= len(path):
            return "stop"
        step = path[e] - path[e - 1]
        if step > 0:
            self.divisor = (1.0 / self.factor) ** step
            return "drop"
        return "wait"

    return update


def fits(name: str, seed: int, rules) -> list[dict]:
    from scipy import stats
    from threadpoolctl import threadpool_limits

    from probnn import defaults
    from probnn.estimators import MLPRegressor
    from probnn.laplace import LaplaceApproximation
    from probnn.network import stopping

    Xf, yf, Xv, yv, truth = task(name, seed)
    log: list[str] = []
    original = stopping.PlateauRule.update

    def recording(self, score, rate=float("inf"), *, warming=False):
        d = original(self, score, rate, warming=warming)
        log.append(d)
        return d

    out = []
    from probnn.network.training import Trainer

    snaps: list = []  # the averaged weights at the end of every epoch of the fit (snapshot-var)
    original_run = Trainer.run

    def recording_run(self, chunks, validation=None, on_epoch=None):
        def keep(epoch, loss, score):
            snaps.append(self.network.copy_params())
            return on_epoch(epoch, loss, score) if on_epoch is not None else False

        return original_run(self, chunks, validation, keep)

    def score(label, model, cpu, epochs):
        d = model.predict_dist(Xv)
        loc, scale = np.asarray(d.loc, float), np.asarray(d.scale, float)
        df = getattr(d, "df", None)
        rows = (-stats.norm.logpdf(yv, loc, scale) if df is None
                else -stats.t.logpdf(yv, df, loc, scale))
        # diagnostic, not a rule: the factor of the scales best on the validation fifth
        oracle = float(np.sqrt(np.mean(((yv - loc) / scale) ** 2)))
        out.append(dict(label=label, task=name, seed=seed, nll=float(rows.mean()), oracle=oracle,
                        worst=float(rows.max()), rmse=float(np.sqrt(np.mean((loc - yv) ** 2))),
                        epochs=int(epochs), cpu=cpu, truth=truth))

    with threadpool_limits(1):
        stopping.PlateauRule.update = recording
        Trainer.run = recording_run if set(SNAPSHOT_RULES) & set(rules) else original_run
        try:
            c0 = time.process_time()
            # "default": the network's own distribution (MLPRegressor's default before the
            # last layer's posterior became it, predictive="plug-in"); "auto": today's default
            est = MLPRegressor(random_state=seed, predictive="plug-in").fit(Xf, yf)
            cpu = time.process_time() - c0
        finally:
            stopping.PlateauRule.update = original
            Trainer.run = original_run
        if "default" in rules:
            score("default", est, cpu, est.n_iter_)
        if "auto" in rules:  # the same network with the posterior MLPRegressor() fits
            import copy

            from probnn.estimators import _last_layer

            c0 = time.process_time()
            auto = copy.deepcopy(est)
            auto.predictive = "auto"
            # the Normal last-layer predictive (the default before widen-t became it)
            auto.scale_factor_rows_ = None
            _last_layer.fit_posterior(auto, Xf.astype(auto._np_dtype()), (yf - est.target_shift_)
                                      / est.target_scale_, np.ones(len(yf)), True)
            score("auto", auto, cpu + time.process_time() - c0, est.n_iter_)
        if "library" in rules:  # MLPRegressor()'s predictive as this library now fits it
            import copy

            from probnn.estimators import _last_layer

            lib = copy.deepcopy(est)
            lib.predictive = "auto"
            _last_layer.fit_posterior(lib, Xf.astype(lib._np_dtype()), (yf - est.target_shift_)
                                      / est.target_scale_, np.ones(len(yf)), True)
            score("library", lib, cpu, est.n_iter_)
        if "full-laplace" in rules:
            # every weight's Laplace posterior, full GGN, the evidence's prior precision, its
            # linearised predictive over the plug-in network (Immer et al. 2021's GLM predictive)
            c0 = time.process_time()
            lap = LaplaceApproximation(est, prefit=True, subset="all", hessian="ggn",
                                       prior_precision="evidence").fit(Xf, yf)
            score("full-laplace", lap, cpu + time.process_time() - c0, est.n_iter_)
            out[-1]["alpha"] = float(lap.prior_precision_)
        if set(SNAPSHOT_RULES) & set(rules):
            # today's predictive (the last layer's posterior) widened by the variance of the
            # location over SNAPSHOTS checkpoints of the same run (averaged weights): of the
            # first rate's plateau (snapshot-var; -first-if-kept: only when the kept weights are
            # that plateau's best; -gated: only where it lowers early stopping's held-out rows'
            # NLL; -shrunk: times b in [0, 1] fitted on those rows), or of the kept weights'
            # own plateau (snapshot-kept)
            import copy

            from probnn.distributions import Normal
            from probnn.estimators import _last_layer

            c0 = time.process_time()
            auto = copy.deepcopy(est)
            auto.predictive = "auto"
            # the Normal last-layer predictive (the default before widen-t became it)
            auto.scale_factor_rows_ = None
            _last_layer.fit_posterior(auto, Xf.astype(auto._np_dtype()), (yf - est.target_shift_)
                                      / est.target_scale_, np.ones(len(yf)), True)
            assert len(snaps) == len(est.validation_scores_) == len(log), (
                len(snaps), len(est.validation_scores_), len(log))
            held = est._trainer.held_out_index_
            Xh, yh = Xf[held], yf[held]
            Xboth = np.concatenate([Xv, Xh])
            kept = est._network.copy_params()

            def spread(epochs):
                locs = []
                for e in epochs:
                    est._network.set_params(snaps[e - 1])
                    locs.append(np.asarray(est.predict_dist(Xboth).loc, np.float64))
                est._network.set_params(kept)
                v = np.var(np.array(locs), axis=0, ddof=1) if len(locs) > 1 else np.zeros(
                    len(Xboth))
                return v[: len(Xv)], v[len(Xv):]

            d = auto.predict_dist(Xboth)
            loc, s2 = np.asarray(d.loc, np.float64), np.asarray(d.scale, np.float64) ** 2
            loc_v, s2_v, loc_h, s2_h = loc[: len(Xv)], s2[: len(Xv)], loc[len(Xv):], s2[len(Xv):]
            first = snapshot_epochs(log, list(est.validation_scores_))
            first_v, first_h = spread(first)
            scores_ = list(est.validation_scores_)
            best_epoch = int(np.argmin(scores_)) + 1
            first_end = log.index("drop") + 1 if "drop" in log else len(log)

            class Widened:
                def __init__(self, extra):
                    self.extra = extra

                def predict_dist(self, X):
                    return Normal(loc_v, np.sqrt(s2_v + self.extra))

            def held_nll(extra_h):
                v = s2_h + extra_h
                return float(np.mean(0.5 * np.log(2 * np.pi * v) + 0.5 * (yh - loc_h) ** 2 / v))

            t_rule = time.process_time() - c0
            for rule in [r for r in SNAPSHOT_RULES if r in rules]:
                if rule == "widen-t":
                    # the widening factor integrated out, not plugged in: under its posterior
                    # (probnn.estimators._widening.posterior_factor) a new row's predictive is
                    # a Student-t with n = held-out rows degrees of freedom; its variance kept
                    # equal to today's (scale^2 (n - 2) / n), only the tails heavier
                    n = len(held)
                    from types import SimpleNamespace

                    t = SimpleNamespace(loc=loc_v, scale=np.sqrt(s2_v * (n - 2) / n), df=n)

                    class HeavyTailed:
                        def predict_dist(self, X):
                            return t

                    score(rule, HeavyTailed(), cpu + t_rule, est.n_iter_)
                    out[-1].update(held_rows=n)
                    continue
                extra, info = first_v, {"snapshots": first}
                if rule == "snapshot-kept":
                    epochs = kept_epochs(log, scores_)
                    extra, _ = spread(epochs)
                    info = {"snapshots": epochs}
                elif rule == "snapshot-first-if-kept":
                    on = best_epoch <= first_end
                    extra, info["on"] = (first_v if on else 0.0 * first_v), bool(on)
                elif rule == "snapshot-gated":
                    on = held_nll(first_h) < held_nll(0.0 * first_h)
                    extra, info["on"] = (first_v if on else 0.0 * first_v), bool(on)
                elif rule == "snapshot-shrunk":
                    b = shrink_weight(yh - loc_h, s2_h, first_h)
                    extra, info["b"] = b * first_v, b
                score(rule, Widened(extra), cpu + t_rule, est.n_iter_)
                out[-1].update(info, best_epoch=best_epoch, first_end=first_end,
                               held_rows=len(held))
        if "laplace" in rules:
            c0 = time.process_time()
            lap = LaplaceApproximation(est, prefit=True, **defaults.TABLE_LAPLACE).fit(Xf, yf)
            score("laplace", lap, cpu + time.process_time() - c0, est.n_iter_)
        for label in [r for r in rules if r.startswith("alpha=")]:
            # a fixed prior, for comparison: alpha=1 is a unit Gaussian on every weight in the
            # network's standardised units (probnn.evidence's START)
            c0 = time.process_time()
            fixed = MLPRegressor(random_state=seed, alpha=float(label[6:])).fit(Xf, yf)
            score(label, fixed, time.process_time() - c0, fixed.n_iter_)
        if "evidence-alpha" in rules:
            # weight decay by the evidence: the prior precision that maximises the Laplace
            # evidence of every weight (full GGN) at the first fit, then a second fit with it
            c0 = time.process_time()
            lam = LaplaceApproximation(est, prefit=True, subset="all", hessian="ggn",
                                       prior_precision="evidence").fit(Xf, yf).prior_precision_
            ev = MLPRegressor(random_state=seed, alpha=float(lam)).fit(Xf, yf)
            score("evidence-alpha", ev, cpu + time.process_time() - c0, ev.n_iter_)
            out[-1]["alpha"] = float(lam)
        if not {"refit", "refit+laplace", "refit-steps"} & set(rules):
            return out

        def refit_along(path: list[int]):
            """A network on all fit rows, the same seed, that replays ``path``'s rates without
            early stopping; its scales widened by the first fit's factor."""
            stopping.PlateauRule.update = _replaying(path)
            try:
                refit = MLPRegressor(random_state=seed, early_stopping=False).fit(Xf, yf)
            finally:
                stopping.PlateauRule.update = original
            refit.scale_factor_ = est.scale_factor_
            return refit

        # the starting weights' score is not kept: taken as beaten by the first better epoch
        path = lineage(list(est.validation_scores_), log, np.inf)
        c0 = time.process_time()
        if path:
            ref = refit_along(path)
        else:  # the first fit kept its starting weights
            ref = est
        cpu2 = cpu + time.process_time() - c0
        if "refit" in rules:
            score("refit", ref, cpu2, len(path))
        if "refit+laplace" in rules:
            c0 = time.process_time()
            lap = LaplaceApproximation(ref, prefit=True, **defaults.TABLE_LAPLACE).fit(Xf, yf)
            score("refit+laplace", lap, cpu2 + time.process_time() - c0, len(path))
        if "refit-steps" in rules and path:
            # the same number of optimiser steps: the epochs scaled by the rows' ratio
            held = est._trainer.held_out_index_
            m = round(len(path) * (len(yf) - len(held)) / len(yf))
            steps_path = [path[int(i * len(path) / m)] for i in range(m)]
            c0 = time.process_time()
            ref2 = refit_along(steps_path)
            score("refit-steps", ref2, cpu + time.process_time() - c0, m)
    return out


def paired(out, sets, labels) -> None:
    """Each rule against the first, paired over seeds: mean validation NLL, the difference
    and its standard error, the truth's NLL where known, RMSE, the worst row, CPU ratio."""
    from bench.studies.stopping_rule import paired_pairs

    base = labels[0]
    print(f"| task | rule | seeds | {base} | rule | rule - {base} (SE) | truth | RMSE {base} / "
          f"rule | worst row {base} / rule | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, label, ref, rs, seeds, diff, se, ratio in paired_pairs(out, sets, labels):
        truths = [ref[s]["truth"] for s in seeds if ref[s].get("truth") is not None]
        mean = lambda d, k: np.mean([d[s][k] for s in seeds])  # noqa: E731
        print(f"| {name} | {label} | {len(seeds)} | {mean(ref, 'nll'):.3f} | "
              f"{mean(rs, 'nll'):.3f} | {diff:+.3f} ({se:.3f}) | "
              f"{f'{np.mean(truths):.3f}' if truths else ''} | "
              f"{mean(ref, 'rmse'):.4g} / {mean(rs, 'rmse'):.4g} | "
              f"{mean(ref, 'worst'):.1f} / {mean(rs, 'worst'):.1f} | {ratio:.2f} |")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    sets, rules = SETS, RULES
    for flag in ("--sets", "--rules"):
        if flag in argv:
            i = argv.index(flag)
            value, argv = tuple(argv[i + 1].split(",")), argv[:i] + argv[i + 2:]
            sets, rules = (value, rules) if flag == "--sets" else (sets, value)
    if argv[0] == "--from":
        out = json_lines(argv[1])
        # --rules orders them (the first is the base of the paired differences)
        labels = list(rules) if rules is not RULES else list(dict.fromkeys(r["label"] for r in out))
        paired(out, list(dict.fromkeys(r["task"] for r in out)), labels)
        return
    seeds = [int(s) for s in argv[0].split(",")] if "," in argv[0] else range(int(argv[0]))
    warnings.simplefilter("ignore")
    out = []
    for name in sets:
        for s in seeds:
            for r in fits(name, s, rules):
                out.append(r)
                print(json.dumps(r), flush=True)
    paired(out, sets, list(rules))


if __name__ == "__main__":
    main()
