"""Model files: weights in safetensors, everything else as JSON metadata.

A probnn model file is a plain safetensors file whose string metadata holds

* ``format``: ``"probnn-model"`` (marks the file as ours),
* ``format_version``: an integer; files from a newer format are refused,
* ``probnn_version``: the version that wrote it,
* ``model``: JSON with the kind (``"tabular"`` or ``"estimator"``), family,
  architecture, preprocessing and class labels,
* ``sha256``: a checksum over the model JSON and every tensor's bytes, so a
  flipped byte anywhere is caught rather than silently loaded.

Loading reads tensors and JSON only; nothing is ever unpickled. Saving writes
a temporary file in the destination folder and renames it over the target
(``os.replace`` is atomic), so an interrupted save leaves the old file or
nothing, never half a model.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pathlib
import struct

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from probnn._io import atomic_path
from probnn._version import __version__
from probnn.exceptions import DataError, NetworkTooLargeError

__all__ = ["save_model", "load_model", "FORMAT", "FORMAT_VERSION"]

FORMAT = "probnn-model"
FORMAT_VERSION = 1

# A safetensors file starts with the header length as a little-endian uint64.
_HEADER_LEN = struct.Struct("<Q")
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header


def _checksum(model_json: str, arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256(model_json.encode("utf-8"))
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def save_model(model, path: str | os.PathLike) -> pathlib.Path:
    """Write a fitted model to ``path`` atomically.

    Parameters
    ----------
    model : TabularModel or fitted estimator
        Anything with ``_export_state() -> (arrays, meta)``: a
        :class:`probnn.tables.model.TabularModel`, ``MLPClassifier``,
        ``MLPRegressor``, ``GaussianGenerativeClassifier``, ``EnsembleRegressor`` or
        ``LaplaceApproximation``; or a fitted ``AutoRegressor`` / ``AutoClassifier``, whose
        chosen model (``best_estimator_``, a TabularModel) is saved, and loads back as that.
    path : path-like
        Destination; conventionally ``*.safetensors``. Its folder must exist.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        For anything else (a scikit-learn ``Pipeline``: save its probnn step instead).
    """
    from probnn.tables.model import TabularModel

    path = pathlib.Path(path)
    if hasattr(model, "_model_to_save"):  # AutoRegressor / AutoClassifier: the chosen model
        model = model._model_to_save()
    if not hasattr(model, "_export_state"):
        hint = (" (a scikit-learn Pipeline: save its probnn step, pipeline[-1], and keep the "
                "preprocessing steps apart)" if hasattr(model, "steps") else "")
        raise TypeError(
            "save_model expects a TabularModel, a fitted probnn estimator (MLPRegressor, "
            "MLPClassifier, GaussianGenerativeClassifier, EnsembleRegressor, "
            "LaplaceApproximation) or a fitted AutoRegressor/AutoClassifier; found "
            f"{type(model).__name__}{hint}")
    arrays, meta = model._export_state()
    kind = "tabular" if isinstance(model, TabularModel) else "estimator"
    arrays = {str(k): np.ascontiguousarray(v) for k, v in arrays.items()}
    model_json = json.dumps({"kind": kind, **meta}, allow_nan=True)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "probnn_version": __version__,
        "model": model_json,
        "sha256": _checksum(model_json, arrays),
    }
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir():
        raise DataError(f"expected an existing folder to save the model in; found no folder {folder}")
    # temporary file beside the target, fsync, mode 0o666 & ~umask, os.replace; removed
    # whatever stops the write (error, Ctrl-C), so no partial file is left behind
    with atomic_path(path) as tmp:
        try:
            save_file(arrays, str(tmp), metadata=metadata)
        except SafetensorError as exc:  # its I/O errors (a full disk) come as this type
            detail = " ".join(str(exc).split())
            code = errno.ENOSPC if "StorageFull" in detail or "No space" in detail else errno.EIO
            raise OSError(code, f"{os.strerror(code)} (safetensors: {detail})", str(path)) from exc
        _sort_header(tmp)
    return path


def _sort_header(path: pathlib.Path) -> None:
    """Rewrite a safetensors file's JSON header with its keys sorted, in place.

    The library writes the header's entries (the metadata's and the tensors') in a hash
    map's order, which changes from one call to the next: the same model gave files that
    differed in bytes. Sorted, the same model is the same file (its SHA-256 too). The same
    entries in another order have the same length, so the header keeps its size and the
    tensors' offsets; what is left is padded with spaces, as the library pads.
    """
    with open(path, "r+b") as fh:
        (n,) = _HEADER_LEN.unpack(fh.read(_HEADER_LEN.size))
        header = json.loads(fh.read(n).decode("utf-8"))
        text = json.dumps(header, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")  # fmt: skip
        if len(text) > n:  # (not for a header the library wrote compactly): leave it
            return
        fh.seek(_HEADER_LEN.size)
        fh.write(text + b" " * (n - len(text)))


def _read_header(path: pathlib.Path) -> dict:
    """The safetensors JSON header, checked for shape before the library parses the file."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(_HEADER_LEN.size)
        if len(head) < _HEADER_LEN.size:
            raise DataError(
                f"expected a probnn model file (safetensors); found a {size}-byte file "
                f"too short to be one: {path}"
            )
        (n,) = _HEADER_LEN.unpack(head)
        if n > min(_MAX_HEADER, size - _HEADER_LEN.size):
            raise DataError(
                f"expected a probnn model file (safetensors); {path} is not one, or is "
                f"truncated: its first 8 bytes announce a {n}-byte header and the file "
                f"holds {size} bytes"
            )
        raw = fh.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DataError(
            f"expected a probnn model file (safetensors); found an unreadable header in {path}"
        ) from None
    except RecursionError:  # JSON nested deeper than Python's stack: a hostile file
        raise DataError(
            f"expected a probnn model file (safetensors); {path}'s header nests JSON deeper "
            "than any model file does"
        ) from None
    if not isinstance(header, dict):
        raise DataError(f"expected a probnn model file (safetensors); found a malformed header in {path}")
    return header


def load_model(path: str | os.PathLike):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    TabularModel or estimator
        Predicts exactly what the saved model predicted.

    Raises
    ------
    DataError
        If the path is missing or not a file, or the file is truncated,
        corrupted, not a probnn model, or from a newer format.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise DataError(f"expected a model file; found nothing at {path}")
    if not path.is_file():
        raise DataError(f"expected a model file; found a folder at {path}")
    header = _read_header(path)
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise DataError(
            f"expected a probnn model file; {path} is a safetensors file without probnn's "
            "metadata (written by another program?)"
        )
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        raise DataError(
            f"expected an integer format_version in {path}; found {metadata.get('format_version')!r}"
        ) from None
    if version > FORMAT_VERSION:
        raise DataError(
            f"{path} has model-file format {version}, written by probnn "
            f"{metadata.get('probnn_version', '?')}; this probnn {__version__} reads format "
            f"{FORMAT_VERSION} and older: upgrade probnn to load it"
        )
    try:
        arrays = load_file(path)
    except Exception as exc:  # safetensors raises its own error types on bad files
        detail = " ".join(str(exc).split())
        raise DataError(
            f"expected a complete probnn model file; {path} is truncated or corrupted ({detail})"
        ) from None
    model_json = metadata.get("model", "")
    if _checksum(model_json, arrays) != metadata.get("sha256"):
        raise DataError(
            f"expected the checksum stored in {path} to match its contents; it does not: "
            "the file is corrupted"
        )
    try:
        meta = json.loads(model_json)
    except json.JSONDecodeError as exc:
        raise DataError(f"expected the model description in {path} to be JSON; it is not "
                        f"({exc})") from None  # fmt: skip
    except RecursionError:  # JSON nested deeper than Python's stack: a hostile file
        raise DataError(f"expected a probnn model description in {path}; found JSON nested "
                        "deeper than any model description is") from None  # fmt: skip
    if not isinstance(meta, dict):
        raise DataError(f"expected the model description in {path} to be a JSON object; found "
                        f"a {type(meta).__name__}")  # fmt: skip
    kind = meta.pop("kind", None)
    if kind not in ("tabular", "estimator"):
        raise DataError(f"expected model kind 'tabular' or 'estimator' in {path}; found {kind!r}")
    # Rebuilding reads every value as the type it should be: a value of another type (a
    # string for a size, a list for a mapping) is a bad file, said in one line.
    import probnn.laplace  # noqa: F401 - registers LaplaceApproximation with the estimators

    try:
        if kind == "tabular":
            from probnn.tables.model import TabularModel

            return TabularModel._from_state(arrays, meta)
        from probnn.estimators import estimator_from_state

        return estimator_from_state(arrays, meta)
    except NetworkTooLargeError:
        raise
    except DataError as exc:
        raise DataError(f"expected a valid probnn model description in {path}; {exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OverflowError,
            RecursionError) as exc:  # fmt: skip
        detail = f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)
        raise DataError(f"expected a valid probnn model description in {path}; {detail}") from None
