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

import numpy as np
import pandas as pd

from probnn.exceptions import DataWarning

__all__ = ["target_copy_warnings"]


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
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.number):
        return []
    parsers = getattr(preprocessor, "parsers_", {})
    first = features.iloc[0]
    lines = []
    for name in preprocessor.numeric_:
        # the first row first: a wide table reads one value of each column, not every value
        try:
            head = float(first[name])
        except (TypeError, ValueError):
            head = None  # (text read by a parser: the whole column, below)
        if head is not None and head != y[0]:
            continue
        values = preprocessor._numeric(features[name], name, parsers.get(name))
        if np.array_equal(np.asarray(values, dtype=np.float64), y.astype(np.float64)):
            message = DataWarning(f"column {name!r} equals the target on every training row: a "
                                  f"copy of the target leaks it; drop it with --drop {name}")
            message.key = ("target copy", name)
            lines.append(message)
    return lines
