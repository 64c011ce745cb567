"""Reading tables: a CSV or Parquet file, or a folder of Parquet files, whole or in batches.

:func:`read_table` reads a table into memory; a :class:`TableSource` reads it in record
batches, in one fixed order (the files sorted by path, each file's rows in order), so every
pass over it sees the same rows in the same pieces. Both read a CSV field as missing by one
rule (:data:`probnn._io.MISSING_MARKERS`: empty, ``NA``, ``NaN``, ``NULL``, ...; the word
``None`` is text), bound a CSV's lines as they are read (:func:`open_csv`), refuse a header
that names a column twice (:func:`check_header`) and say what is wrong in the same words
(the texts below are written once). A row keeps
its 0-based number in its file as its index, by which errors name the data row a user
sees (:func:`row_numbers`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import os
import pathlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pandas as pd

from probnn._io import CSV_MISSING, LineTooLongError, open_text_table
from probnn._validation import describe_rows
from probnn.exceptions import DataError, PrecisionError

__all__ = ["read_table", "sniff_separator", "open_csv", "check_header", "TableSource", "Batch",
           "should_stream", "row_numbers", "READ_ROWS", "STREAM_AUTO_BYTES", "UNNAMED_ATTR",
           "NESTED_ATTR"]  # fmt: skip

_PARQUET_SUFFIXES = (".parquet", ".pq")


# ------------------------------------------------- what is wrong with a file, in one wording
def unreadable(kind: str, path, exc: BaseException, *, verb: str = "parse",
               after: int | None = None) -> DataError:  # fmt: skip
    """The one-line error of a ``kind`` ("CSV", "Parquet") file that cannot be read: the
    reader's message on one line, and the rows read before it (``after``), if any."""
    where = f"{path}" if after is None else f"{path} after row {after:,}"
    return DataError(f"expected a readable {kind} file; could not {verb} {where}: "
                     f"{' '.join(str(exc).split())}")  # fmt: skip


def empty_file(path) -> DataError:
    return DataError(f"expected a table with a header and rows; found an empty file {path}")


def header_only(path) -> DataError:
    return DataError(f"expected at least one data row; found only a header in {path}")


def no_parquet_engine(what: str, hint: str = "") -> DataError:
    return DataError(f"expected a Parquet engine to read {what}; found none installed: "
                     f"pip install 'probnn[parquet]'{hint}")  # fmt: skip


def row_numbers(index: pd.Index) -> np.ndarray:
    """The data row of each row of a frame, as its user counts them: 1 is the first row
    after the header (a CSV file's line 2, a spreadsheet's row 2).

    A table read by :func:`read_table` (or a batch of :class:`TableSource`)
    carries each row's 0-based number in its file as its index, which a split keeps: the
    data row is the index + 1. A frame with any other index is counted by position.

    Parameters
    ----------
    index : pandas.Index of length n_rows

    Returns
    -------
    ndarray of int64, shape (n_rows,)
    """
    if len(index) and pd.api.types.is_integer_dtype(index) and index.min() >= 0:
        return index.to_numpy(dtype=np.int64) + 1
    return np.arange(1, len(index) + 1, dtype=np.int64)


# A table read from a folder of files end to end (read_table) keeps in its ``attrs`` each
# file's (path, first row, rows), so its rows are named within their file, as when streamed.
FILES_ATTR = "probnn_files"
# A table read from a CSV file keeps its field separator in its ``attrs``: it says what a
# comma in a number means (``probnn.tables.columns._convention``: ";" files write decimal commas).
SEPARATOR_ATTR = "probnn_separator"
# A table read from a file keeps in its ``attrs`` the columns whose header field is empty
# (pandas names them "Unnamed: N"; a column literally named so in the header is not one):
# where every value is distinct such a column is a row label, the index pandas' ``to_csv``
# and R's ``write.csv`` write (``probnn.tables.preprocessing``).
UNNAMED_ATTR = "probnn_unnamed"
# ... and its Parquet columns of nested types (list, struct, map, union) with their Arrow type,
# which no feature can be made of (``probnn.tables.preprocessing`` refuses them by name).
NESTED_ATTR = "probnn_nested"


def _located_rows(where) -> tuple[np.ndarray, list | None]:
    """The data row of each row of ``where`` (an Index, Series or DataFrame) and the files
    it was read from (a Parquet folder), if any."""
    index = where if isinstance(where, pd.Index) else where.index
    files = None if isinstance(where, pd.Index) else where.attrs.get(FILES_ATTR)
    return row_numbers(index), files


def _rows(mask: np.ndarray, where) -> str:
    """:func:`describe_rows` of a mask over the rows of ``where`` (an Index, Series or
    DataFrame), in data rows (:func:`row_numbers`), within their file for a folder."""
    numbers, files = _located_rows(where)
    return describe_rows(mask, numbers=numbers, files=files)


def check_unique_columns(names: Sequence[str], where: str) -> None:
    """DataError naming the column names that occur more than once in a header.

    pandas would read a second ``y`` as ``y.1``, silently a feature beside the target. Empty
    names are no names (pandas reads each as its own "Unnamed: N"; Excel's trailing empty
    columns): they may repeat.
    """
    seen: dict[str, int] = {}
    for name in names:
        if str(name).strip():
            seen[str(name)] = seen.get(str(name), 0) + 1
    twice = [f"{name!r} ({n} times)" for name, n in seen.items() if n > 1]
    if twice:
        raise DataError(
            f"expected each column name once in the header of {where}; found "
            f"{', '.join(twice[:10])}{', ...' if len(twice) > 10 else ''}: rename or remove "
            "the repeated columns"
        )


def _csv_header(path: pathlib.Path, sep: str) -> list[str]:
    """The field names of a text table's first record, as written (before pandas renames
    a repeated name)."""
    if len(sep) != 1:  # a regular expression for pandas: no csv reader of the same rule
        return []
    try:  # bounded, and through gzip where the file is one (open_csv's rules)
        with open_text_table(path) as fh:
            line = fh.readline(MAX_HEADER_BYTES + 1)
            if _separator_line(line) is not None:
                line = fh.readline(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError, ValueError):
        return []  # open_csv names what cannot be read
    try:
        return next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=sep), [])
    except csv.Error:  # pandas names what does not parse
        return []


def unnamed_columns(path: str | os.PathLike, sep: str, columns: Sequence[str]) -> list[str]:
    """The columns (as pandas names them) of a CSV whose header field is empty or blank.

    Told by position from the header as written, so a column the header names
    ``Unnamed: 0`` is not one; [] where pandas read another number of columns.
    """
    fields = _csv_header(pathlib.Path(path), sep)
    if len(fields) != len(columns):
        return []
    return [str(c) for c, field in zip(columns, fields) if not field.strip()]


def nested_columns(schema) -> dict[str, str]:
    """The columns of an Arrow schema of a nested type (list, struct, map, union) and
    their types, as Arrow writes them."""
    import pyarrow as pa

    nested = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list,
              pa.types.is_struct, pa.types.is_map, pa.types.is_union)  # fmt: skip
    out = {}
    for field in schema:
        if any(test(field.type) for test in nested) or str(field.type).startswith("list_view"):
            out[str(field.name)] = str(field.type)
    return out


def check_header(path: str | os.PathLike, sep: str | None = None) -> None:
    """DataError when a CSV / Parquet file's header names a column more than once."""
    path = pathlib.Path(path)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        try:
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
        except Exception:  # noqa: BLE001 - unreadable files are named by the reader
            return
    else:
        names = _csv_header(path, sniff_separator(path) if sep is None else sep)
    check_unique_columns(names, str(path))

# ----------------------------------------------------------------- reading
_SEPARATORS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024


# Bounds on a CSV's lines, so that one enormous line (a field that runs on, a file that is
# not a table) is refused as it is read rather than taking all memory: the header at most
# MAX_HEADER_BYTES, every other line at most MAX_FIELD_BYTES per column of the header.
MAX_FIELD_BYTES = 1 << 20
MAX_HEADER_BYTES = 64 << 20


# Excel's separator declaration, line 1 of a CSV saved with one: ``sep=;`` (quoted by some)
_SEP_LINE = re.compile(rb'(?:\xef\xbb\xbf)?"?sep=(.)"?[ \t]*\r?\n?')


def _separator_line(line: bytes) -> str | None:
    """The separator a CSV's first line declares (Excel's ``sep=,``), or None."""
    match = _SEP_LINE.fullmatch(line)
    if match is None:
        return None
    sep = match.group(1).decode("latin-1")
    return sep if sep not in "\r\n\"" else None


def not_utf8(path: str | os.PathLike, exc: UnicodeDecodeError,
             sep: str | None = None) -> DataError:  # fmt: skip
    """The one-line error of a text table that is not UTF-8: the line, character and column
    (``sep``: the file's separator) of the first byte that does not decode, and what to do.

    The file is read again (only when it failed) to find that line. probnn guesses no other
    encoding: a byte such as 0xe9 is a letter in cp1252, Latin-1, Latin-9, ... alike, and
    a wrong guess would silently rename categories.
    """
    byte = bytes(exc.object[exc.start:exc.start + 1])
    line, column, prefix = 1, 1, ""  # prefix: the failing line's text before the byte
    try:
        decoder = codecs.getincrementaldecoder("utf-8")()
        with open_text_table(path) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                try:
                    text, bad = decoder.decode(chunk), None
                except UnicodeDecodeError as error:
                    text, bad = error.object[:error.start].decode("utf-8"), error
                line += text.count("\n")
                tail = text.rsplit("\n", 1)
                prefix = (tail[-1] if len(tail) > 1 else prefix + text)[-(1 << 20):]
                column = len(prefix) + 1
                if bad is not None:
                    byte = bytes(bad.object[bad.start:bad.start + 1])
                    break
            else:
                line = None
    except (OSError, EOFError, ValueError):
        line = None
    where = ""
    if line is not None:
        where = f" at line {line:,}, character {column:,}"
        header = _csv_header(pathlib.Path(path), sep) if sep else []
        fields = next(csv.reader([prefix], delimiter=sep), [""]) if sep else []
        if 0 < len(fields) <= len(header) and line > 1:
            where += f" (column {header[len(fields) - 1]!r})"
    latin = byte.decode("cp1252", errors="replace")
    return DataError(
        f"expected a UTF-8 text file; {path} is not UTF-8: the byte 0x{byte.hex()}{where} "
        f"(read as {latin!r} in Windows-1252 / Latin-1) does not decode: save the file as UTF-8 "
        "(Excel: \"CSV UTF-8\"; iconv -f cp1252 -t utf-8)"
    )


def sniff_separator(path: str | os.PathLike) -> str:
    """The field separator of a text table among ``, ; TAB |``, from its first lines; the one
    line 1 declares where it is Excel's ``sep=X`` (a line :func:`open_csv` reads past).

    The separator chosen splits every sampled line (quotes respected) into the
    same number of fields, more than one, and the most of them; a comma when
    none does. A gzip file is read decompressed.

    Raises
    ------
    DataError
        If the file is not text (another compression, binary data).
    """
    try:
        with open_text_table(path) as fh:
            head = fh.read(_SNIFF_BYTES)
            truncated = bool(fh.read(1))
    except (OSError, EOFError) as exc:  # a gzip file that ends early
        raise unreadable("CSV", path, exc, verb="read") from None
    except ValueError as exc:
        raise DataError(str(exc)) from None
    if b"\r" in head and b"\n" not in head:
        raise DataError(
            f"expected lines ending in LF or CRLF; {path} ends its lines with a lone carriage "
            "return (classic Mac OS, Excel's \"CSV (Macintosh)\"): save it with Unix or "
            "Windows line ends (tr '\\r' '\\n' < old.csv > new.csv)"
        )
    first = head.split(b"\n", 1)
    if (declared := _separator_line(first[0] + b"\n")) is not None:
        return declared
    text = head.decode("utf-8", errors="replace")
    best, best_fields = ",", 1
    for sep in _SEPARATORS:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if r]
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the sample may end inside a line
        counts = {len(r) for r in rows[:50]}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = sep, fields
    return best


def open_csv(path: str | os.PathLike, sep: str) -> tuple[BinaryIO, int]:
    """A CSV opened for ``pandas.read_csv`` with its lines bounded, and the bound.

    Line 1 (the header) may hold :data:`MAX_HEADER_BYTES`; every other line
    :data:`MAX_FIELD_BYTES` per column of the header. A longer line raises
    :class:`probnn._io.LineTooLongError` while it is read (see :func:`line_too_long`).
    Excel's separator declaration (line 1 ``sep=;``) is read past: the handle starts at
    the header, line 2.

    Raises
    ------
    DataError
        If the header itself is too long, or the file is not text.
    """
    try:
        with open_text_table(path) as fh:
            line = fh.readline(MAX_HEADER_BYTES + 1)
            declared = _separator_line(line) is not None
            if declared:
                line = fh.readline(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise unreadable("CSV", path, exc, verb="read") from None
    except ValueError as exc:
        raise DataError(str(exc)) from None
    if len(line.rstrip(b"\r\n")) > MAX_HEADER_BYTES:
        raise line_too_long(path, LineTooLongError(1 + declared, MAX_HEADER_BYTES))
    fields = next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=sep), [])
    limit = max(1, len(fields)) * MAX_FIELD_BYTES
    handle = open_text_table(path, line_limit=limit, header_limit=MAX_HEADER_BYTES)
    if declared:  # (line 2, the header, within the line bound: its fields are that long)
        handle = io.BufferedReader(handle)
        handle.readline()
    return handle, limit


def line_too_long(path: str | os.PathLike, exc: LineTooLongError) -> DataError:
    """The one-line error of a CSV line past its bound (:func:`open_csv`)."""
    if exc.line == 1:
        return DataError(f"expected a CSV header line of at most {exc.limit:,} bytes; line 1 of "
                         f"{path} is longer (is it a table?)")  # fmt: skip
    return DataError(
        f"expected CSV lines of at most {MAX_FIELD_BYTES:,} bytes per column ({exc.limit:,} "
        f"bytes here); line {exc.line:,} of {path} is longer: a field that runs on (an "
        "unclosed quote?) or a file that is not a table"
    )


def read_table(path: str | os.PathLike, *, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file (chosen by the suffix ``.parquet`` / ``.pq``), or a
    folder of Parquet files (whole, in the order of their sorted paths; see
    :class:`TableSource` to read one in batches).

    Parameters
    ----------
    path : path-like
    sep : str or None, default=None
        Field separator of a text file; None sniffs it among ``, ; TAB |``
        (:func:`sniff_separator`). Ignored for Parquet.

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)

    Raises
    ------
    DataError
        If the file is missing, is not a readable table, or has no rows.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise DataError(f"expected a data file; found nothing at {path}")
    if path.is_dir():
        source = TableSource(path)
        frame = source.read_all()
        frame.columns = [str(c) for c in frame.columns]
        frame.index = pd.RangeIndex(len(frame))
        starts = np.concatenate([[0], np.cumsum(source._file_rows)[:-1]]).tolist()
        frame.attrs[FILES_ATTR] = [(str(f), int(a), int(n))
                                   for f, a, n in zip(source.files, starts, source._file_rows)]  # fmt: skip
        source._mark(frame)
        return frame
    if not path.is_file():
        raise DataError(f"expected a data file; found something else at {path}")
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            check_header(path)
            frame = pd.read_parquet(path)
            import pyarrow.parquet as pq

            nested = nested_columns(pq.read_schema(path))
        else:
            sep = sniff_separator(path) if sep is None else sep
            check_header(path, sep)
            handle, _ = open_csv(path, sep)
            with handle:
                frame = pd.read_csv(handle, sep=sep, **CSV_MISSING)
    except LineTooLongError as exc:
        raise line_too_long(path, exc) from None
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, sep) from None
    except ImportError:
        raise no_parquet_engine(str(path), " (or save the table as CSV)") from None
    except pd.errors.EmptyDataError:
        raise empty_file(path) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
        kind = "Parquet" if path.suffix.lower() in _PARQUET_SUFFIXES else "CSV"
        raise unreadable(kind, path, exc) from None
    if frame.shape[0] == 0:
        raise header_only(path)
    frame.columns = [str(c) for c in frame.columns]
    if path.suffix.lower() not in _PARQUET_SUFFIXES:
        frame.attrs[SEPARATOR_ATTR] = sep
        unnamed = unnamed_columns(path, sep, frame.columns)
    else:
        unnamed = [c for c in frame.columns if not c.strip()]
        if nested:
            frame.attrs[NESTED_ATTR] = nested
    if unnamed:
        frame.attrs[UNNAMED_ATTR] = unnamed
    return frame


READ_ROWS = 65_536  # rows per record batch read
# ``probnn fit --stream auto`` streams a folder, and a file at least this large
STREAM_AUTO_BYTES = 1 << 30


# ------------------------------------------------------------ in batches
@dataclass
class Batch:
    """Consecutive rows of a table: ``frame`` holds rows ``start .. start + len - 1``.

    ``file`` is the file they come from and ``file_start`` the first one's row in it; the
    frame's index is each row's 0-based number in its file, so errors name the data row a
    user sees (:func:`row_numbers`: the index + 1).
    """

    frame: pd.DataFrame
    file: pathlib.Path
    file_start: int
    start: int

    @property
    def rows(self) -> np.ndarray:
        """Row numbers in the whole table (uint64), shape (n_rows,)."""
        return np.arange(self.start, self.start + len(self.frame), dtype=np.uint64)

    def where(self) -> str:
        return f"{self.file}"


def should_stream(path: str | os.PathLike, mode: str = "auto") -> bool:
    """Whether ``probnn fit`` streams DATA: ``mode`` "yes" / "no", or "auto" (a folder, or
    a file of at least ``STREAM_AUTO_BYTES``)."""
    if mode != "auto":
        return mode == "yes"
    path = pathlib.Path(path)
    return path.is_dir() or (path.is_file() and path.stat().st_size >= STREAM_AUTO_BYTES)


class TableSource:
    """A table read in record batches, in one fixed order.

    Parameters
    ----------
    path : path-like
        A Parquet file (``.parquet`` / ``.pq``), a folder of them (searched recursively,
        taken in the order of their sorted paths), or a CSV / text file (any other suffix,
        read with ``pandas.read_csv(chunksize=...)``).
    batch_rows : int, default=READ_ROWS
        Rows per batch (a Parquet file's batches also end where the file does).
    sep : str or None
        Field separator of a text file; None sniffs it.

    Attributes
    ----------
    files : list of pathlib.Path
    columns : list of str
    n_rows : int or None
        Known from the Parquet footers; None for CSV until a pass has counted them.
    """

    def __init__(self, path: str | os.PathLike, *, batch_rows: int = READ_ROWS,
                 sep: str | None = None):  # fmt: skip
        self.path = pathlib.Path(path)
        self.batch_rows = int(batch_rows)
        if self.batch_rows < 1:
            raise ValueError(f"batch_rows must be >= 1; found {batch_rows!r}")
        if not self.path.exists():
            raise DataError(f"expected a data file or a folder of Parquet files; found nothing at {self.path}")
        if self.path.is_dir():
            self.files = sorted(p for p in self.path.rglob("*")
                                if p.is_file() and p.suffix.lower() in _PARQUET_SUFFIXES)  # fmt: skip
            if not self.files:
                raise DataError(f"expected Parquet files (*.parquet, *.pq) in the folder {self.path}; found none")
            self.kind = "parquet"
        else:
            self.files = [self.path]
            self.kind = "parquet" if self.path.suffix.lower() in _PARQUET_SUFFIXES else "csv"
        self.sep = sep
        self.n_rows: int | None = None
        self.columns: list[str] = []
        self.unnamed: list[str] = []  # columns under an empty header (UNNAMED_ATTR)
        self.nested: dict[str, str] = {}  # Parquet columns of nested types (NESTED_ATTR)
        self._file_rows: list[int] = []
        self.check()

    # ------------------------------------------------------------- checks
    def check(self) -> None:
        """Open every file's header / footer: a corrupt or foreign file is named at once.

        Raises
        ------
        DataError
            One line naming the first file that cannot be read as a table, or whose
            columns differ from the first file's.
        """
        if self.kind == "csv":
            if self.sep is None:
                self.sep = sniff_separator(self.path)
            try:
                handle, _ = open_csv(self.path, self.sep)  # the header's length bounded
                with handle:
                    header = pd.read_csv(handle, sep=self.sep, nrows=0, **CSV_MISSING)
            except pd.errors.EmptyDataError:
                raise empty_file(self.path) from None
            except DataError:
                raise
            except LineTooLongError as exc:  # (pandas reads ahead of the header)
                raise line_too_long(self.path, exc) from None
            except UnicodeDecodeError as exc:
                raise not_utf8(self.path, exc, self.sep) from None
            except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
                raise unreadable("CSV", self.path, exc) from None
            check_header(self.path, self.sep)
            self.columns = [str(c) for c in header.columns]
            self.unnamed = unnamed_columns(self.path, self.sep, self.columns)
            return
        pq = _parquet()
        first = None
        self._file_rows = []
        for path in self.files:
            try:
                meta = pq.ParquetFile(path)
                schema = meta.schema_arrow
                n = meta.metadata.num_rows
            except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds
                raise unreadable("Parquet", path, exc, verb="read") from None
            names = _data_columns(schema)
            check_unique_columns(names, str(path))
            if first is None:
                first = (path, names)
                self.nested = {k: v for k, v in nested_columns(schema).items() if k in names}
            elif set(names) != set(first[1]):  # (in any order: read by name, as a CSV's)
                differ = [f"{what} {', '.join(map(repr, cols[:10]))}" for what, cols in (
                    ("has", [c for c in names if c not in first[1]]),
                    ("lacks", [c for c in first[1] if c not in names])) if cols]  # fmt: skip
                raise DataError(f"expected the same columns in every Parquet file of "
                                f"{self.path}; {path} {' and '.join(differ)}, which "
                                f"{first[0]} does not")  # fmt: skip
            self._file_rows.append(int(n))
        self.columns = list(first[1])
        self.unnamed = [c for c in self.columns if not c.strip()]
        self.n_rows = sum(self._file_rows)
        if self.n_rows == 0:
            raise DataError(f"expected at least one data row; found none in {self.path}")

    # ------------------------------------------------------------ batches
    def batches(self, columns: Sequence[str] | None = None) -> Iterator[Batch]:
        """The table's rows in batches, always in the same order (``columns``: a subset)."""
        columns = list(self.columns if columns is None else columns)
        if self.kind == "csv":
            yield from self._csv_batches(columns)
            return
        pq = _parquet()
        start = 0
        for path, n_file in zip(self.files, self._file_rows):
            file_start = 0
            try:
                # buffered reads of the column chunks (1 MiB at a time, none read ahead whole):
                # memory bounded by the batch, not by the row group
                reader = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
                for record_batch in reader.iter_batches(batch_size=self.batch_rows, columns=columns,
                                                        use_threads=False):  # fmt: skip
                    frame = record_batch.to_pandas()
                    frame.columns = [str(c) for c in frame.columns]
                    if list(frame.columns) != columns:  # a file of another column order
                        frame = frame[columns]
                    frame.index = pd.RangeIndex(file_start, file_start + len(frame))
                    self._mark(frame)
                    yield Batch(frame, path, file_start, start)
                    file_start += len(frame)
                    start += len(frame)
            except Exception as exc:  # noqa: BLE001 - a page that cannot be decoded
                raise unreadable("Parquet", path, exc, verb="read", after=file_start) from None

    def _csv_batches(self, columns: list[str]) -> Iterator[Batch]:
        start = 0
        # every line's bytes bounded (MAX_FIELD_BYTES per column): memory stays
        # bounded by the batch, whatever one line of the file holds
        handle, _ = open_csv(self.path, self.sep)
        try:
            reader = pd.read_csv(handle, sep=self.sep, chunksize=self.batch_rows, usecols=columns,
                                 **CSV_MISSING)
            # (the reader closed before its file: closed after, pandas 2.0's reader raised
            # "I/O operation on closed file" when a caller stopped reading early)
            with handle, reader:
                for frame in reader:
                    frame = frame[columns]
                    frame.columns = [str(c) for c in frame.columns]
                    frame.index = pd.RangeIndex(start, start + len(frame))
                    frame.attrs[SEPARATOR_ATTR] = self.sep
                    self._mark(frame)
                    yield Batch(frame, self.path, start, start)
                    start += len(frame)
        except LineTooLongError as exc:
            raise line_too_long(self.path, exc) from None
        except UnicodeDecodeError as exc:
            raise not_utf8(self.path, exc, self.sep) from None
        except (pd.errors.ParserError, ValueError, OSError, EOFError) as exc:
            raise unreadable("CSV", self.path, exc, after=start) from None
        finally:
            handle.close()
        if self.n_rows is None:
            self.n_rows = start
        if start == 0:
            raise header_only(self.path)

    def _mark(self, frame: pd.DataFrame) -> None:
        """A batch's ``attrs``: its columns under an empty header, its nested ones (as
        :func:`read_table` marks a table)."""
        if unnamed := [c for c in self.unnamed if c in frame.columns]:
            frame.attrs[UNNAMED_ATTR] = unnamed
        if nested := {k: v for k, v in self.nested.items() if k in frame.columns}:
            frame.attrs[NESTED_ATTR] = nested

    def columns_frame(self) -> pd.DataFrame:
        """An empty frame with the table's columns (for checks that name them)."""
        return pd.DataFrame(columns=self.columns)

    def read_all(self) -> pd.DataFrame:
        """The whole table in memory (the in-memory path on the same rows)."""
        frames = [b.frame for b in self.batches()]
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise no_parquet_engine("Parquet files") from None
    return pq


def _data_columns(schema) -> list[str]:
    """The schema's columns, less a pandas index stored as a column."""
    index = set()
    meta = schema.pandas_metadata or {}
    for item in meta.get("index_columns", []):
        if isinstance(item, str):
            index.add(item)
    return [str(n) for n in schema.names if n not in index]


def _located(batch: Batch, run: Callable[[], object]):
    """``run()``; a DataError it raises names the batch's file (its rows are the file's
    data rows, from the batch's index)."""
    try:
        return run()
    except PrecisionError as exc:  # stays one: float64 may be taken instead
        raise exc.located(batch.where()) from None
    except DataError as exc:
        raise DataError(f"{batch.where()}: {exc}") from None
