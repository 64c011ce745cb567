"""The checks a model file's description passes when :class:`~probnn.tables.model.TabularModel`
is read back: its family and class labels against its network (``_check_agrees``), the record
of how its target's text was read (``_target_parser``) and of its training data
(``_training_data``, the split rules ``_SPLIT_RULES``). Each raises ValueError naming the field.

Split from :mod:`probnn.tables.model`, which re-exports every name here.
"""

from __future__ import annotations

import re

from probnn.tables.targets import is_classifier_family


def _check_agrees(family: str, classes, estimator) -> None:
    """Refuse a model file whose family or class labels contradict its network (ValueError):
    a hand-edited description would otherwise predict by one law and read targets by another,
    or index labels past their end."""
    inner = getattr(estimator, "estimator_", estimator)  # a Laplace posterior's network
    names = {getattr(getattr(m, "family_", None), "name", family)
             for m in getattr(inner, "estimators_", None) or [inner]}  # an ensemble's members
    if names != {family}:
        raise ValueError(f"expected family {family!r}, as the model file names it, to be its "
                         f"network's; found {', '.join(sorted(map(repr, names)))}")  # fmt: skip
    n_classes = len(getattr(inner, "classes_", ()))
    if is_classifier_family(family) != isinstance(classes, list) or \
            (isinstance(classes, list) and len(classes) != n_classes):  # fmt: skip
        raise ValueError(f"expected one class label per class of the network ({n_classes}); "
                         f"found {len(classes) if isinstance(classes, list) else repr(classes)}")


# the split rules ``probnn fit`` records (``probnn.cli.SPLIT_PERMUTATION`` / ``SPLIT_ROW_HASH``)
_SPLIT_RULES = ("permutation", "row-hash")


def _target_parser(value) -> str | None:
    """A model file's record of how its target's text was read (ValueError otherwise)."""
    if value is None or value in ("thousands", "decimal", "percent"):
        return value
    shown = repr(value)
    raise ValueError(f"expected target_parser 'thousands', 'decimal' or 'percent'; found "
                     f"{shown if len(shown) <= 70 else shown[:70] + '...'}")  # fmt: skip


def _training_data(record, row_hashes=None) -> dict | None:
    """A model file's record of its training data, checked (ValueError naming the field);
    its record by content (``tables.copies.content_checks``, ``with_row_hashes``) where the
    file has one."""
    if record is None:
        return None

    def whole(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    checks = {
        "sha256": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
        "rows": lambda v: whole(v) and v >= 2,
        "split": lambda v: v in _SPLIT_RULES,
        "seed": whole,
        "test_fraction": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
        and 0.0 < v < 1.0,
    }  # fmt: skip
    if not isinstance(record, dict):
        raise ValueError(f"expected training_data to be a JSON object; found {type(record).__name__}")
    from probnn.tables.copies import content_checks, with_row_hashes

    for key, ok in {**checks, **content_checks(record)}.items():
        if not ok(record.get(key)):
            found = repr(record.get(key))
            found = found if len(found) <= 70 else found[:70] + "..."  # a hostile file's long string
            raise ValueError(f"expected a valid training_data {key!r}; found {found}")
    return with_row_hashes(record, row_hashes)
