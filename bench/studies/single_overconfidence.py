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
    base = labels[0]
    print(f"| task | rule | {base} | rule | rule - {base} (SE) | worst row {base} / rule | "
          "RMSE | CPU ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name in sets:
        ref = {r["seed"]: r for r in out if r["task"] == name and r["label"] == base}
        for label in labels[1:]:
            rs = {r["seed"]: r for r in out if r["task"] == name and r["label"] == label}
            seeds = sorted(set(ref) & set(rs))
            if not seeds:
                continue
            d = np.array([rs[s]["nll"] - ref[s]["nll"] for s in seeds])
            se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
            ratio = np.median([rs[s]["cpu"] / ref[s]["cpu"] for s in seeds])
            print(f"| {name} | {label} | {np.mean([ref[s]['nll'] for s in seeds]):.3f} | "
                  f"{np.mean([rs[s]['nll'] for s in seeds]):.3f} | {d.mean():+.3f} ({se:.3f}) | "
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


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    sets = SETS
    if "--sets" in argv:
        i = argv.index("--sets")
        sets, argv = tuple(argv[i + 1].split(",")), argv[:i] + argv[i + 2:]
    if argv[0] == "--from":
        out = [json.loads(line) for line in open(argv[1]) if line.startswith("{")]
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
