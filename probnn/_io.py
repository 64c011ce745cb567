"""Atomic file writes with the user's usual permissions.

Every file probnn writes (model files, prediction CSVs, report pages and
PNGs, figures) goes through :func:`atomic_write`: the data goes to a temporary
file in the destination folder, is flushed to disk, given the mode a plain
``open(path, "w")`` would give (``0o666`` less the umask; ``mkstemp`` alone
leaves ``0o600``), and renamed over the destination with :func:`os.replace`.
An interrupted or failed write leaves the old file or nothing, never half a
file and never a stray temporary.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import tempfile
import threading
from collections.abc import Iterator

__all__ = ["atomic_write", "atomic_path", "current_umask", "default_file_mode"]

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
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS}


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
