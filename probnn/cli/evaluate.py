"""``probnn evaluate``: a model's scores on a table (only its held-out rows when it is the
table the model was fitted on)."""

from __future__ import annotations

import pathlib

from probnn.cli._common import (_check_report_dir, _load_tabular, _print_metrics, _read,
                                _write_model_report)  # fmt: skip
from probnn.cli._errors import UsageError
from probnn.cli.fit import SPLIT_PERMUTATION
from probnn.cli.options import _streams
from probnn.exceptions import DataError


def _held_out_filter(record: dict):
    """``keep(rows) -> bool mask``: which of the rows (0-based numbers in the table, the
    order ``fit`` read them in) the fit recorded in ``record`` held out."""
    import numpy as np

    seed, fraction, n = record["seed"], record["test_fraction"], record["rows"]
    if record["split"] != SPLIT_PERMUTATION:
        from probnn.tables.split import TEST, row_parts

        # a row is held out when its hash is below test_fraction, whatever the validation part
        return lambda rows: row_parts(np.asarray(rows, dtype=np.uint64), seed, fraction, 0.0) == TEST
    # a model file written before the in-memory fit held out by the row hash
    mask = np.zeros(n, dtype=bool)
    mask[_permutation_held_out(n, seed, fraction)] = True

    def keep(rows):
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and rows.max() >= n:
            raise DataError(f"expected the {n:,} rows the model was fitted on; found more rows "
                            "in a file with the same SHA-256")  # fmt: skip
        return mask[rows]

    return keep


def _permutation_held_out(n: int, seed: int, fraction: float):
    """The rows an in-memory ``probnn fit`` held out before it used the row hash (its model
    file records the split "permutation"): the first ``round(fraction * n)`` (at least 1, at
    most n - 1) of a permutation by the seed, sorted."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(n)
    n_test = min(n - 1, max(1, int(round(fraction * n))))
    return np.sort(order[:n_test])


def _fitted_on(model, data: str) -> dict | None:
    """The model's record of its training data if ``data`` is that data (same SHA-256)."""
    record = getattr(model, "training_data", None)
    if record is None:
        return None
    from probnn.report.card import file_sha256

    return record if file_sha256(data) == record["sha256"] else None


def _cmd_evaluate(args) -> int:
    report_dir = pathlib.Path(args.report) if args.report else None
    if report_dir is not None:  # before any work
        _check_report_dir(report_dir, "--report",
                          [("the data", args.data), ("the model file", args.model)])  # fmt: skip
    model = _load_tabular(args.model)
    # On the very data it was fitted on (the SHA-256 its model file records), a model is
    # scored on the rows its fit held out, the same rows by the same rule: on the rest it
    # trained, and figures from them would not be held-out figures.
    if _streams(args):
        if model.censoring is not None:
            raise UsageError(f"{args.model} models a censored target, scored with the table in "
                             "memory, not streamed: use --stream no")  # fmt: skip
        from probnn.tables.sources import TableSource
        from probnn.tables.streaming import evaluate_stream, head_rows

        source = TableSource(args.data)
        record = _fitted_on(model, args.data)
        keep = _held_out_filter(record) if record else None
        metrics, n_rows = evaluate_stream(model, source, coverage=args.coverage, keep=keep)
        frame = head_rows(source, keep=keep) if report_dir is not None else None
        scored = f"; figures over the first {len(frame):,}" if frame is not None else ""
    else:
        frame = _read(args.data)
        record = _fitted_on(model, args.data)
        if record:
            if frame.shape[0] != record["rows"]:
                raise DataError(f"expected the {record['rows']:,} rows {args.model} was fitted "
                                f"on in {args.data} (same SHA-256); read {frame.shape[0]:,}")  # fmt: skip
            frame = frame[_held_out_filter(record)(range(frame.shape[0]))]
        metrics, n_rows, scored = model.evaluate(frame, coverage=args.coverage), frame.shape[0], ""
    if record:
        print(f"{args.model} was fitted on {args.data}: scoring only its {n_rows} held-out rows")
    print(f"{args.data}: {n_rows} rows, family {model.family}")
    _print_metrics(metrics, args.coverage)
    if report_dir is not None:
        from probnn.report.card import file_sha256

        which = (f"the {n_rows:,} rows of {args.data} its fit held out (--test-size "
                 f"{record['test_fraction']:g}, --seed {record['seed']})" if record else
                 f"all {n_rows:,} rows of {args.data} (held out only if the model never "
                 "saw them)")  # fmt: skip
        facts = dict(data=args.data, rows=record["rows"] if record else n_rows, held_out=frame,
                     train=None, reason="as saved in the model file", model_file=str(args.model),
                     model_sha=file_sha256(args.model), split=which + scored,
                     title=f"probnn evaluate {pathlib.Path(args.model).name} on "
                           f"{pathlib.Path(args.data).name}")  # fmt: skip
        html = _write_model_report(model, metrics, report_dir, args, facts)
        print(f"report written to {html}")
    return 0
