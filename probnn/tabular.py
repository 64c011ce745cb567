"""Kept for compatibility: ``probnn.tabular`` was split into the :mod:`probnn.tables` package.

Reading files is now :mod:`probnn.tables.sources`, column parsing
:mod:`probnn.tables.columns`, the target's kind, family and checks
:mod:`probnn.tables.targets`, :class:`Preprocessor` :mod:`probnn.tables.preprocessing`
and :class:`TabularModel` :mod:`probnn.tables.model`. This module re-exports every name
it defined, so ``from probnn.tabular import ...`` keeps working; new code imports from
the package. (Setting a constant here, such as ``MAX_FIELD_BYTES``, no longer changes
what the package reads: set it on the module that defines it.)
"""

from __future__ import annotations

from probnn.tables.columns import (_DATE_FORMATS, _describe_kind, _EPOCH, FLOAT32_MAX,
                                   _ID_MIN_DISTINCT, _looks_numeric, _numeric_values, _parse_text,
                                   _text_kind, _THOUSANDS, _thousands_as_numbers)  # noqa: F401  # fmt: skip
from probnn.tables.model import (_parameter_columns, SEED_MAX, _SPLIT_RULES, TabularModel,
                                 _training_data)  # noqa: F401  # fmt: skip
from probnn.tables.preprocessing import (_category_codes, _ColumnScan, MAX_STREAMED_CATEGORIES,
                                         Preprocessor, PreprocessorScan)  # noqa: F401  # fmt: skip
from probnn.tables.sources import (check_header, check_unique_columns, _csv_header, FILES_ATTR,
                                   line_too_long, _located_rows, MAX_FIELD_BYTES, MAX_HEADER_BYTES,
                                   open_csv, _PARQUET_SUFFIXES, read_table, row_numbers, _rows,
                                   _SEPARATORS, _SNIFF_BYTES, sniff_separator)  # noqa: F401  # fmt: skip
from probnn.tables.targets import (_check_family_name, check_held_out_labels, check_levels,
                                   check_target_column, _check_target_present,
                                   check_trainable_target, _class_indices, class_order,
                                   families_left_out, families_of_kinds, family_of_kind,
                                   infer_family, is_classifier_family, _labels_to_json,
                                   LEFT_OUT_FRACTION, _levels_as_labels, MAX_INFERRED_CLASSES,
                                   order_classes, ordered_categories, _plain, regression_target,
                                   _rejected, target_kind, target_kinds, target_labels, TargetScan,
                                   validate_frame)  # noqa: F401  # fmt: skip

__all__ = [
    "read_table", "sniff_separator", "infer_family", "Preprocessor", "TabularModel",
    "target_kind", "MAX_INFERRED_CLASSES", "validate_frame",
]  # fmt: skip
