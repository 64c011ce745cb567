"""A class model's labels beyond its training rows: the add-1/2 pseudo-rows of every class
where some class has no training row (``JEFFREYS_COUNT``, ``_with_every_class``), the
warning that names such labels (:func:`unseen_labels_warning`), the hint for a count a
class model never saw (``_count_hint``), and the same add-1/2 rule for the zero part of a
hurdle's or zero-inflated family's constant model (:func:`_constant_at_reference`).

Split from :mod:`probnn.tables.model`, which re-exports every name here.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["JEFFREYS_COUNT", "unseen_labels_warning"]

# A classifier whose training rows miss some of its ``classes`` (a rare label absent from a
# fold) learns from this many pseudo-counts of every class besides its rows: the add-1/2
# rule, whose constant model is the Krichevsky-Trofimov estimate (n_k + 1/2) / (n + C/2),
# the predictive of the Jeffreys prior Dirichlet(1/2); see ``TabularModel.fit``'s
# ``classes``.
JEFFREYS_COUNT = 0.5


def _count_hint(family: str, classes, column: pd.Series) -> str:
    """What to say when a class model's labels are counts and a row holds one it never saw
    (a count beyond its largest label): that the model is a class model over the labels
    seen, and the count families that score every count; "" for other labels."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    known = np.asarray([c for c in classes if isinstance(c, (numbers.Number, np.number))],
                       dtype=np.float64)  # fmt: skip
    if known.size != len(classes) or not (_all_counts(known) and _all_counts(values)):
        return ""
    return (f"; the model ({family}) is a class model over the labels its training rows held: "
            f"to score any count, fit with --family poisson or --family negative-binomial")


def _all_counts(values: np.ndarray) -> bool:
    """Whether ``values`` (shape (n,)) are n >= 1 non-negative integers."""
    return values.size > 0 and bool(np.all(np.isfinite(values) & (values >= 0)
                                           & (values == np.round(values))))  # fmt: skip


def _with_every_class(fit_args: tuple, n_classes: int) -> tuple:
    """``estimator.fit``'s arguments ``(X, y[, sample_weight, validation])``, with the
    add-1/2 pseudo-rows added where a class of ``0..n_classes-1`` has no training
    row (see :meth:`TabularModel.fit`'s ``classes``): one row per class at ``x = 0`` of weight
    :data:`JEFFREYS_COUNT`, the real rows weighing 1. Unchanged when every class has a row.
    """
    X, y = fit_args[0], fit_args[1]
    if np.unique(y).size == n_classes:
        return fit_args
    pseudo = np.zeros((n_classes, X.shape[1]), dtype=X.dtype)
    X = np.concatenate([X, pseudo])
    y = np.concatenate([y, np.arange(n_classes, dtype=y.dtype)])
    weight = np.concatenate([np.ones(fit_args[0].shape[0]), np.full(n_classes, JEFFREYS_COUNT)])
    return (X, y, weight, *fit_args[3:])


def unseen_labels_warning(unseen: Sequence, rows: int, target: str) -> str:
    """``probnn fit``'s warning (without its "warning: "), in memory and streamed, for class
    labels of the target that no training row holds, only held-out ones: the model scores
    them by half a pseudo-count of every class (:meth:`TabularModel.fit`'s ``classes``).

    Parameters
    ----------
    unseen : sequence of labels
        The labels, in the model's class order.
    rows : int
        The held-out rows that hold them.
    target : str
    """
    from probnn._validation import describe_list

    return (f"no training row holds label{'s' if len(unseen) > 1 else ''} "
            f"{describe_list(list(unseen))} of target {target!r} ({rows} held-out row"
            f"{'s' if rows != 1 else ''}): the model learns with {JEFFREYS_COUNT:g} pseudo-count "
            f"of every label (the add-1/2, Krichevsky-Trofimov rule: a constant model's "
            f"(n_k + 1/2) / (n + C/2)) and scores such a row at that small probability")


def _constant_at_reference(estimator, family, n_rows: int, n_zeros: int) -> None:
    """A constant model's output intercepts (``TabularModel.fit(constant=True)``, a streamed
    fit of a chosen constant) set to its family's reference where that departs from the
    fit: a hurdle's zero part on ``n_rows`` training rows of which ``n_zeros`` hold a zero,
    none (or all), whose MLE ``P(0) = 0`` (1) lies at the boundary. The intercept-only fit
    starts there from ``ZERO_LOGIT_START`` (``P(0) = 2e-9``) and stays, scoring a held-out
    zero at 20 nats; the reference's Krichevsky-Trofimov ``P(0) = (1/2) / (n + 1)``
    (``Family.reference_raw``, from the tally: ``counted_reference``) is the rule the class
    models take for a label no training row holds (``JEFFREYS_COUNT``), so the selection's
    constant candidate, the report's reference and the streamed fit are one model. Families
    without excess zeros and rows holding zeros and positive counts are left as fitted.
    ``family``: a name or a :class:`~probnn.families.base.Family`.
    """
    from probnn.families import get_family

    counted = getattr(get_family(family), "counted_reference", None)
    if counted is None or not hasattr(estimator, "intercepts_"):
        return
    estimator.intercepts_[-1][...] = counted(estimator.intercepts_[-1], n_rows, n_zeros)
