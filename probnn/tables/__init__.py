"""Tables: a file or folder of rows in, a fitted :class:`~probnn.tables.model.TabularModel` out,
in memory or streamed. One module a job; imports point one way, down this list:

* :mod:`~probnn.tables.sources`: reading a CSV / Parquet file or a folder of Parquet files,
  whole (``read_table``) or in record batches (``TableSource``), and what is wrong with one;
* :mod:`~probnn.tables.columns`: which text is numbers (thousands separators, ISO dates);
* :mod:`~probnn.tables.extrapolation`: rows far outside the training rows' range (one warning);
* :mod:`~probnn.tables.preprocessing`: ``Preprocessor`` and its streamed ``PreprocessorScan``;
* :mod:`~probnn.tables.targets`: the target's kind and family (``TargetScan``,
  ``target_kind``, ``infer_family``), class labels and their order, the target checks;
* :mod:`~probnn.tables.model`: ``TabularModel``, what ``probnn fit`` trains;
* :mod:`~probnn.tables.split`: the row-hash rule (``row_parts``) that parts rows into
  training, validation and held-out rows;
* :mod:`~probnn.tables.streaming`: ``fit_stream``, ``predict_stream``, ``evaluate_stream``
  on a ``TableSource``.

"""
