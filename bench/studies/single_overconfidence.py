"""Why one ``MLPRegressor()`` is overconfident on a few UCI test rows, and whether beta-NLL or
a better-fitted widening factor fixes it, on validation rows only
(bench/studies/single_overconfidence.md).

``python -m bench.studies.single_overconfidence '{"label": {rule}, ...}' SEEDS [--sets a,b]``
(``--from FILE``: the tables again from an earlier run's printed JSON lines). Each rule is
``MLPRegressor(random_state=seed, **params)`` fitted on a task's *fit* part and scored on its
*validation* part (``stopping_rule.task``; boston as concrete: a fifth of split k's training
rows, k = seed); test rows are never read. One process, one BLAS thread. A rule's entries:

* MLPRegressor parameters;
* ``"_beta": b`` (with ``"_normalise": true / false``): train with beta-NLL (Seitzer et al.
  2022, "On the pitfalls of heteroscedastic uncertainty estimation with probabilistic neural
  networks"): each row's gradient multiplied by ``stop_gradient(sigma_i ** (2 b))`` (sigma in
  the network's standardised units); normalised: divided by the minibatch's mean of those
  weights, so that only the rows' relative shares change, not the data term's weight against
  the prior or Adam's step sizes. The loss reported and the validation score stay the NLL.

Printed per fit (JSON): the validation NLL, its worst row, RMSE, epochs, fit CPU seconds, the
widening factor the fit chose (``scale_factor_``, on early stopping's tenth), and post-hoc
factors on the same fit: ``oracle`` (the maximum-likelihood factor on the validation fifth
itself: the most one factor could gain, not a rule) and the validation NLL under it.

``--rows FILE`` keeps each fit's unwidened predictions on early stopping's tenth and on the
validation fifth (pickle); ``--rules FILE`` then scores widening rules fitted on the tenth
(``WIDENING_RULES``) on the fifth, paired with the maximum-likelihood factor of at least 1
(the rule before this study). ``--where SETS SEEDS``: for the default network, whether the
validation rows with ``|z| > 4`` lie far from the fit rows (nearest-neighbour distance in
standardised x, over the fit rows' own) or have a large leverage in the last hidden layer.
"""
from __future__ import annotations

import json
import math
import sys
import time
import warnings

import numpy as np

from probnn.families import register_family
from probnn.families.normal import NormalFamily

from bench.studies import json_lines

SETS = ("concrete", "energy", "yacht", "boston", "wine", "kin8nm", "power", "naval")
_BETA_FAMILIES: dict = {}
ROWS: list | None = None  # --rows FILE: each fit's rows for the widening rules (factor_rules)


def beta_family(beta: float, normalise: bool) -> str:
    """The name of a registered Normal family trained with beta-NLL's row weights."""
    name = f"normal-beta{beta:g}{'n' if normalise else ''}"
    if name in _BETA_FAMILIES:
        return name

    class BetaNormal(NormalFamily):
        def _loss_gradient(self, raw, y, need_gradient):
            loss, grad = NormalFamily._loss_gradient(self, raw, y, need_gradient)
            if need_gradient:
                # sigma ** (2 beta) = exp(2 beta log sigma), log sigma stable for any z2
                from probnn.families.base import softplus_scale

                _, log_scale, _ = softplus_scale(raw[:, 1], False)
                w = np.exp((2.0 * beta) * log_scale)
                if normalise:
                    w /= w.mean()
                grad *= w[:, None].astype(grad.dtype, copy=False)
            return loss, grad

    BetaNormal.name = name
    BetaNormal.__name__ = f"BetaNormal_{len(_BETA_FAMILIES)}"
    register_family(BetaNormal)
    _BETA_FAMILIES[name] = BetaNormal
    return name


def task(name: str, seed: int):
    """(X_fit, y_fit, X_val, y_val) of a task (boston as the three UCI sets)."""
    if name == "boston":
        from bench.studies.scenario5_search import validation_split

        return validation_split(name, seed)
    from bench.studies.stopping_rule import task as stopping_task

    return stopping_task(name, seed)[:4]


def fit_one(label: str, rule: dict, name: str, seed: int) -> dict:
    from scipy import stats
    from threadpoolctl import threadpool_limits

    from probnn.estimators import MLPRegressor
    from probnn.likelihood import fit_factor

    rule = dict(rule)
    beta, normalise = rule.pop("_beta", None), bool(rule.pop("_normalise", True))
    if beta is not None:
        rule["family"] = beta_family(float(beta), normalise)
    Xf, yf, Xv, yv = task(name, seed)
    with threadpool_limits(1):
        est = MLPRegressor(random_state=seed, **rule)
        c0 = time.process_time()
        est.fit(Xf, yf)
        cpu = time.process_time() - c0
        dist = est.predict_dist(Xv)
        held = est._trainer.held_out_index_
        tenth = est.predict_dist(Xf[held]) if held is not None else None
    loc, scale = np.asarray(dist.loc, float), np.asarray(dist.scale, float)
    if ROWS is not None and tenth is not None:
        # the unwidened predictions on early stopping's tenth and on the validation fifth
        f = est.scale_factor_
        ROWS.append(dict(label=label, task=name, seed=seed,
                         tenth=np.column_stack([yf[held], tenth.loc, tenth.scale / f]),
                         fifth=np.column_stack([yv, loc, scale / f])))
    rows = -stats.norm.logpdf(yv, loc, scale)
    z = (yv - loc) / scale
    # the factor of the widened scales that is best on the validation fifth itself
    oracle = fit_factor(lambda f: -stats.norm.logpdf(yv, loc, scale * f), np.ones(len(yv)))
    nll_oracle = float(np.mean(-stats.norm.logpdf(yv, loc, scale * oracle)))
    return dict(label=label, task=name, seed=seed, nll=float(rows.mean()),
                worst=float(rows.max()), zmax=float(np.abs(z).max()),
                rmse=float(np.sqrt(np.mean((loc - yv) ** 2))), epochs=int(est.n_iter_), cpu=cpu,
                factor=float(est.scale_factor_), oracle=float(oracle), nll_oracle=nll_oracle)


def paired(out, sets, labels) -> None:
    """Each rule against the first, paired over seeds (mean difference and its SE)."""
    from bench.studies.stopping_rule import paired_pairs

    base = labels[0]
    print(f"| task | rule | {base} | rule | rule - {base} (SE) | worst row {base} / rule | "
          "RMSE | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, label, ref, rs, seeds, diff, se, ratio in paired_pairs(out, sets, labels):
        print(f"| {name} | {label} | {np.mean([ref[s]['nll'] for s in seeds]):.3f} | "
              f"{np.mean([rs[s]['nll'] for s in seeds]):.3f} | {diff:+.3f} ({se:.3f}) | "
              f"{np.mean([ref[s]['worst'] for s in seeds]):.1f} / "
              f"{np.mean([rs[s]['worst'] for s in seeds]):.1f} | "
              f"{np.mean([ref[s]['rmse'] for s in seeds]):.3g} / "
              f"{np.mean([rs[s]['rmse'] for s in seeds]):.3g} | {ratio:.2f} |")


def factors(out, sets, labels) -> None:
    """The widening factor each fit chose against the validation fifth's own best factor."""
    print("| task | rule | factor chosen (median) | oracle factor (median) | NLL | NLL at oracle |")
    print("|---|---|---|---|---|---|")
    for name in sets:
        for label in labels:
            rs = [r for r in out if r["task"] == name and r["label"] == label]
            if rs:
                print(f"| {name} | {label} | {np.median([r['factor'] for r in rs]):.3f} | "
                      f"{np.median([r['oracle'] for r in rs]):.3f} | "
                      f"{np.mean([r['nll'] for r in rs]):.3f} | "
                      f"{np.mean([r['nll_oracle'] for r in rs]):.3f} |")


# ------------------------------------------------------------------ widening rules, offline
def _nll(y, loc, sd):
    from scipy import stats

    return -stats.norm.logpdf(y, loc, sd)


def _ml2(t):
    """The maximum-likelihood square factor of a Normal on rows ``t = (y, loc, sd)``."""
    y, m, s = t.T
    return float(np.mean(((y - m) / s) ** 2))


def _additive(t, free_factor: bool, floor: bool = False):
    """``sd' = sqrt((c sd)^2 + tau^2)``, (c, tau >= 0) by maximum likelihood on ``t``: the
    held-out error's part the variance head never sees (the mean's own error), taken as
    the same on every row."""
    from scipy import optimize

    y, m, s = t.T
    ref = float(np.median(s))

    def f(p):
        c = math.exp(p[0]) if free_factor else 1.0
        return float(np.mean(_nll(y, m, np.sqrt((c * s) ** 2 + (ref * math.exp(p[1])) ** 2))))

    best = min((optimize.minimize(f, [0.0, u], method="L-BFGS-B",
                                  bounds=[(-3, 3) if free_factor else (0, 0), (-30, 5)])
                for u in (-6, -3, -1, 0)), key=lambda r: r.fun)
    c, tau = (math.exp(best.x[0]) if free_factor else 1.0), ref * math.exp(best.x[1])
    if floor and c < 1:
        return _additive(t, False)
    return lambda sd: np.sqrt((c * sd) ** 2 + tau**2)


def _t_variance(t):
    """A Student-t fitted to the tenth's z; the factor its variance (df > 2), at least 1."""
    from scipy import stats

    y, m, s = t.T
    df, _, sc = stats.t.fit((y - m) / s, floc=0)
    df = max(df, 2.05)
    c = max(1.0, math.sqrt(sc**2 * df / (df - 2)))
    return lambda sd: c * sd


WIDENING_RULES = {
    "ml, at least 1 (before)": lambda t: (lambda sd, c=max(1.0, math.sqrt(_ml2(t))): c * sd),
    "ml (no floor)": lambda t: (lambda sd, c=math.sqrt(_ml2(t)): c * sd),
    "t-variance": _t_variance,
    "posterior mean, n - 2": lambda t: (
        lambda sd, c=max(1.0, math.sqrt(_ml2(t) * len(t) / (len(t) - 2))): c * sd),
    "c sd (+) tau": lambda t: _additive(t, True),
    "sd (+) tau": lambda t: _additive(t, False),
    "c >= 1, (+) tau": lambda t: _additive(t, True, floor=True),
}


def rules_table(path: str) -> None:
    import pickle

    with open(path, "rb") as fh:
        rows = [r for r in pickle.load(fh) if r["label"] == "default"]
    names = list(WIDENING_RULES)
    print("| task | fits | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for task_name in dict.fromkeys(r["task"] for r in rows):
        rs = [r for r in rows if r["task"] == task_name]
        res = {k: np.array([np.mean(_nll(*r["fifth"].T[:2], rule(r["tenth"])(r["fifth"][:, 2])))
                            for r in rs]) for k, rule in WIDENING_RULES.items()}
        base = res[names[0]]
        cells = [f"{base.mean():.3f}"] + [
            f"{(res[k] - base).mean():+.3f} ({(res[k] - base).std(ddof=1) / math.sqrt(len(rs)):.3f})"
            for k in names[1:]]
        print(f"| {task_name} | {len(rs)} | " + " | ".join(cells) + " |")


# ------------------------------------------------------------------ where the large |z| lie
def where(sets, seeds: int) -> None:
    from scipy import stats
    from threadpoolctl import threadpool_limits

    from probnn.estimators import MLPRegressor

    for name in sets:
        zs, dist, lev = [], [], []
        for s in range(seeds):
            Xf, yf, Xv, yv = task(name, s)
            with threadpool_limits(1):
                est = MLPRegressor(random_state=s).fit(Xf, yf)
            d = est.predict_dist(Xv)
            zs += list(np.abs((yv - d.loc) / d.scale))
            near = np.sqrt(((Xv[:, None, :] - Xf[None]) ** 2).sum(-1)).min(1)
            own = np.sqrt(((Xf[:, None, :] - Xf[None]) ** 2).sum(-1))
            np.fill_diagonal(own, np.inf)
            dist += list(near / np.median(own.min(1)))
            h, hv = Xf, Xv  # the last hidden layer's features, with a constant
            for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
                h, hv = np.maximum(h @ W + b, 0), np.maximum(hv @ W + b, 0)
            h, hv = np.c_[h, np.ones(len(h))], np.c_[hv, np.ones(len(hv))]
            inv = np.linalg.inv(h.T @ h + 1e-3 * np.eye(h.shape[1]))
            lev += list(np.einsum("ij,ij->i", hv @ inv, hv) * len(h))
        z, dist, lev = map(np.array, (zs, dist, lev))
        big = z > 4
        print(f"| {name} | {len(z)} | {big.sum()} | {stats.spearmanr(z, dist)[0]:.2f} | "
              f"{np.median(dist):.2f} / {np.median(dist[big]):.2f} | "
              f"{stats.spearmanr(z, lev)[0]:.2f} | {np.median(lev):.1f} / {np.median(lev[big]):.1f} |")


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    sets = SETS
    if "--sets" in argv:
        i = argv.index("--sets")
        sets, argv = tuple(argv[i + 1].split(",")), argv[:i] + argv[i + 2:]
    if argv[0] == "--rules":
        rules_table(argv[1])
        return
    if argv[0] == "--where":
        print("| task | rows | rows with abs(z) > 4 | Spearman (abs(z), distance) | median distance "
              "all / abs(z) > 4 | Spearman (abs(z), leverage) | median leverage all / abs(z) > 4 |")
        print("|---|---|---|---|---|---|---|")
        where(argv[1].split(","), int(argv[2]))
        return
    if argv[0] == "--from":
        out = json_lines(argv[1])
        labels = list(dict.fromkeys(r["label"] for r in out))
        present = [t for t in SETS if any(r["task"] == t for r in out)]
        paired(out, present, labels)
        factors(out, present, labels)
        return
    global ROWS
    rows_file = None
    if "--rows" in argv:
        i = argv.index("--rows")
        rows_file, argv, ROWS = argv[i + 1], argv[:i] + argv[i + 2:], []
    rules, seeds = json.loads(argv[0]), int(argv[1]) if len(argv) > 1 else 2
    warnings.simplefilter("ignore")
    out = []
    for name in sets:
        for s in range(seeds):
            for label, rule in rules.items():  # the rules interleaved: their CPU times paired
                r = fit_one(label, rule, name, s)
                out.append(r)
                print(json.dumps(r), flush=True)
    if rows_file:
        import pickle

        with open(rows_file, "wb") as fh:
            pickle.dump(ROWS, fh)
    paired(out, sets, list(rules))
    factors(out, sets, list(rules))


if __name__ == "__main__":
    main()
