"""The target column: its kind and the family chosen for it, class labels and their order,
and the checks a target passes before training.

:func:`target_kind` is the one-piece case of :class:`TargetScan` (a streamed column);
:func:`infer_family` reads the family registry's default for that kind. Every problem
raises :class:`probnn.exceptions.DataError` naming the target column and its data rows.
:class:`TargetScan` lives in :mod:`probnn.tables._target_scan` and
:func:`check_trainable_target` in :mod:`probnn.tables._target_precision`; both are
re-exported here.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from probnn._validation import (data_rows, describe_list, describe_rows, describe_values,
                                encode_labels)  # fmt: skip
from probnn.exceptions import DataError, DataWarning
# (re-exported: the streamed column's scan and the precision checks, imported from here)
from probnn.tables._target_precision import (_rejected, check_distinct_in_float64,  # noqa: F401
                                             check_trainable_target)
from probnn.tables._target_scan import MAX_INFERRED_CLASSES, TargetScan, _plain  # noqa: F401
from probnn.tables.columns import (_none_hint, _numeric_values, _thousands_as_numbers,
                                   _warn_spelling_variants)  # fmt: skip
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.preprocessing_scan import _level_texts, level_text
from probnn.tables.sources import _located_rows, _rows, check_unique_columns

__all__ = ["TargetScan", "target_kind", "target_kinds", "infer_family", "family_of_kind",
           "MAX_INFERRED_CLASSES", "validate_frame", "check_target_column", "target_labels",
           "label_texts", "regression_target", "class_order", "check_trainable_target"]  # fmt: skip


# ------------------------------------------------------------ family choice
def target_kind(y: Sequence | np.ndarray | pd.Series) -> tuple[str, str]:
    """What kind of target a column holds (one of ``probnn.families.TARGET_KINDS``), and why.

    Rules, in order: two distinct values -> "binary"; strings -> "classes"; at
    most ``MAX_INFERRED_CLASSES`` distinct integers -> "ordered-classes"
    (ratings, grades); non-negative integers -> "count"; other integers ->
    "integer"; reals all strictly between 0 and 1 -> "unit-interval"; reals
    all > 0 -> "positive"; anything else -> "real". Missing values are ignored.
    A column read in pieces (a streamed table) is judged by :class:`TargetScan`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)

    Returns
    -------
    kind : str
    reason : str
        What the column holds, for the user (e.g. "the target holds 12 distinct
        text labels").
    """
    kinds, why = target_kinds(y)
    return kinds[0], why


def target_kinds(y: Sequence | np.ndarray | pd.Series,
                 levels: Sequence[str] | None = None) -> tuple[tuple[str, ...], str]:  # fmt: skip
    """Every kind of target a column is (see :meth:`TargetScan.kinds`), the first the
    one :func:`target_kind` names, and why.

    A few distinct integers are ``("ordered-classes", "count")`` (or ``"integer"`` with
    negative values): ``probnn compare`` tries the families of both kinds. Text labels
    (three or more) given an order are ``("ordered-classes",)``: the column is an ordered
    categorical (pandas; a Parquet column saved as one), or ``levels`` (``--levels``) names
    exactly its labels. Without an order they are ``("classes",)``.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    levels : sequence of str, optional
        The class labels in their order (``--levels``); they order the column's text
        labels only when they name exactly those labels (else the fit's own check of
        ``levels`` names the difference).

    Raises
    ------
    DataError
        For a numeric column with a few values that are not numbers (naming their
        rows), and for text labels that look like an identifier (most seen only once).
    """
    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y, dtype=object))
    scan = TargetScan(name=str(series.name) if series.name is not None else "target")
    scan.observe(series)
    scan.add(series)
    kinds, why = scan.kinds()
    if kinds != ("classes",):
        return kinds, why
    if ordered_categories(series) is not None:
        return ("ordered-classes",), f"{why}, ordered by the column's ordered categorical type"
    if levels is not None and sorted(map(str, levels)) == sorted(
            str(v) for v, n in scan.distinct.items() if n):  # (a categorical's unused: 0 rows)
        return ("ordered-classes",), f"{why}, ordered by --levels"
    return kinds, why


def infer_family(y: Sequence | np.ndarray | pd.Series,
                 levels: Sequence[str] | None = None) -> tuple[str, str]:  # fmt: skip
    """Choose a likelihood family for a target column, and say why.

    The family is the registry's default for the column's :func:`target_kind`
    (``probnn.families.default_family``: Bernoulli for two values, categorical
    for classes, Poisson for counts, a normal with a learned scale for reals);
    the reason names the other families that fit that kind (those
    ``probnn compare`` tries).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target values; missing values are ignored.
    levels : sequence of str, optional
        The class labels in their order (``--levels``): see :func:`target_kinds`.

    Returns
    -------
    name : str
        A key of :data:`probnn.families.FAMILIES`.
    reason : str
        One sentence for the user.
    """
    return family_of_kind(*target_kinds(y, levels))


def families_of_kinds(kinds: str | Sequence[str]) -> list[str]:
    """The registered families that fit any of ``kinds``: the first kind's (its default
    first), then the others' not yet named."""
    from probnn.families import families_for

    names: list[str] = []
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        names += [n for n in families_for(kind) if n not in names]
    return names


def family_of_kind(kind: str | Sequence[str], why: str) -> tuple[str, str]:
    """The registry's default family for a target kind (the first of several kinds), and the
    reason :func:`infer_family` gives."""
    names = families_of_kinds(kind)
    first = kind if isinstance(kind, str) else kind[0]
    others = f"; compare would also try {', '.join(names[1:])}" if len(names) > 1 else ""
    return names[0], f"{why}: the default for {first} targets is {names[0]}{others}"


# A family whose support the target misses at no more than this fraction of its rows is
# named by compare as left out because of those rows (a proportion with one exact 0 and
# beta), rather than silently absent.
LEFT_OUT_FRACTION = 0.05


def families_left_out(column: pd.Series, target: str, tried: Sequence[str]) -> list[tuple[str, str]]:
    """Regression families not in ``tried`` that a few rows of the target keep out, and why.

    A family is named when its own target check fails at no more than
    ``LEFT_OUT_FRACTION`` of the rows; the reason is that check's message (values and
    data rows).

    Returns
    -------
    list of (family name, reason)
    """
    from probnn.families import FAMILIES, get_family

    values, bad = _numeric_values(_thousands_as_numbers(column))
    if bad.any() or np.isnan(values).any():
        return []
    out = []
    for name, cls in FAMILIES.items():
        if name in tried or cls.is_classifier:
            continue
        family = get_family(name)
        try:
            regression_target(column, target, family)
            continue
        except DataError as exc:
            reason = str(exc)
        limit = int(LEFT_OUT_FRACTION * values.size)
        if 0 < _rejected(family, values, limit + 1).size <= limit:
            out.append((name, reason))
    return out


def is_classifier_family(name: str) -> bool:
    """Whether the registered family ``name`` models class labels."""
    from probnn.families import FAMILIES

    return FAMILIES[name].is_classifier


def _check_family_name(name: str) -> None:
    """DataError unless ``name`` is a registered family."""
    from probnn.families import FAMILIES

    if name not in FAMILIES:
        raise DataError(f"expected a family among auto, {', '.join(FAMILIES)}; found {name!r}")


# --------------------------------------------------------------- the model
def _labels_to_json(labels: np.ndarray) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in labels.tolist()]


def _class_indices(labels: np.ndarray, classes, target: str, where=None) -> np.ndarray:
    """Indices ``0..C-1`` of ``labels`` (from :func:`target_labels`) among ``classes`` (in
    their order: sorted, or the order of ``--levels``), by the estimators' label encoder:
    numbers match numbers (1 == 1.0), text matches text ("1" is not 1).

    Raises
    ------
    DataError
        Naming the unknown labels, their data rows (``where``: the target column, or its
        index) and the target column.
    """
    text = labels.dtype == object
    numeric_classes = all(isinstance(c, (numbers.Number, np.number, np.bool_)) for c in classes)
    classes = np.asarray(classes, dtype=object if text else None)
    numbers_, files = _located_rows(where if where is not None else pd.RangeIndex(labels.shape[0]))
    where = f"the classes of target column {target!r} seen in training"
    if numeric_classes == text:  # numbers against text: none can match
        everywhere = np.ones(labels.shape[0], dtype=bool)
        raise DataError(
            f"labels must be among {where} {describe_list(classes)}; found "
            f"{describe_values(labels)} at {describe_rows(everywhere, numbers=numbers_, files=files)}"
        )
    spelt = classes
    if text:  # a model file's text classes as target_labels spells labels now ("1.0" as "1")
        respelt = np.asarray(label_texts(classes), dtype=object)
        spelt = respelt if len(set(respelt.tolist())) == len(classes) else classes
    order = np.argsort(spelt, kind="stable")  # the encoder searches sorted classes
    try:
        with data_rows(numbers_, files):
            return order[encode_labels(labels, spelt[order], where=where)]
    except ValueError as exc:
        raise DataError(str(exc)) from None


def class_order(column: pd.Series, labels: np.ndarray, target: str, family: str,
                levels: Sequence[str] | None = None) -> np.ndarray:  # fmt: skip
    """The classes of a target column in the order the model keeps (class ``k`` is the
    ``k``-th), from its labels (:func:`target_labels`).

    The order, for a family whose classes are ordered (support "ordered-classes"): the
    given ``levels`` (``--levels``), else an ordered categorical column's (pandas, or a
    Parquet dictionary column saved as one), else the numeric order of number labels;
    text labels without any of those are refused: their alphabetical order is rarely
    their meaning (high < low < medium). Other class families take ``levels`` or the
    sorted labels.

    Parameters
    ----------
    column : Series of shape (n_rows,)
        The target column as read (its dtype may carry an order).
    labels : ndarray of shape (n_rows,)
    levels : sequence of str, optional

    Returns
    -------
    ndarray of shape (n_classes,)

    Raises
    ------
    DataError
        For a label not among ``levels`` (naming its data rows), a level no row holds,
        or text labels of an ordered family without an order.
    """
    if levels is not None:
        check_levels(column, labels, target, levels)
    present, counts = np.unique(labels, return_counts=True)
    return order_classes(present, ordered_categories(column), target, family, levels, counts)


def column_classes(column: pd.Series, target: str, family: str,
                   levels: Sequence[str] | None = None) -> np.ndarray:
    """The classes of the whole target ``column`` (held-out rows too) in ``family``'s order,
    those a model fitted on all its rows keeps (:func:`class_order`), for a model fitted on
    some of them (a fold, ``probnn fit``'s training rows) that must know every label. The
    spelling warnings are the caller's to say (their check of the column says them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return class_order(column, target_labels(column, target), target, family, levels)


def scan_classes(scan: TargetScan, kinds: Sequence[str], target: str,
                 levels: Sequence[str] | None = None,
                 categories: list | None = None) -> np.ndarray | None:  # fmt: skip
    """The classes of a streamed column, from its :class:`TargetScan` (every row's distinct
    values, held-out rows' too), as ``probnn fit`` in memory gives its selection the whole
    column's (:func:`column_classes` with the first class family of the column's ``kinds``):
    the selection's class models then know a label that only held-out rows hold.

    Parameters
    ----------
    scan : TargetScan
        After both passes.
    kinds : sequence of str
        The column's kinds (``scan.kinds()[0]``).
    levels : sequence of str, optional
    categories : list, optional
        An ordered categorical column's categories (:func:`ordered_categories`).

    Returns
    -------
    ndarray of shape (n_classes,), or None
        None where no class family models the column, or that family refuses its labels
        (the selection says so).
    """
    family = next((f for f in families_of_kinds(kinds) if is_classifier_family(f)), None)
    if family is None or scan.overflow:
        return None
    present = np.unique(target_labels(pd.Series(list(scan.distinct)), target))
    try:
        return order_classes(present, categories, target, family, levels)
    except DataError:
        return None


def ordered_categories(column: pd.Series) -> list | None:
    """The categories of an ordered categorical column (pandas; a Parquet dictionary column
    saved as one), in their order; None for any other column."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
        return list(dtype.categories)
    return None


def check_levels(column: pd.Series, labels: np.ndarray, target: str, levels: Sequence[str]) -> None:
    """DataError naming the data rows of labels that are not among ``levels``."""
    given = _levels_as_labels(levels, labels.dtype == object)
    outside = ~np.isin(labels, np.asarray(given, dtype=object if labels.dtype == object else None))
    if outside.any():
        raise DataError(
            f"expected target {target!r} to hold only the --levels {describe_list(given)}; "
            f"found {describe_values(labels[outside])} at {_rows(outside, column)}"
        )


def order_classes(present: np.ndarray, categories: list | None, target: str, family: str,
                  levels: Sequence[str] | None = None,
                  counts: Sequence[int] | None = None) -> np.ndarray:  # fmt: skip
    """The classes in the model's order, from the sorted labels present in the training rows,
    an ordered column's ``categories`` (or None) and ``levels``: see :func:`class_order`.

    ``counts`` (the rows of each label of ``present``): text labels that differ only in case
    or whitespace (``'yes'``, ``' YES '``) are each a class of their own, with a
    :class:`~probnn.exceptions.DataWarning` naming them and their rows.
    """
    from probnn.families import FAMILIES

    text = present.dtype == object
    if text and counts is not None:
        _warn_spelling_variants(dict(zip(present.tolist(), counts)), f"target {target!r}", "target")
    kind = object if text else None
    seen = set(present.tolist())
    if levels is not None:
        given = _levels_as_labels(levels, text)
        absent = [g for g in given if g not in seen]
        if absent:
            raise DataError(
                f"expected rows of every level of --levels in target {target!r}; found none "
                f"of {describe_list(absent)} among the training rows (remove those levels)"
            )
        return np.asarray(given, dtype=kind)
    if categories is not None:
        order = label_texts(categories) if text else categories
        return np.asarray([c for c in order if c in seen], dtype=kind)
    if FAMILIES[family].support == "ordered-classes" and text:
        raise DataError(
            f"family {family} orders its classes, and target {target!r} holds text labels "
            f"({describe_values(present)}) whose order probnn cannot know: give it with "
            f"--levels {','.join(str(v) for v in present[:10])} (in the right order), or save "
            "the column as an ordered categorical"
        )
    return present


def _levels_as_labels(levels: Sequence[str], text: bool) -> list:
    """``--levels`` as labels of the column's type: text, or numbers for number labels."""
    if text:  # spelt as the labels are (target_labels): "1.0" names the label "1"
        return label_texts(str(v) for v in levels)
    out = []
    for v in levels:
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise DataError(f"expected numbers in --levels for a target of numbers; found {v!r}") from None
        out.append(int(number) if number.is_integer() else number)
    return out


# ---------------------------------------------------------------- targets
def validate_frame(frame: pd.DataFrame, target: str, family: str, impute: bool = False,
                   levels: Sequence[str] | None = None, censoring=None,
                   dtype=np.float32) -> None:  # fmt: skip
    """Check a whole table before it is split, so errors name rows of the file; ``dtype``:
    the network's precision (a fit given none takes float64 where float32 fails).

    Raises
    ------
    DataError
        For a missing target column, missing or non-numeric feature values,
        targets the family cannot model (or cannot represent in training:
        :func:`check_trainable_target`), class labels outside ``levels`` or
        without an order an ordered family needs (:func:`class_order`); with a
        ``censoring`` (:class:`probnn.tables.censoring.Censoring`), bounds it refuses.
    """
    from probnn.families import get_family

    check_target_column(frame, target)
    features = frame.drop(columns=[target, *(censoring.columns if censoring else ())])
    with warnings.catch_warnings(record=True) as caught:
        # the fit on the training rows says the same; here only errors, with rows of the file
        warnings.simplefilter("always", DataWarning)
        Preprocessor(impute=impute).fit(features).transform(features)
    for said in caught:  # but a warning said once per command: with the whole table's rows
        if not issubclass(said.category, DataWarning) or getattr(said.message, "key", None):
            warnings.warn_explicit(said.message, said.category, said.filename, said.lineno)
    _check_family_name(family)
    if censoring is not None:  # (lower, upper) bounds: checked whole, rows of the file named
        y = censoring.bounds(frame, target, get_family(family))  # (no cdf: refused)
        censoring.check_has_maximum(y, target)
    elif is_classifier_family(family):
        class_order(frame[target], target_labels(frame[target], target), target, family, levels)
    else:
        declared = get_family(family)
        y = regression_target(frame[target], target, declared)
        check_trainable_target(y, frame[target], target, declared, dtype)



def check_target_column(frame: pd.DataFrame, target: str) -> None:
    """Raise DataError unless ``target`` is a column of ``frame``, and each column name
    occurs once."""
    if frame.columns.duplicated().any():
        check_unique_columns([str(c) for c in frame.columns], "the table")
    if target not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:20])
        more = ", ..." if frame.shape[1] > 20 else ""
        raise DataError(f"expected a target column {target!r}; found columns {shown}{more}")


def _check_target_present(column: pd.Series, target: str) -> None:
    missing = column.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"expected a value in every row of target column {target!r}; found "
            f"{int(missing.sum())} missing at {_rows(missing, column)}"
        )


def target_labels(column: pd.Series, target: str, text: bool = False) -> np.ndarray:
    """Class labels of a target column: numbers stay numbers, anything else becomes text.

    Labels of a column that holds text are all text, a number among them spelt one way
    (:func:`label_texts`: ``"1"`` for 1, 1.0 or "1.0"), so a streamed chunk read as numbers
    (only "0" rows) and a chunk of text, or the whole column in memory, give the same labels.

    Parameters
    ----------
    column : Series of shape (n_rows,)
    target : str
    text : bool, default=False
        Text labels even for a column of numbers or booleans (another chunk of the
        column, or a model's classes, holds text).

    Returns
    -------
    ndarray of shape (n_rows,)
    """
    _check_target_present(column, target)
    column = _thousands_as_numbers(column)
    if text or not (pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)):
        present = pd.Series(column.to_numpy(dtype=object), index=column.index)
        return level_text(present).to_numpy(dtype=object)
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=bool)  # labels True / False, as written (not 1 / 0)
    values = column.to_numpy()
    if np.issubdtype(values.dtype, np.floating):
        infinite = ~np.isfinite(values)
        if infinite.any():
            raise DataError(
                f"expected finite labels in target column {target!r}; found "
                f"{describe_values(values[infinite])} at {_rows(infinite, column)}"
            )
        if np.all(values == np.round(values)):
            values = values.astype(np.int64)  # 0.0 / 1.0 read back as labels 0 / 1
    return values


def label_texts(labels) -> list[str]:
    """Labels (numbers, booleans or text; shape (n,)) as text labels, each number spelt one
    way (:func:`~probnn.tables.preprocessing_scan.level_text`, as a categorical feature's
    levels): the labels of a streamed chunk read as numbers, in a column that holds text.
    Each label spelt on its own: True and 1, one key of a dict, are two labels."""
    return _level_texts(np.asarray(list(labels), dtype=object))[0]


def regression_target(column: pd.Series, target: str, family) -> np.ndarray:
    """A numeric target column checked against the family's support.

    Returns
    -------
    ndarray of shape (n_rows,), float64
    """
    _check_target_present(column, target)
    written, column = column, _thousands_as_numbers(column)
    values, bad = _numeric_values(column)
    if bad.any():
        found = column[bad].astype(str).to_numpy()
        raise DataError(
            f"expected numbers in target column {target!r} for family {family.name}; found "
            f"{describe_values(found)} at {_rows(bad, column)}{_none_hint(found)}"
        )
    infinite = ~np.isfinite(values)
    if infinite.any():
        raise DataError(
            f"expected finite numbers in target column {target!r}; found "
            f"{describe_values(values[infinite])} at {_rows(infinite, column)}"
        )
    check_distinct_in_float64(written, values, target)  # (the text as written: exact)
    try:
        with data_rows(*_located_rows(column)):  # the family's rows named as the file's
            return np.asarray(family.check_target(values), dtype=np.float64)
    except ValueError as exc:
        hint = _percent_hint(written, family)
        raise DataError(f"target column {target!r}: {exc}{hint}") from None


def _percent_hint(written: pd.Series, family) -> str:
    """A clause where a target of percentages (read as the number before the sign: 12.3% is
    12.3) meets a family of proportions, which wants them divided by 100."""
    from probnn.tables.columns import _comma_reading

    if family.support != "unit-interval" or _comma_reading(written) != "percent":
        return ""
    return ("; the column holds percentages, read as the number before the sign (12.3% as "
            "12.3): divide them by 100 for proportions")
