"""Column parsing: which text is numbers (thousands separators, decimal commas, percentages,
ISO dates, datetime and duration columns) and how to read it.

The rules a column is judged by, whole (:func:`_text_kind`, :func:`_looks_numeric`) or in
pieces (``probnn.tables.preprocessing._ColumnScan`` gives the same answers), and the
parsers that turn such text into float64 values.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from probnn._say_once import per_command
from probnn._validation import name_data_rows
from probnn.exceptions import DataError, DataWarning
from probnn.tables.sources import NESTED_ATTR, SEPARATOR_ATTR, _located_rows

__all__: list[str] = []  # the parsers are the package's own

# The network computes in float32 by default: every value it sees must fit.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Text parsed as numbers when every present value of a column matches one grammar.
# Thousands separators: groups of 3 digits after a first group that is not 0 ("0,125" is
# no grouped number), then a decimal point.
_THOUSANDS = r"-?(?:[1-9]\d{0,2}(?:,\d{3})+|\d{1,3})(?:\.\d+)?"
# A decimal comma ("3,616", "-0,5"), after digits grouped by dots only when it is there
# ("1.234,5"; "1.234" alone is the number 1.234).
_DECIMAL = r"-?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+(?:,\d+)?)"
# Lists of items ("1,2": items 1 and 2) fit the decimal-comma grammar too. A column that would
# be decimal commas is read as such text when every value with a comma is two whole numbers
# without a leading zero, the first the smaller (a sorted list), every value without one a
# whole number, and some number stands first in one value and second in another (items of
# one set: "1,2", "2,3", "1,3"). Decimals seldom do all of it: a leading 0 ("0,5"), a fraction
# with one ("1,05") or not above the whole part ("3,2") is a number; heights "1,65", "1,72"
# put no 1 after a comma, half steps "1,5" .. "4,5" no 5 before one.
# Percentages: a number with a point (or none) and an optional exponent, then "%" ("12.3%",
# "-0.5%", "1e-05%", Python's "%" formatting and Excel's exports alike). Read as the number
# written before the sign (12.3, not 0.123): the digits as written with no division to round,
# the same number a file without the sign holds ("12.3"), so a model trained on either reads
# the other alike, and ranges, fill values and predictions of a percent target stay in the
# column's own unit. Only a column whose every present value is one is read so: "12%" beside
# "abc" stays text (a category each). One space may stand before the sign ("12.3 %", and
# the no-break and narrow no-break spaces French and German typography put there); a decimal
# comma ("12,5%") is not read (which comma a file means is the comma kinds' question).
_PERCENT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[ \u00a0\u202f]?%"
# The text kinds that are numbers as written (a target may be one; see ``_comma_reading``).
_NUMBER_TEXT = ("thousands", "decimal", "percent")
_ITEM_PAIR = re.compile(r"([1-9]\d*),([1-9]\d*)")
_ITEM = re.compile(r"\d+")
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


def _convention(column: pd.Series) -> str | None:
    """What a comma in the numbers of ``column``'s file means, by the file's separator.

    ``"decimal"`` in a ``;``-separated CSV (the decimal-comma convention: its commas are
    decimal marks, never thousands separators); ``"thousands"`` in a ``,``-separated CSV
    (a field with a comma had to be quoted: ``"12,345"``) and in a table that is no CSV
    (Parquet, a DataFrame); None in a tab- or ``|``-separated CSV, where either is written.
    """
    sep = column.attrs.get(SEPARATOR_ATTR)
    if sep == ";":
        return "decimal"
    return "thousands" if sep in (None, ",") else None


def _comma_kind(name, convention: str | None, thousands: bool, decimal: bool,
                example: tuple[str, str] | None, ungrouped: str | None) -> str | None:  # fmt: skip
    """The reading of a column whose present values hold a comma somewhere: ``"thousands"``,
    ``"decimal"`` or None (not numbers), from whether every value fits each grammar.

    A column is read with thousands separators only when no value contradicts it (a group
    of other than 3 digits, a first group "0") and its file is not ``;``-separated; with a
    decimal comma only when every value is one and its file is not ``,``-separated (nor
    a table without separator: there such a column is refused when ``ungrouped``, the first
    value with a comma that is no grouped number, is one). Where both fit and the file does not say (tab,
    ``|``), DataError: ``example`` is a value with a comma and the data rows of such values.
    """
    if convention == "decimal":
        return "decimal" if decimal else None
    if convention == "thousands":
        if decimal and not thousands and ungrouped is not None:
            raise DataError(
                f"expected numbers with thousands separators in column {name!r} of a "
                f"','-separated file (or a table without separator); found {ungrouped!r}, a "
                "decimal comma: write the numbers with decimal points, or save the file "
                "separated by ';', whose commas are read as decimal marks"
            )
        return "thousands" if thousands else None
    if thousands and decimal:
        value, rows = example if example is not None else ("?", "some rows")
        grouped, point = _comma_number(value, "thousands"), _comma_number(value, "decimal")
        raise DataError(
            f"expected numbers whose commas say what they are in column {name!r}; found "
            f"{value!r} at {rows}, {grouped:g} with a thousands separator or {point:g} with "
            "a decimal comma, and no value of the column tells which (a file separated by tabs "
            "or '|'): write the numbers without thousands separators, or save the file "
            "separated by ';' (decimal commas) or ',' (thousands separators)"
        )
    return "thousands" if thousands else "decimal" if decimal else None


class _ItemLists:
    """Whether a column's text reads as sorted pairs of items (see ``_ITEM_PAIR``), judged
    from its distinct values in pieces (the whole column, or a streamed scan's chunks)."""

    def __init__(self):
        self.pairs = True
        self.first: set[str] = set()
        self.second: set[str] = set()
        self.example: str | None = None

    def observe(self, values: Iterable[str]) -> None:
        """Take a piece's distinct values (text)."""
        for value in values if self.pairs else ():
            if "," not in value:
                if _ITEM.fullmatch(value) is None:
                    self.stop()
                continue
            match = _ITEM_PAIR.fullmatch(value)
            if match is None or int(match[1]) >= int(match[2]):
                self.stop()
                continue
            self.first.add(match[1])
            self.second.add(match[2])
            self.example = self.example or value

    def observe_numbers(self, values: np.ndarray) -> None:
        """Take a piece pandas read as numbers (no comma in it): whole, not negative."""
        if self.pairs and not bool(np.all((values >= 0) & (values == np.round(values)))):
            self.stop()

    def stop(self) -> None:
        self.pairs = False
        self.first, self.second = set(), set()

    def lists(self) -> bool:
        """Every comma a list's, and some item both first and second."""
        return self.pairs and self.example is not None and bool(self.first & self.second)


def _item_list_example(text: pd.Series) -> str | None:
    """A value with a comma of ``text`` (present values as str) where every value reads as
    a list of items (:class:`_ItemLists`); None where the text is no such column."""
    if not text.str.contains(",", regex=False).any():
        return None
    items = _ItemLists()
    items.observe(text.unique())
    return items.example if items.lists() else None


def _warn_item_lists(name, example: str) -> None:
    """The :class:`~probnn.exceptions.DataWarning` of a column read as text though its commas
    would be decimal commas; said once per process for the column."""
    key = ("item lists", name)
    if not _SAID.first_time(key):
        return
    message = DataWarning(
        f"column {name!r} read as text, not numbers with a decimal comma: each value with a "
        f"comma ({example!r}) is a sorted pair of whole numbers, and some number stands both "
        "first and second (lists of items, like '1,2' and '2,3'); to read numbers, write "
        "them with decimal points (1.2)")
    message.key = key
    warnings.warn(message, stacklevel=1)


def _plain_number_text(text: str, kind: str) -> str:
    """One value of a ``kind`` column (``_NUMBER_TEXT``: "thousands", "decimal", "percent")
    as plain number text, exactly: "4,611,686,018,427,387,904" -> "4611686018427387904",
    "1.234,5" -> "1234.5", "12.3 %" -> "12.3" (the number before the sign)."""
    if kind == "thousands":
        return text.replace(",", "")
    if kind == "decimal":
        return text.replace(".", "").replace(",", ".")
    return text[:-1].rstrip(" \u00a0\u202f")  # percent


def _comma_number(text: str, kind: str) -> float:
    """One value of a ``kind`` ("thousands" / "decimal") column as a number."""
    return float(_plain_number_text(text, kind))


def _comma_example(column: pd.Series, text: pd.Series) -> tuple[str, str]:
    """A present value of ``column`` with a comma (``text``: its present values as text),
    and the data rows of the values with one."""
    has = text.str.contains(",", regex=False).to_numpy(dtype=bool)
    numbers, files = _located_rows(column)
    numbers = numbers[column.notna().to_numpy()][has]
    return str(text[has].iloc[0]), name_data_rows(numbers[:10], numbers.size, files)


def _text_kind(column: pd.Series) -> str | None:
    """How a column parses as numbers, when every present value parses the same way.

    Returns ``"datetime"`` (a datetime column, naive or timezone-aware), ``"timedelta"``
    (a duration column: a Parquet ``duration``, pandas' ``timedelta64``),
    ``"thousands"`` (``12,345.5``), ``"decimal"`` (``3,616`` in a ``;``-separated
    file; see :func:`_comma_kind`), ``"percent"`` (``12.3%``, read as 12.3; see
    ``_PERCENT``), ``"date:<strptime format>"`` (ISO dates) or None.

    Raises
    ------
    DataError
        For text whose commas read both ways in a file that does not say which.
    """
    if _stamps(column) is not None:
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(column):
        return "timedelta"
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return None
    present = column.dropna()
    if present.empty or not all(isinstance(v, str) for v in present):
        return None
    text = present.astype(str)
    if text.str.contains(",", regex=False).any():
        thousands = bool(text.str.fullmatch(_THOUSANDS).all())
        decimal = bool(text.str.fullmatch(_DECIMAL).all())
        convention = _convention(column)
        ambiguous = convention is None and thousands and decimal
        example = _comma_example(column, text) if ambiguous else None
        bad = text.str.contains(",", regex=False) & ~text.str.fullmatch(_THOUSANDS)
        ungrouped = str(text[bad].iloc[0]) if bad.any() else None
        lists = _item_list_example(text) if decimal else None
        if lists is not None:  # text, whatever the file's commas are (no error either)
            _warn_item_lists(column.name, lists)
            return None
        kind = _comma_kind(column.name, convention, thousands, decimal, example, ungrouped)
        if kind is not None:
            return kind
    if text.str.fullmatch(_PERCENT).all():
        return "percent"
    for fmt, pattern in _DATE_FORMATS.items():
        if text.str.fullmatch(pattern).all():
            if pd.to_datetime(text, format=fmt, errors="coerce").notna().all():
                return f"date:{fmt}"
    return None


def _is_dates(values) -> bool:
    """Whether every value is a date or datetime object (a Parquet ``date32`` column's)."""
    return len(values) > 0 and all(isinstance(v, datetime.date) for v in values)


def _stamps(column: pd.Series) -> pd.Series | None:
    """A datetime column (a datetime dtype, or objects that are all dates) as datetime64; None
    for any other column."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    if not pd.api.types.is_object_dtype(column) or not _is_dates(column.dropna()):
        return None
    try:
        return pd.Series(pd.to_datetime(column), index=column.index)
    except (ValueError, TypeError):  # naive and aware datetimes mixed: aware ones by instant
        return pd.Series(pd.to_datetime(column, utc=True), index=column.index)


def _days(stamps: pd.Series) -> np.ndarray:
    """Datetimes as days since 1970-01-01 (float64, NaN where missing); a timezone-aware
    one by its instant, days since 1970-01-01 00:00 UTC."""
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return ((stamps - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)


def _parse_text(column: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` parsed as ``kind`` (see :func:`_text_kind`): float64 values and a mask
    of entries that are present but do not parse.

    A column already of numbers (a comma kind) or of datetimes (a date kind) is taken as
    it is: a model trained on text reads the same values from a numeric file.
    """
    present = column.notna().to_numpy()
    if kind == "timedelta":  # days, the unit of the dates' days since 1970
        if not pd.api.types.is_timedelta64_dtype(column):  # text ("1 days 02:00:00") read as such
            column = pd.Series(pd.to_timedelta(column.astype(str).where(present), errors="coerce"),
                               index=column.index)  # fmt: skip
        values = (column / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
        return values, present & np.isnan(values)
    dates = kind == "datetime" or kind.startswith("date:")
    if dates and (stamps := _stamps(column)) is not None:
        values = _days(stamps)
        return values, present & np.isnan(values)
    if kind in _NUMBER_TEXT and (pd.api.types.is_numeric_dtype(column)
                                 or pd.api.types.is_bool_dtype(column)):  # fmt: skip
        return _numeric_values(column)
    text = column.astype(str).where(present)
    if kind == "percent":  # the number before the sign
        ok = text.str.fullmatch(_PERCENT).fillna(False).to_numpy(dtype=bool)
        cleaned = text.where(ok).str[:-1]
        # Python's float(): correctly rounded (pandas 2.0's to_numeric may land an ulp away)
        values = np.array([float(v) if isinstance(v, str) else np.nan for v in cleaned],
                          dtype=np.float64)
    elif kind in ("thousands", "decimal"):
        if kind == "thousands" and _convention(column) == "decimal":
            _refuse_thousands_in_decimal_file(column, text)
        ok = text.str.fullmatch(_THOUSANDS if kind == "thousands" else _DECIMAL)
        ok = ok.fillna(False).to_numpy(dtype=bool)
        cleaned = text.where(ok)
        if kind == "thousands":
            cleaned = cleaned.str.replace(",", "", regex=False)
        else:
            cleaned = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    elif dates:
        formats = list(_DATE_FORMATS) if kind == "datetime" else [kind[len("date:"):]]
        values = np.full(len(column), np.nan)
        for fmt in formats:  # (ISO text for a datetime column: any of the formats, by value)
            ok = text.str.fullmatch(_DATE_FORMATS[fmt]).fillna(False).to_numpy(dtype=bool)
            ok = ok & np.isnan(values)
            if ok.any():
                stamps = pd.to_datetime(text.where(ok), format=fmt, errors="coerce")
                values = np.where(ok, _days(pd.Series(stamps)), values)
    else:
        raise DataError(f"expected a column parser 'thousands', 'decimal', 'percent', "
                        f"'datetime', 'timedelta' or 'date:<format>'; found {kind!r}")  # fmt: skip
    return values, present & np.isnan(values)


def _refuse_thousands_in_decimal_file(column: pd.Series, text: pd.Series) -> None:
    """DataError when a column the model read with thousands separators holds commas in a
    ``;``-separated file, whose commas are decimal marks: the two readings differ."""
    has = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    if not has.any():
        return
    value = str(text[has].iloc[0])
    numbers, files = _located_rows(column)
    rows = name_data_rows(numbers[has][:10], int(has.sum()), files)
    try:
        readings = (f": {_comma_number(value, 'thousands'):g} as the model reads it, "
                    f"{_comma_number(value, 'decimal'):g} with a decimal comma")  # fmt: skip
    except ValueError:
        readings = ""
    raise DataError(
        f"expected column {column.name!r} written as the model was trained on it, with "
        f"thousands separators; found {value!r} at {rows} in a ';'-separated file, whose "
        f"commas are decimal marks{readings}: write the numbers without separators"
    )


def _describe_kind(kind: str) -> str:
    if kind == "thousands":
        return "numbers with thousands separators (like 12,345.5)"
    if kind == "decimal":
        return "numbers with a decimal comma (like 3,25)"
    if kind == "percent":
        return "percentages (like 12.3%, read as 12.3)"
    if kind == "datetime":
        return "dates (a datetime column, or ISO text like 2020-01-31)"
    if kind == "timedelta":
        return "durations (a timedelta column, or text like '1 days 02:00:00')"
    return f"dates in the format {kind[len('date:'):]} (like 2020-01-31)"


def _thousands_as_numbers(column: pd.Series) -> pd.Series:
    """A target written with thousands separators, decimal commas or as percentages, as
    numbers; any other column as it is."""
    kind = _text_kind(column)
    if kind in _NUMBER_TEXT:
        values, _ = _parse_text(column, kind)
        out = pd.Series(values, index=column.index, name=column.name)
        out.attrs.update(column.attrs)  # the files of a folder's rows
        return out
    return column


def _comma_reading(column: pd.Series) -> str | None:
    """How a target column's text was read as numbers, which a model records so that it
    reads other files alike: ``"thousands"``, ``"decimal"`` or ``"percent"``
    (:func:`_text_kind`), else None (numbers as written, or no numbers)."""
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return None
    kind = _text_kind(column)
    return kind if kind in _NUMBER_TEXT else None


def _numbers_as_recorded(column: pd.Series, kind: str | None) -> pd.Series:
    """A target column read as its model read the training file's.

    ``kind`` is the reading the model recorded (:func:`_comma_reading`): a decimal comma is
    then one whatever the file's separator, as a feature's recorded parser reads it
    (``"12,345"`` in a ``,``-separated file is 12.345 to a model that read decimal commas).
    None (plain numbers, or a model file from before the record): the column's own file
    says, as :func:`_thousands_as_numbers`. A numeric column is taken as it is; text with
    values ``kind`` does not parse is left to the target's checks, which name them.

    Raises
    ------
    DataError
        A ``"thousands"`` reading of commas in a ``;``-separated file, whose commas are
        decimal marks (:func:`_parse_text`'s refusal): the numbers would differ.
    """
    if kind is None:
        return _thousands_as_numbers(column)
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return column
    values, bad = _parse_text(column, kind)
    if bad.any():
        return column
    out = pd.Series(values, index=column.index, name=column.name)
    out.attrs.update(column.attrs)  # the files of a folder's rows
    return out


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
    if all(isinstance(v, str) for v in present) and _item_list_example(present) is not None:
        return False  # lists of items ("1,2", "1"): text, though some values are numbers
    parsed = pd.to_numeric(present, errors="coerce").notna()
    return bool(parsed.mean() >= 0.5)


def _spelling(text: str) -> str:
    """A text value with its case folded and its runs of whitespace made one space, stripped."""
    return " ".join(text.split()).casefold()


# The keys of the spelling warnings said in this command: once each, as Python's "once"
# action would, since a selection's folds and families each fit the column again (with their
# rows' counts) and its ``catch_warnings`` blocks reset the registry that says a text once.
_SAID = per_command()


def _forget_said() -> None:
    """Say each spelling warning again (a new command, or a test)."""
    _SAID.forget()


def unsaid() -> contextlib.AbstractContextManager[None]:
    """Spelling warnings said within are not remembered as said: for fits whose warnings
    are silenced (a selection's candidates), so that the fit kept says them."""
    return _SAID.unsaid()


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
    if not _SAID.first_time(key):
        return
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


def _warn_identifier_dropped(name: str, row_label: bool = False) -> None:
    """The :class:`~probnn.exceptions.DataWarning` of a feature column left out of the
    features because every value is distinct: a text identifier, or (``row_label``) any column
    under an empty header, a row label (the index pandas' ``to_csv`` and R's ``write.csv``
    write); said once per process for the column, however many fits (folds, families) drop
    it; keyed as the spelling warnings are."""
    key = ("identifier", name)
    if not _SAID.first_time(key):
        return
    why = ("(an empty header) dropped from the features: a distinct value in every row under an "
           "empty header is a row label (the index pandas' to_csv and R's write.csv write), not "
           "a measurement; name the column in the header to use it as a feature") if row_label \
        else ("dropped from the features: every one of its values is distinct (an identifier), "
              "so a new row's value is never one the model learned from")  # fmt: skip
    message = DataWarning(f"column {name!r} {why}")
    message.key = key
    warnings.warn(message, stacklevel=1)


_NESTED_VALUES = (list, tuple, dict, set, np.ndarray)


def _refuse_nested(column: pd.Series, name: str) -> None:
    """DataError for a column of lists, structs or maps (nested Parquet types), which no
    number or category stands for: by its Arrow type where the reader recorded it
    (``NESTED_ATTR``), else by its values (an object column holding lists or dicts)."""
    arrow = column.attrs.get(NESTED_ATTR, {}).get(name)
    if arrow is None and pd.api.types.is_object_dtype(column):
        first = column.first_valid_index()  # (a column of them holds them throughout)
        value = None if first is None else column.loc[first]
        if isinstance(value, _NESTED_VALUES):
            arrow = f"{type(value).__name__} values"
    if arrow is not None:
        raise DataError(
            f"expected numbers, text or dates in column {name!r}; found the nested type {arrow} "
            f"(lists, structs and maps are not features): drop it (--drop {name}) or write its "
            "parts as columns of their own"
        )
