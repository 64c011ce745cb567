"""``probnn fit``'s class labels of the whole target column (held-out rows too): the classes
a class model knows (``_column_classes``), the console's warning for held-out labels no
training row holds (``_unseen_labels``), and ``--family-param n_classes`` checked against them
(``_check_n_classes``)."""

from __future__ import annotations

from probnn.cli._errors import UsageError
from probnn.exceptions import DataError


def _column_classes(column, target: str, family: str, levels, kinds=None):
    """The classes of the whole target column (held-out rows too) in the model's order
    (``tables.targets.column_classes``): ``family``'s, or with a family that is no class
    family, selecting among the families of the column's ``kinds`` (``target_kinds``), the
    first class family's; None when no class family models the column."""
    from probnn.families import FAMILIES
    from probnn.tables.targets import column_classes, families_of_kinds

    if not FAMILIES[family].is_classifier:
        family = next((f for f in families_of_kinds(kinds[0]) if FAMILIES[f].is_classifier),
                      None) if kinds is not None else None  # fmt: skip
        if family is None:
            return None
    try:
        return column_classes(column, target, family, levels)
    except DataError:  # (that family's refusal: the selection says it, and scores the others)
        return None


def _unseen_labels(column, train, test, classes, target: str) -> str | None:
    """The console's warning (without its "warning: ") for held-out labels that no training
    row holds, which the model scores by half a pseudo-count of every class; None if none."""
    import numpy as np

    from probnn.tables.model import unseen_labels_warning
    from probnn.tables.targets import target_labels

    if classes is None:
        return None
    labels = target_labels(column, target)
    seen = set(labels[train].tolist())
    unseen = [c for c in classes.tolist() if c not in seen]
    if not unseen:
        return None
    rows = int(np.isin(labels[test], np.asarray(unseen, dtype=labels.dtype)).sum())
    return unseen_labels_warning(unseen, rows, target)


def _check_n_classes(family_params: dict, classes) -> None:
    """Bad usage: ``n_classes`` above the target's classes (its labels and --levels): a class
    with no label can be neither named nor learnt, and each costs a network output per row
    (n_classes=1e6 on 120 rows took 4 GB)."""
    n_classes = family_params.get("n_classes")
    if classes is not None and n_classes is not None and n_classes > len(classes):
        raise UsageError(f"--family-param n_classes={n_classes:g}: the target has {len(classes):,} "
                         "classes (its labels, and any --levels); name the others with --levels")
