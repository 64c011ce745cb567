"""A feature column that is the target itself: the classic leak, said in one warning.

A column holding the target's value on every training row (the target saved again under
another name, or as text: a Parquet string column read as numbers) lets the model predict
the target from itself: a held-out NLL far below anything a real feature gives, and a model
useless where the target is unknown. Only exact equality, after the model's reading of the
column (:func:`~probnn.tables.preprocessing_scan.numeric_column`, with the parser the
preprocessor chose), is a copy: no tolerance, no correlation rule. It is warned, not
refused: a copy may be intended (a check of the pipeline).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from probnn.exceptions import DataWarning

__all__ = ["target_copy_warnings", "warn_streamed_target_copies"]


def target_copy_warnings(preprocessor, features: pd.DataFrame,
                         y: np.ndarray) -> list[DataWarning]:  # fmt: skip
    """One warning per numeric feature column equal to a numeric target on every row, keyed
    (``key``) so that a command line says it once however many fits (families, folds) raise it.

    Parameters
    ----------
    preprocessor : Preprocessor
        Fitted on ``features`` (its numeric columns and their parsers).
    features : DataFrame of shape (n_rows, n_columns)
    y : ndarray of shape (n_rows,)
        The target as the model reads it (float); other shapes (censored bounds) give none.

    Returns
    -------
    list of DataWarning
    """
    return [_copy_warning(name) for name in _copies(preprocessor, features, y,
                                                    preprocessor.numeric_)]  # fmt: skip


def warn_streamed_target_copies(source, target: str, preprocessor, family: str,
                                parts_of) -> list[DataWarning]:  # fmt: skip
    """:func:`target_copy_warnings` for a streamed fit (``fit_stream``), after its passes,
    warned as ``TabularModel.fit`` warns them (once each, in the same words): a column stays a candidate only while it equals the target on every fitted row (training
    and validation, as in memory) of every chunk read, and the pass ends as soon as none is
    left (on most tables, after the first chunk).

    Parameters
    ----------
    source : TableSource
    target : str
    preprocessor : Preprocessor
        Fitted (its numeric columns and their parsers).
    family : str
        The fit's family: a classifier's target is not a number, and gives none.
    parts_of : callable
        A batch's parts (``streaming._Parts``): rows of part ``TEST`` are held out.

    Returns
    -------
    list of DataWarning
        Those warned.
    """
    from probnn.families import get_family
    from probnn.tables.split import TEST
    from probnn.tables.targets import is_classifier_family, regression_target

    if is_classifier_family(family):
        return []
    candidates = list(preprocessor.numeric_)
    read = parts_of.read([*candidates, target])
    for batch in source.batches(read) if candidates else ():
        fit = batch.frame[parts_of(batch) != TEST]
        if len(fit):
            y = regression_target(fit[target], target, get_family(family))
            candidates = _copies(preprocessor, fit, y, candidates)
        if not candidates:
            break
    leaks = [_copy_warning(name) for name in candidates]
    for message in leaks:
        warnings.warn(message, stacklevel=3)  # (the caller of fit_stream)
    return leaks


def _copies(preprocessor, features: pd.DataFrame, y: np.ndarray, names) -> list[str]:
    """Those of the numeric columns ``names`` equal to ``y`` (shape (n_rows,)) on every row;
    none where ``y`` is not a number a row (censored bounds, labels) or holds no row."""
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.number):
        return []
    parsers = getattr(preprocessor, "parsers_", {})
    first = features.iloc[0]
    equal = []
    for name in names:
        # the first row first: a wide table reads one value of each column, not every value
        try:
            head = float(first[name])
        except (TypeError, ValueError):
            head = None  # (text read by a parser: the whole column, below)
        if head is not None and head != y[0]:
            continue
        values = preprocessor._numeric(features[name], name, parsers.get(name))
        if np.array_equal(np.asarray(values, dtype=np.float64), y.astype(np.float64)):
            equal.append(name)
    return equal


def _copy_warning(name: str) -> DataWarning:
    """The one warning of a copy, keyed so that a command line says it once."""
    message = DataWarning(f"column {name!r} equals the target on every training row: a "
                          f"copy of the target leaks it; drop it with --drop {name}")
    message.key = ("target copy", name)
    return message
