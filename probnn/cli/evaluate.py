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


def _held_out_filter(record: dict, keys=None):
    """``keep(rows) -> bool mask``: which of the rows (0-based numbers in the table, the
    order ``fit`` read them in) the fit recorded in ``record`` held out; ``keys``: each
    row's key for the hash where the fit kept a row's copies together (:func:`_copy_keys`)."""
    import numpy as np

    seed, fraction, n = record["seed"], record["test_fraction"], record["rows"]
    if record["split"] != SPLIT_PERMUTATION:
        from probnn.tables.split import TEST, row_parts

        def keep(rows):  # held out: the row's (or its key's) hash below test_fraction
            rows = np.asarray(rows, dtype=np.int64)
            hashed = rows if keys is None else keys[rows]
            return row_parts(hashed.astype(np.uint64), seed, fraction, 0.0) == TEST

        return keep
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


def _fitted_on(model, data: str, frame=None) -> tuple[dict | None, str]:
    """The model's record of its training data if ``data`` is that data, and how it was
    known: the file's SHA-256, or (``frame``, the table read) the digest of its rows' values
    in the fit's columns (``tables.copies``: the same table in a file of other bytes, CRLF
    line endings, one more newline, a Parquet copy), said in the console's line ("" for the
    same file); (None, "") otherwise."""
    record = getattr(model, "training_data", None)
    if record is None:
        return None, ""
    from probnn.report.card import file_sha256

    if file_sha256(data) == record["sha256"]:
        return record, ""
    digests = _digests(record, frame)
    if digests is not None:
        from probnn.tables.copies import content_sha256

        if content_sha256(digests) == record["content_sha256"]:
            return record, " (the same rows, in a file of other bytes)"
    return None, ""


def _digests(record: dict, frame):
    """The rows' digests over the fit's columns (None: no frame, an older model file, or a
    column missing)."""
    if frame is None or "content_sha256" not in record \
            or not set(record["columns"]) <= set(map(str, frame.columns)):  # fmt: skip
        return None
    from probnn.tables.copies import row_digests

    return row_digests(frame.rename(columns=str), record["columns"])


def _copy_keys(record: dict, frame):
    """Each row's split key where the fit kept a row's copies together (the row number of
    its first copy), else None."""
    if not record.get("copies"):
        return None
    from probnn.tables.copies import first_copies

    return first_copies(_digests(record, frame))


def _training_rows_warning(model, record_owner: str, data: str, frame) -> str | None:
    """One line when more of ``data``'s rows are training rows of the model than fresh rows
    would be (the fit's held-out rows' share of repeats, plus three standard errors of the
    count, that share's own error included): their scores are not held-out scores."""
    record = getattr(model, "training_data", None)
    digests = _digests(record or {}, frame)
    if digests is None or digests.size == 0:
        return None
    import math

    from probnn.tables.copies import count_training_rows

    found, checked = count_training_rows(digests, record["row_hashes"],
                                         record["row_hashes_sampled"])  # fmt: skip
    held = record["held_out_rows"]
    share = record["held_out_repeats"] / held if held else 0.0
    expected = checked * share
    # binomial noise of the rows checked, plus that of the share the held-out rows estimate
    variance = checked * share * (1 - share) + checked**2 * share * (1 - share) / max(held, 1)
    spread = math.sqrt(variance)
    if found == 0 or found <= expected + 3 * spread:
        return None
    of = (f"of the {checked:,} rows whose digests fall in the model file's sample of them"
          if record["row_hashes_sampled"] else f"of {checked:,} rows")
    fresh = f" (fresh rows: about {expected:,.0f}, as its held-out rows)" if expected >= 1 else ""
    return (f"warning: {found:,} {of} of {data} are rows {record_owner} was trained on{fresh}: "
            "the scores are optimistic, not held-out scores")


def _cmd_evaluate(args) -> int:
    report_dir = pathlib.Path(args.report) if args.report else None
    if report_dir is not None:  # before any work
        _check_report_dir(report_dir, "--report",
                          [("the data", args.data), ("the model file", args.model)])  # fmt: skip
    model = _load_tabular(args.model)
    # On the very data it was fitted on (the SHA-256 its model file records, or in memory the
    # digest of the rows' values: tables.copies), a model is
    # scored on the rows its fit held out, the same rows by the same rule: on the rest it
    # trained, and figures from them would not be held-out figures.
    if _streams(args):
        if model.censoring is not None:
            raise UsageError(f"{args.model} models a censored target, scored with the table in "
                             "memory, not streamed: use --stream no")  # fmt: skip
        from probnn.tables.sources import TableSource
        from probnn.tables.streaming import evaluate_stream, head_rows

        source = TableSource(args.data)
        record, how = _fitted_on(model, args.data)  # (by its bytes: the table is not read whole)
        copies = record and record.get("copies")  # (a fit in memory: the table fits in memory)
        keys = _copy_keys(record, _read(args.data)) if copies else None
        keep = _held_out_filter(record, keys) if record else None
        metrics, n_rows = evaluate_stream(model, source, coverage=args.coverage, keep=keep)
        frame = head_rows(source, keep=keep) if report_dir is not None else None
        scored = f"; figures over the first {len(frame):,}" if frame is not None else ""
    else:
        frame = _read(args.data)
        record, how = _fitted_on(model, args.data, frame)
        if record:
            if frame.shape[0] != record["rows"]:
                raise DataError(f"expected the {record['rows']:,} rows {args.model} was fitted "
                                f"on in {args.data} (same SHA-256); read {frame.shape[0]:,}")  # fmt: skip
            keep = _held_out_filter(record, _copy_keys(record, frame))
            frame = frame[keep(range(frame.shape[0]))]
        else:
            warning = _training_rows_warning(model, args.model, args.data, frame)
            if warning:
                print(warning)
        metrics, n_rows, scored = model.evaluate(frame, coverage=args.coverage), frame.shape[0], ""
    if record:
        print(f"{args.model} was fitted on {args.data}{how}: scoring only its {n_rows} "
              "held-out rows")  # fmt: skip
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
