"""``probnn fit --family auto`` with ``--ensemble M`` or ``--posterior laplace`` (issue 22).

The selection (:func:`probnn.selection.select_model`) chooses the family and the capacity by
held-out likelihood as without the option: the same candidates, single networks scored, the
one-standard-error rule. The option then applies to the chosen model:

* ``--ensemble M`` (the regression families only: an ensemble needs one): a network is
  refitted on all the training rows as an ensemble of M such networks (by the selection's
  refit, ``select_model(ensemble=M)``, or here where it kept the network of its one split).
  A constant or a GLM is fitted once and said so: it is fitted by L-BFGS to its maximum a
  posteriori, the same model from every seed, and an equal mixture of M copies of one law is
  that law.
* ``--posterior laplace``: the chosen model (one network: ``select_model(ensemble=1)``)
  wrapped in its Laplace posterior over the rows it was fitted on
  (``tables.model.laplace_posterior``, what ``TabularModel.fit(posterior="laplace")`` does
  after its fit; a constant's with its inputs at 0, as it was fitted). The posterior takes
  exact targets, so a point mass at an end is scored as densities (``--point-mass density``)
  unless ``--point-mass censor`` is asked for, which is bad usage here.
"""

from __future__ import annotations

from probnn.cli._errors import UsageError

__all__ = ["apply_option", "selection_keywords"]


def selection_keywords(args, posterior: str) -> dict:
    """``select_model``'s keywords: the point mass's reading (``point_mass``: ``--point-mass``,
    else "censor", but "density" with ``--posterior laplace``); for the option ``ensemble``
    (the networks of its refit) and, with ``--ensemble``, ``task="regressor"`` (a class
    family cannot be an ensemble)."""
    if args.ensemble > 1:
        return {"ensemble": int(args.ensemble), "task": "regressor",
                "point_mass": args.point_mass or "censor"}
    if posterior != "none":
        if args.point_mass == "censor":
            raise UsageError("--posterior laplace takes exact targets; --point-mass censor would "
                             "read a point mass as censored (use --point-mass density)")
        return {"ensemble": 1, "point_mass": "density"}
    return {"point_mass": args.point_mass or "censor"}


def apply_option(selection, rows, args, posterior: str, fit_ensemble) -> tuple[object, str]:
    """The chosen model with the option applied, and the console's line that says so.

    Parameters
    ----------
    selection : probnn.selection.Selection
        What ``select_model`` chose and fitted on ``rows`` (keywords from
        :func:`selection_keywords`).
    rows : pandas.DataFrame of shape (n_rows, n_columns)
        The training rows the selection was given (the target among the columns).
    args : argparse.Namespace
        ``fit``'s options (``ensemble``, ``seed``).
    posterior : {"none", "laplace"}
    fit_ensemble : callable
        ``fit_ensemble(family)`` fits an ensemble of ``args.ensemble`` networks of ``family``
        on ``rows`` (the selection's network options) and returns the ``TabularModel``.

    Returns
    -------
    model : TabularModel
    line : str
        ``selection.line`` and what the option did.
    """
    from probnn.selection import CAPACITIES

    model, line, m = selection.model, selection.line, args.ensemble
    words = dict(zip(CAPACITIES, ("constant model", "GLM", "network")))[selection.capacity]
    if m > 1 and selection.capacity != "network":
        return model, (f"{line}; --ensemble {m}: the chosen {words} is fitted once (L-BFGS "
                       f"takes every seed to the same maximum, and an ensemble of {m} copies of "
                       f"one model is that model)")  # fmt: skip
    if m > 1 and not selection.refitted:  # the network of one split, kept by the selection
        return fit_ensemble(selection.family), (
            f"{line}; refitted on all {len(rows):,} training rows as an ensemble of {m} "
            f"(--ensemble {m})")  # fmt: skip
    if m > 1:  # refitted as the ensemble by the selection; its line says so
        return model, f"{line} (--ensemble {m})"
    if posterior == "none":
        return model, line
    import numpy as np

    from probnn.report.card import is_constant
    from probnn.tables.model import laplace_posterior

    fitted = rows if selection.refitted else rows.iloc[selection.folds[0][0]]
    X = model.transform(fitted)
    if is_constant(model.estimator):  # fitted with every input at 0 (TabularModel.fit)
        X = np.zeros_like(X)
    model.estimator = laplace_posterior(model.estimator, X, model.encode_target(fitted),
                                        args.seed)  # fmt: skip
    where = "" if selection.refitted else f" over the {len(fitted):,} rows it was fitted on"
    return model, f"{line}; the chosen {words} wrapped in its Laplace posterior{where}"
