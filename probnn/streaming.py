"""Kept for compatibility: ``probnn.streaming`` was split into the :mod:`probnn.tables` package.

:class:`TableSource` is now in :mod:`probnn.tables.sources`, :func:`row_parts` (the
row-hash split) in :mod:`probnn.tables.split`, and :func:`fit_stream`,
:func:`predict_stream`, :func:`evaluate_stream`, :class:`ShuffleBuffer` and
:class:`RunningMetrics` in :mod:`probnn.tables.streaming`. This module re-exports every
name it defined, so ``from probnn.streaming import ...`` keeps working; new code imports
from the package.
"""

from __future__ import annotations

from probnn.tables.sources import (Batch, _data_columns, _located, _parquet, _PARQUET_SUFFIXES,
                                   READ_ROWS, should_stream, STREAM_AUTO_BYTES, TableSource)  # noqa: F401  # fmt: skip
from probnn.tables.split import (_GOLDEN, _mix, row_parts, TEST, TRAIN, VALIDATION)  # noqa: F401  # fmt: skip
from probnn.tables.streaming import (BUFFER_ROWS, evaluate_stream, fit_stream, head_rows, _kept,
                                     _learn_preprocessing, _parts_function, predict_stream,
                                     prefetch, PREFETCH_BATCHES, _Rechunk, REPORT_ROWS,
                                     RunningMetrics, ShuffleBuffer, StreamFit,
                                     _unseen_held_out)  # noqa: F401  # fmt: skip

__all__ = [
    "TableSource", "Batch", "row_parts", "ShuffleBuffer", "fit_stream", "StreamFit",
    "predict_stream", "evaluate_stream", "RunningMetrics", "READ_ROWS", "BUFFER_ROWS",
    "STREAM_AUTO_BYTES", "should_stream", "prefetch",
]  # fmt: skip
