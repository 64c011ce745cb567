"""Column parsing: which text is numbers (thousands separators, ISO dates) and how to read it.

The rules a column is judged by, whole (:func:`_text_kind`, :func:`_looks_numeric`) or in
pieces (``probnn.tables.preprocessing._ColumnScan`` gives the same answers), and the
parsers that turn such text into float64 values.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from probnn.exceptions import DataError, DataWarning

__all__: list[str] = []  # the parsers are the package's own

# The network computes in float32 by default: every value it sees must fit.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Text parsed as numbers when every present value of a column matches.
_THOUSANDS = r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?"
# ISO dates: one strict pattern (checked first) and the strptime format it stands for.
_DATE_FORMATS = {
    "%Y-%m-%d": r"\d{4}-\d{2}-\d{2}",
    "%Y-%m-%d %H:%M:%S": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
    "%Y-%m-%dT%H:%M:%S": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
}
_EPOCH = pd.Timestamp("1970-01-01")

# A string column with more distinct values than this, in more than half of its rows,
# looks like an identifier; a feature column with more present values than this, every one
# distinct, is one, and is left out of the features (``Preprocessor``).
_ID_MIN_DISTINCT = 20


def _none_hint(values) -> str:
    """A clause for an error naming values that are not numbers, when one is the word None:
    probnn reads it as text, not as a missing value (``probnn._io.MISSING_MARKERS``)."""
    if any(isinstance(v, str) and v.strip().casefold() == "none" for v in values):
        return ("; None is read as text, not as a missing value: write a missing value as an "
                "empty field or NA")  # fmt: skip
    return ""


def _numeric_values(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``column`` as float64 and a mask of entries that are present but not numbers."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(column), bool)
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return values, np.isnan(values) & column.notna().to_numpy()


def _text_kind(column: pd.Series) -> str | None:
    """How a text column parses as numbers, when every present value parses the same way.

    Returns ``"thousands"`` (``12,345.5``), ``"date:<strptime format>"`` (ISO dates)
    or None.
    """
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return None
    present = column.dropna()
    if present.empty or not all(isinstance(v, str) for v in present):
        return None
    text = present.astype(str)
    if text.str.fullmatch(_THOUSANDS).all() and text.str.contains(",", regex=False).any():
        return "thousands"
    for fmt, pattern in _DATE_FORMATS.items():
        if text.str.fullmatch(pattern).all():
            if pd.to_datetime(text, format=fmt, errors="coerce").notna().all():
                return f"date:{fmt}"
    return None


def _parse_text(column: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` parsed as ``kind`` (see :func:`_text_kind`): float64 values and a mask
    of entries that are present but do not parse."""
    present = column.notna().to_numpy()
    text = column.astype(str).where(present)
    if kind == "thousands":
        ok = text.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
        cleaned = text.where(ok).str.replace(",", "", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    elif kind.startswith("date:"):
        fmt = kind[len("date:"):]
        ok = text.str.fullmatch(_DATE_FORMATS[fmt]).fillna(False).to_numpy(dtype=bool)
        stamps = pd.to_datetime(text.where(ok), format=fmt, errors="coerce")
        values = ((stamps - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raise DataError(f"expected a column parser 'thousands' or 'date:<format>'; found {kind!r}")
    return values, present & np.isnan(values)


def _describe_kind(kind: str) -> str:
    if kind == "thousands":
        return "numbers with thousands separators (like 12,345.5)"
    return f"dates in the format {kind[len('date:'):]} (like 2020-01-31)"


def _thousands_as_numbers(column: pd.Series) -> pd.Series:
    """A target written with thousands separators, as numbers; any other column as it is."""
    if _text_kind(column) == "thousands":
        values, _ = _parse_text(column, "thousands")
        out = pd.Series(values, index=column.index, name=column.name)
        out.attrs.update(column.attrs)  # the files of a folder's rows
        return out
    return column


def _looks_numeric(column: pd.Series) -> bool:
    """True when the column is numeric, or when most of its present values parse as numbers.

    The second case is a numeric column with a few stray strings ("n/a", "12,5"):
    reporting those beats silently one-hot encoding hundreds of numbers.
    """
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return True
    present = column.dropna()
    if present.empty:
        return False
    parsed = pd.to_numeric(present, errors="coerce").notna()
    return bool(parsed.mean() >= 0.5)


def _spelling(text: str) -> str:
    """A text value with its case folded and its runs of whitespace made one space, stripped."""
    return " ".join(text.split()).casefold()


# The keys of the spelling warnings said in this process: once each, as Python's "once"
# action would, since a selection's folds and families each fit the column again (with their
# rows' counts) and its ``catch_warnings`` blocks reset the registry that says a text once.
_SAID: set = set()


def _forget_said() -> None:
    """Say each spelling warning again (a new command)."""
    _SAID.clear()


@contextlib.contextmanager
def unsaid() -> Iterator[None]:
    """Spelling warnings said within are not remembered as said: for fits whose warnings
    are silenced (a selection's candidates), so that the fit kept says them."""
    before = set(_SAID)
    try:
        yield
    finally:
        _SAID.clear()
        _SAID.update(before)


def _warn_spelling_variants(counts: Mapping, name: str, role: str) -> None:
    """A :class:`~probnn.exceptions.DataWarning` for distinct text values of a column that
    differ only in case or whitespace (``'yes'``, ``' YES '``, ``'Yes'``), with their rows.

    Each stays a value of its own (a class, a one-hot feature): probnn does not guess that
    they are one. Said once per process for one column and one set of such values (the
    first fit to see them, with its rows), however many fits (folds, families) follow; the
    warning's ``key`` lets a command line say it once when fits run in other processes.

    Parameters
    ----------
    counts : mapping of value -> int
        The column's distinct values and their rows; values that are not text are ignored.
    name : str
        The column, as the message names it (``"target 'y'"``, ``"column 'sex'"``).
    role : {"target", "feature"}
        What a value is: a class label, or a category one-hot encoded.
    """
    groups: dict[str, list[tuple[str, int]]] = {}
    for value, n in counts.items():
        if isinstance(value, str):
            groups.setdefault(_spelling(value), []).append((value, int(n)))
    found = [sorted(g, key=lambda vn: (-vn[1], vn[0])) for g in groups.values() if len(g) > 1]
    if not found:
        return
    found.sort(key=lambda g: (-sum(n for _, n in g), g[0][0]))
    key = ("spelling", name, role, tuple(sorted(v for g in found for v, _ in g)))
    if key in _SAID:
        return
    _SAID.add(key)
    case = any(len({" ".join(v.split()) for v, _ in g}) > 1 for g in found)
    space = any(len({v.casefold() for v, _ in g}) > 1 for g in found)
    how = "case or spaces" if case and space else "case" if case else "spaces"
    shown = []
    for group in found[:3]:
        values = ", ".join(repr(v) for v, _ in group[:5]) + (", ..." if len(group) > 5 else "")
        rows = ", ".join(f"{n:,}" for _, n in group[:5])
        shown.append(f"{values} ({rows} rows)")
    noun, each, one = (("class labels", "a class", "class") if role == "target" else
                       ("categories", "a one-hot feature", "category"))  # fmt: skip
    if len(found) == 1:
        said = f"{noun} {shown[0]} differ only in {how}: each is {each} of its own; if they mean"
    else:
        more = f"; and {len(found) - 3} more groups" if len(found) > 3 else ""
        said = (f"{noun} differ only in {how} in {len(found)} groups: {'; '.join(shown)}{more}: "
                f"each is {each} of its own; if a group means")
    message = DataWarning(f"{name}: {said} one {one}, clean the column (strip spaces, one case)")
    message.key = key
    warnings.warn(message, stacklevel=1)


def _warn_identifier_dropped(name: str) -> None:
    """The :class:`~probnn.exceptions.DataWarning` of a text feature column left out of the
    features because every present value is distinct (an identifier): said once per process
    for the column, however many fits (folds, families) drop it; keyed as the spelling
    warnings are."""
    key = ("identifier", name)
    if key in _SAID:
        return
    _SAID.add(key)
    message = DataWarning(
        f"column {name!r} dropped from the features: every one of its values is distinct (an "
        "identifier), so a new row's value is never one the model learned from"
    )
    message.key = key
    warnings.warn(message, stacklevel=1)
