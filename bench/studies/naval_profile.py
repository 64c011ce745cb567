"""Why MLPRegressor() stops above the truth on the naval-like task: one fit's validation curve
per setting (bench/studies/stopping_rule.md, "The nearly deterministic target").

``python -m bench.studies.naval_profile '{"label": {rule}, ...}' SEEDS [--sets naval,...]``:
a rule is as in ``bench.studies.stopping_rule`` (MLPRegressor parameters plus ``"_rule"``,
constants of ``probnn.defaults``), and ``"_warmup": E``: the trial warm-up the study measured
before the rule existed (the rate times ``min(1, (epoch + 1) / E)``; use it with
``"_rule": {"PLATEAU_WARMUP_STEPS": 0}``, as the profile's other rows, which were measured
before the warm-up was the default). Printed per fit (JSON, one line): the validation NLL (y's
units), the truth's, the epochs, each plateau's epoch with the best validation score (the
network's standardised units) reached before it, the curve at some epochs, and the fit's CPU
seconds.

``python -m bench.studies.naval_profile --dead [TASK]``: the share of each hidden layer's ReLU
units that are dead (0 on every training row) after 1, 5, 20 and 40 epochs at the defaults'
first rate, without and with the warm-up (seeds 0 and 1).
"""
from __future__ import annotations

import json
import sys
import warnings


def _one(job):
    label, rule, name, seed = job
    from bench.studies.stopping_rule import fit_on_task
    from probnn.network import stopping

    warnings.simplefilter("ignore")
    rule = dict(rule)
    warmup = rule.pop("_warmup", 0)  # epochs of a linear warm-up of the rate (a trial)
    if warmup:
        from probnn.network import _engine, schedules, training

        base = schedules.learning_rate_at

        def warmed(schedule, lr0, **kw):
            return base(schedule, lr0, **kw) * min(1.0, (kw.get("epoch", 0) + 1) / warmup)

        _engine.learning_rate_at = training.learning_rate_at = warmed
    events, update = [], stopping.PlateauRule.update
    count = [0]

    def logged(self, score, rate=float("inf"), **kw):
        count[0] += 1
        decision = update(self, score, rate, **kw)
        if decision in (stopping.DROP, stopping.STOP):
            events.append((count[0], decision, round(self.best, 3), rate))
        return decision

    stopping.PlateauRule.update = logged
    try:
        est, nll, cpu, truth = fit_on_task(name, seed, rule)
    finally:
        stopping.PlateauRule.update = update
    curve = list(est._trainer.validation_scores_)
    pick = sorted({0, 4, 9, 19, 49, 99, 199, 499, 999, 1999, len(curve) - 1}
                  & set(range(len(curve))))
    return dict(label=label, task=name, seed=seed, nll=round(nll, 3),
                truth=truth and round(truth, 3),
                epochs=int(est.n_iter_), cpu=round(cpu, 1), events=events,
                curve={i + 1: round(curve[i], 3) for i in pick},
                scale=float(getattr(est, "scale_factor_", float("nan")) or float("nan")))


def dead_units(name: str = "naval") -> None:
    """Print the dead share of each hidden layer after a few epochs, warm-up off and on."""
    import numpy as np

    from bench.studies.stopping_rule import task
    from probnn import defaults
    from probnn.estimators import MLPRegressor

    warnings.simplefilter("ignore")
    for seed in (0, 1):
        Xf, yf = task(name, seed)[:2]
        for steps in (0, 1000):
            defaults.PLATEAU_WARMUP_STEPS = steps
            for epochs in (1, 5, 20, 40):
                est = MLPRegressor(random_state=seed, max_iter=epochs, n_iter_no_change=1000)
                est.fit(Xf, yf)
                net = est._trainer.network
                W, b = net._views(net.params)
                a, dead = Xf.astype(net.dtype), []
                for i in range(len(W) - 1):
                    a = np.maximum(a @ W[i] + b[i], 0)
                    dead.append(round(float(np.mean((a > 0).sum(0) == 0)), 2))
                print(json.dumps(dict(task=name, seed=seed, warmup_steps=steps, epochs=epochs,
                                      validation=round(est._trainer.validation_scores_[-1], 3),
                                      dead=dead)), flush=True)


def main(argv=None) -> None:
    from multiprocessing import get_context

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--dead":
        dead_units(*argv[1:2])
        return
    sets = ("naval",)
    if "--sets" in argv:
        i = argv.index("--sets")
        sets, argv = tuple(argv[i + 1].split(",")), argv[:i] + argv[i + 2:]
    rules = json.loads(argv[0])
    seeds = [int(s) for s in argv[1].split(",")] if len(argv) > 1 else [0, 1]
    jobs = [(label, rule, name, s) for name in sets for s in seeds for label, rule in rules.items()]
    with get_context("spawn").Pool(2) as pool:
        for r in pool.imap_unordered(_one, jobs):
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
