"""``Preprocessor.scan`` driven over a ``TableSource``'s batches, as ``fit_stream`` drives it.

Imported as ``from _scan import scan_stream`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource


def scan_stream(source: TableSource, columns, impute: bool = False) -> Preprocessor:
    """The preprocessor learned from ``source``'s batches: a kind pass, a value pass, and the
    exact medians' passes where imputation needs them."""
    pre = Preprocessor(impute=impute)
    scan = pre.scan(columns, exact_median=True)
    for b in source.batches(columns):
        scan.observe(b.frame)
    scan.end_kinds()
    for b in source.batches(columns):
        scan.add(b.frame)
    scan.end_values()
    while scan.median_columns:
        scan.begin_median_pass()
        for b in source.batches(columns):
            scan.add_median(b.frame)
        scan.end_median_pass()
    return pre
