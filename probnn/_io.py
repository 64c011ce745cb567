"""Atomic file writes with the user's usual permissions; text tables read with bounds.

Every file probnn writes (model files, prediction CSVs, report pages and
PNGs, figures) goes through :func:`atomic_write`: the data goes to a temporary
file in the destination folder, is flushed to disk, given the mode a plain
``open(path, "w")`` would give (``0o666`` less the umask; ``mkstemp`` alone
leaves ``0o600``), and renamed over the destination with :func:`os.replace`.
An interrupted or failed write leaves the old file or nothing, never half a
file and never a stray temporary.

Text tables (CSV) are opened through :func:`open_text_table`: a gzip file is
read decompressed, another compression or a binary file is refused by its
first bytes, and no line may be longer than a bound (:class:`LineTooLongError`),
so a file of one enormous line cannot take all memory, and read with one rule for which
fields are missing values (:data:`MISSING_MARKERS`, :data:`CSV_MISSING`).
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import os
import pathlib
import tempfile
import threading
from collections.abc import Iterator
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_path", "current_umask", "default_file_mode",
           "open_text_table", "not_text", "LineTooLongError", "MISSING_MARKERS", "CSV_MISSING"]

# The fields of a text table (CSV) read as a missing value, in every column and by every
# reader (a file in memory or streamed; fit, predict, evaluate, compare): an empty field, R's
# NA, and the markers NumPy, pandas, Excel, SQL tools and C runtimes write for one; matched
# exactly (case and spaces as written). pandas' default list less "None", which pandas 2.0
# added: an English word and a real category (Cars93's AirBags "None"), so "None" and "none"
# stay text. Pinned here rather than taken from pandas, so every pandas version reads a file
# the same way (a model trained on the label "None" sees it as that label at predict time).
MISSING_MARKERS = frozenset({
    "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "#N/A", "#N/A N/A", "#NA", "<NA>",
    "NULL", "null", "-1.#IND", "1.#IND", "-1.#QNAN", "1.#QNAN",
})
# ``pandas.read_csv`` options that read exactly MISSING_MARKERS as missing
CSV_MISSING = {"keep_default_na": False, "na_values": sorted(MISSING_MARKERS)}

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it for other threads.

    Linux reports it in ``/proc/self/status``; elsewhere it is read by setting
    and restoring it under a lock (``os.umask`` has no read-only form).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def default_file_mode() -> int:
    """Mode of a newly created file: ``0o666 & ~umask``."""
    return 0o666 & ~current_umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[pathlib.Path]:
    """A temporary path beside ``path`` that becomes ``path`` when the block succeeds.

    For writers that want a file name rather than bytes (e.g. safetensors'
    ``save_file``). The block writes the temporary file; on success it is
    fsynced, given :func:`default_file_mode` and renamed over ``path``; on any
    exception (Ctrl-C, and SIGTERM in the ``probnn`` command, included) it is
    removed and the exception propagates; an ``OSError`` of the write itself (a
    full disk: ``ENOSPC``) is raised again naming ``path``, not the temporary.

    Parameters
    ----------
    path : path-like
        Destination; its folder must exist.

    Yields
    ------
    pathlib.Path
        The temporary file (created empty, in ``path``'s folder).
    """
    path = pathlib.Path(path)
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield pathlib.Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and _about_the_write(exc, tmp):
            # the user knows the destination, not our temporary name beside it
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


# A write error that names no file: in a block writing one file, that file's.
_WRITE_ERRNOS = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS")
                 if hasattr(errno, name)}  # (Windows lacks some)


def _about_the_write(exc: OSError, tmp: str) -> bool:
    """Whether ``exc`` is the failure of writing the temporary file ``tmp``."""
    if exc.filename is not None:
        return os.path.abspath(str(exc.filename)) == os.path.abspath(tmp)
    return exc.errno in _WRITE_ERRNOS


def atomic_write(path: str | os.PathLike, data: bytes | str) -> pathlib.Path:
    """Write ``data`` to ``path`` atomically, with mode ``0o666 & ~umask``.

    Parameters
    ----------
    path : path-like
        Destination; its folder must exist. An existing file is replaced only
        once the new contents are completely on disk.
    data : bytes or str
        File contents; a str is encoded as UTF-8 and written as is (no newline
        translation).

    Returns
    -------
    pathlib.Path
        The written path.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(payload)
    return pathlib.Path(path)


# ------------------------------------------------------------------ reading text tables
# First bytes of files that are not text: compressed files, and formats a table comes in.
_MAGIC = (
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx file is one)"),
    (b"PAR1", "a Parquet file (give it the suffix .parquet)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel / Office file"),
)
_SNIFF = 64 * 1024


def not_text(head: bytes) -> str | None:
    """What a file starting with ``head`` is when it is not a text table, else None.

    Parameters
    ----------
    head : bytes
        The file's first bytes (64 KiB or all of it).

    Returns
    -------
    str or None
        E.g. ``"a bzip2-compressed file"``, or ``"binary data (a NUL byte at byte 17)"``.
    """
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    nul = head.find(b"\x00")
    if nul >= 0:  # text (UTF-8, Latin-1) never holds NUL; UTF-16 does, and pandas wants UTF-8
        return f"binary data (a NUL byte at byte {nul + 1:,})"
    return None


class LineTooLongError(ValueError):
    """A line of a text table is longer than the bound it is read with.

    Attributes
    ----------
    line : int
        The line's number in the file, from 1 (the header is line 1).
    limit : int
        The bound, in bytes.
    """

    def __init__(self, line: int, limit: int):
        self.line, self.limit = line, limit
        super().__init__(f"line {line:,} is longer than {limit:,} bytes")


class _BoundedLines(io.RawIOBase):
    """Bytes of ``raw`` that raise :class:`LineTooLongError` once a line grows past its bound.

    Reads are at most ``min(limits)`` bytes, so only the line running across reads needs
    counting: memory stays bounded by the limit, whatever the file holds. ``read`` is
    what ``pandas.read_csv`` calls; there is no ``readline``.
    """

    def __init__(self, raw: BinaryIO, limit: int, first_limit: int):
        super().__init__()
        self._raw, self._limit, self._first = raw, int(limit), int(first_limit)
        self._step = max(1, min(self._limit, self._first, 4 << 20))
        self._line = 1  # the line being read, from 1
        self._length = 0  # its bytes so far

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # one read of the file per call, counted as it passes (no copy): pandas asks for
        # 256 KiB at a time; reads longer than the bound are cut to it
        if size is None or size < 0:  # all of it, each piece counted
            return b"".join(iter(lambda: self.read(self._step), b""))
        data = self._raw.read(min(size, self._step))
        n = len(data)
        first = data.find(b"\n")
        if first < 0:
            self._grow(n)
            return data
        self._grow(first)  # the line running in from earlier reads ends here
        # lines wholly inside this read are shorter than it, so within every bound
        self._line += data.count(b"\n")
        self._length = 0
        self._grow(n - data.rfind(b"\n") - 1)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _grow(self, k: int) -> None:
        self._length += k
        bound = self._first if self._line == 1 else self._limit
        if self._length > bound:
            raise LineTooLongError(self._line, bound)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_text_table(path: str | os.PathLike, *, line_limit: int | None = None,
                    header_limit: int | None = None) -> BinaryIO:  # fmt: skip
    """Open a text table for reading: decompressed if gzip, refused if not text.

    Parameters
    ----------
    path : path-like
    line_limit : int, optional
        Most bytes a line after the first may have (the newline excluded); a longer one
        raises :class:`LineTooLongError` as soon as it is read past the bound.
    header_limit : int, optional
        The same for line 1 (default: ``line_limit``).

    Returns
    -------
    binary file object
        Given to ``pandas.read_csv`` or read with ``read`` (and, without bounds, with
        ``readline``); close it.

    Raises
    ------
    ValueError
        If the file is compressed other than with gzip, or holds binary data; the
        message says which, naming the file.
    """
    path = pathlib.Path(path)
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF)
    gzipped = head.startswith(b"\x1f\x8b")
    if gzipped:
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(_SNIFF)
        except (OSError, EOFError) as exc:
            raise ValueError(f"expected a readable gzip-compressed CSV file; {path} is not one "
                             f"({exc})") from None  # fmt: skip
    what = not_text(head)
    if what is not None:
        raise ValueError(f"expected a CSV text file (or one compressed with gzip); {path} is "
                         f"{what}")  # fmt: skip
    raw: BinaryIO = gzip.open(path, "rb") if gzipped else open(path, "rb")
    if line_limit is None and header_limit is None:
        return raw
    limit = line_limit if line_limit is not None else header_limit
    first = header_limit if header_limit is not None else limit
    return _BoundedLines(raw, limit, first)
