"""The selection's candidates scored on its folds (:mod:`probnn.selection`): each candidate's
per-fold held-out NLLs, seconds and failures (``_Scores``), one stage of fits through
:func:`probnn.compare_families` (``_run``), ``TabularModel.fit``'s arguments of each capacity
(``_capacity_params``) and the candidates' table (``_summary``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from probnn.compare import compare_families
from probnn.exceptions import DataError, DataWarning, SeparationWarning


class _Scores:
    """Each candidate's per-fold held-out NLLs, seconds and failures."""

    def __init__(self, folds):
        self.folds = folds
        self.rows: dict[tuple[str, str], dict[int, np.ndarray]] = {}
        self.seconds: dict[tuple[str, str], float] = {}
        self.status: dict[tuple[str, str], str] = {}
        self.models: dict[tuple[str, str], object] = {}
        # each fold's model of a negative-binomial count law (select_model's dispersion=True)
        self.fold_models: dict[tuple[str, str], dict[int, object]] | None = None
        # scored, with a word on how (a screened candidate's fit on fewer training rows)
        self.notes: dict[tuple[str, str], str] = {}

    def complete(self) -> dict[tuple[str, str], np.ndarray]:
        """The candidates scored on every fold, their rows one fold after the other."""
        k = len(self.folds)
        return {c: np.concatenate([r[i] for i in range(k)]) for c, r in self.rows.items()
                if len(r) == k and c not in self.status}  # fmt: skip

    def fold(self, i: int) -> dict[tuple[str, str], np.ndarray]:
        return {c: r[i] for c, r in self.rows.items() if i in r and c not in self.status}


def _run(X, y, scores: _Scores, families: Sequence[str], capacity: str, fold_ids: Iterable[int],
         params: dict, common: dict) -> None:  # fmt: skip
    """Fit and score ``families`` at ``capacity`` on the folds ``fold_ids`` (through
    ``compare_families``: one split, each family's fit, the scoring)."""
    from probnn.families import FAMILIES
    from probnn.families._affine import has_dispersion
    from probnn.tables.columns import unsaid

    for i in fold_ids:
        todo = [f for f in families if (f, capacity) not in scores.status]
        if not todo:
            return
        try:
            with warnings.catch_warnings():
                # a candidate's warnings (a GLM's L-BFGS budget, separated classes, an
                # identifier column, a fold's unseen categories, float64 taken) are its
                # score's business, once per fold and candidate; the chosen one's refit warns
                # as any fit
                warnings.simplefilter("ignore", ConvergenceWarning)
                warnings.simplefilter("ignore", SeparationWarning)
                warnings.simplefilter("ignore", DataWarning)
                with unsaid():
                    result = compare_families(X, y, todo, split=scores.folds[i], **common,
                                              **params)  # fmt: skip
        except DataError as exc:  # every family failed on this fold (each one's reason)
            for f in todo:
                scores.status[(f, capacity)] = f"failed: {exc}"
            continue
        failed = dict(result.skipped)
        for f in todo:
            key = (f, capacity)
            if f in result.nll_rows and not np.all(np.isfinite(result.nll_rows[f])):
                bad = int(np.sum(~np.isfinite(result.nll_rows[f])))
                scores.status[key] = f"failed: a non-finite NLL on {bad} held-out row(s)"
            elif f in result.nll_rows:
                scores.rows.setdefault(key, {})[i] = result.nll_rows[f]
                scores.seconds[key] = scores.seconds.get(key, 0.0) + result.seconds[f]
                scores.models[key] = result.models[f]
                if scores.fold_models is not None and has_dispersion(FAMILIES[f]):
                    scores.fold_models.setdefault(key, {})[i] = result.models[f]
            else:
                scores.status[key] = f"failed: {' '.join(str(failed.get(f, '?')).split())}"


def _capacity_params(capacity: str, network: Mapping, evidence: bool = False) -> dict:
    """``TabularModel.fit``'s arguments of a capacity (the network's are the caller's).

    ``evidence``: a GLM's prior strength chosen by its evidence (``alpha="evidence"``,
    :mod:`probnn.evidence`) unless the caller set the prior (:data:`EVIDENCE_BELOW`).
    """
    if capacity == "network":
        return dict(network)
    base = {k: v for k, v in network.items() if k not in ("hidden", "epochs", "solver")}
    base.update(hidden=(), solver="lbfgs")
    if capacity == "constant":
        base["constant"] = True
    elif evidence and network.get("prior", "gaussian") == "gaussian" and \
            network.get("alpha") is None and network.get("prior_scale") is None:
        base["alpha"] = "evidence"
    return base


def _summary(scores: _Scores, chosen, best, se, candidates,
             near: Collection[tuple[str, str]] = ()) -> pd.DataFrame:  # fmt: skip
    """The candidates' table, the scored ones best first, then the dropped and failed.

    ``near``: the candidates the rule chose among (``selection.within_noise``), labelled
    ``within 1 SE``: the selection decides, the table reports (a gap to the best alone would
    label one the rule left out, or leave out one it kept).
    """
    complete = scores.complete()
    mean = {c: float(np.mean(r)) for c, r in complete.items()}
    rows = []
    keys = sorted(complete, key=mean.get)
    keys += [c for c in candidates
             if c not in complete and (c in scores.rows or c in scores.status)]
    for c in keys:
        folds = scores.rows.get(c, {})
        partial = float(np.mean(np.concatenate(list(folds.values())))) if folds else math.nan
        nll = mean.get(c, partial)
        if c in complete:
            status = ("chosen" if c == chosen else "best" if c == best
                      else "within 1 SE" if c in near
                      else scores.notes.get(c, "scored"))  # fmt: skip
        else:
            status = scores.status.get(c, "not scored")
        rows.append({"family": c[0], "capacity": c[1], "nll_nats": nll,
                     "minus_best": mean[c] - mean[best] if c in complete else math.nan,
                     "se": se.get(c, math.nan) if c in complete and c != best else math.nan,
                     "folds": len(folds), "seconds": scores.seconds.get(c, math.nan),
                     "status": status})  # fmt: skip
    return pd.DataFrame(rows, columns=["family", "capacity", "nll_nats", "minus_best", "se",
                                       "folds", "seconds", "status"])  # fmt: skip
