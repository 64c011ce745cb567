"""``probnn evaluate``: a model's scores on a table (only its held-out rows when it is the
table the model was fitted on)."""

from __future__ import annotations

import functools
import pathlib

from probnn.cli._common import (_check_report_dir, _load_tabular, _print_metrics, _read,
                                _write_model_report)  # fmt: skip
from probnn.cli._errors import UsageError
from probnn.cli.fit import SPLIT_PERMUTATION
from probnn.cli.options import _streams
from probnn.exceptions import DataError


def _held_out_filter(record: dict, keys=None):
    """``keep(rows, frame=None) -> bool mask``: which of the rows (0-based numbers in the
    table, the order ``fit`` read them in; ``frame``: those rows) the fit recorded in
    ``record`` held out; ``keys``: each row's key for the hash where the fit kept a row's
    copies together (:func:`_copy_keys`). A fit that keyed them by their digests
    (``copy_key``), given no ``keys``, needs ``frame``: the digests are of its rows (a
    streamed table, read a batch at a time)."""
    import numpy as np

    seed, fraction, n = record["seed"], record["test_fraction"], record["rows"]
    if record["split"] != SPLIT_PERMUTATION:
        from probnn.tables.split import TEST, row_parts

        by_digest = keys is None and record.get("copies") and record.get("copy_key") == "digest"

        def keep(rows, frame=None):  # held out: the row's (or its key's) hash below test_fraction
            rows = np.asarray(rows, dtype=np.int64)
            if keys is not None:
                hashed = keys[rows]
            elif by_digest:
                if frame is None:
                    raise ValueError("the rows' values are needed: the fit kept copies together")
                hashed = _digests(record, frame)
            else:
                hashed = rows
            return row_parts(hashed.astype(np.uint64), seed, fraction, 0.0) == TEST

        keep.needs_frame = bool(by_digest)  # (evaluate_stream then gives it the rows too)
        return keep
    # a model file written before the in-memory fit held out by the row hash
    mask = np.zeros(n, dtype=bool)
    mask[_permutation_held_out(n, seed, fraction)] = True

    def keep(rows, frame=None):
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


def _fitted_on(model, data: str, content=None) -> tuple[dict | None, str]:
    """The model's record of its training data if ``data`` is that data, and how it was
    known: the file's SHA-256, or (``content()``, asked only then: the rows' digests in the
    fit's columns, or their :func:`content_sha256 <probnn.tables.copies.content_sha256>`
    streamed; None where it cannot tell) the digest of its rows' values
    (``tables.copies``: the same table in a file of other bytes, CRLF line endings, one
    more newline, a Parquet copy), said in the console's line ("" for the same file);
    (None, "") otherwise."""
    record = getattr(model, "training_data", None)
    if record is None:
        return None, ""
    from probnn.report.card import file_sha256

    if file_sha256(data) == record["sha256"]:
        return record, ""
    digests = None if content is None else content()
    if digests is not None:
        from probnn.tables.copies import content_sha256

        sha = digests if isinstance(digests, str) else content_sha256(digests)
        if sha == record["content_sha256"]:
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


def _copy_keys(record: dict, digests):
    """Each row's split key where the fit kept a row's copies together (``digests``: the
    rows' in the fit's columns): the digest itself (``copy_key`` "digest"), or the row number
    of its first copy (an older file); None where it kept none."""
    if not record.get("copies"):
        return None
    if record.get("copy_key") == "digest":
        return digests
    from probnn.tables.copies import first_copies

    return first_copies(digests)


def _training_rows_warning(record: dict, record_owner: str, data: str, found: int,
                           checked: int) -> str | None:  # fmt: skip
    """One line when more of ``data``'s rows are training rows of the model (``found`` of
    ``checked``: :func:`~probnn.tables.copies.count_training_rows`) than fresh rows would
    be (the fit's held-out rows' share of repeats, plus three standard errors of the count,
    that share's own error included): their scores are not held-out scores."""
    import math

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


def _streamed_content(record: dict, source, keep_digests: bool):
    """One pass over ``source`` (bounded memory: a batch at a time) for its rows' digests
    over the fit's columns: their ``content_sha256``, how many are training rows and of how
    many checked, and (``keep_digests``, an older file's copies keyed by their first copy)
    the digests; None where the record or the table cannot tell (an older file, a column
    missing)."""
    import hashlib

    import numpy as np

    from probnn.tables.copies import count_training_rows

    if "content_sha256" not in record or not set(record["columns"]) <= set(source.columns):
        return None
    sha, found, checked, kept = hashlib.sha256(), 0, 0, []
    for batch in source.batches(record["columns"]):
        digests = _digests(record, batch.frame)
        sha.update(np.asarray(digests, dtype="<u8").tobytes())
        counts = count_training_rows(digests, record["row_hashes"], record["row_hashes_sampled"])
        found, checked = found + counts[0], checked + counts[1]
        if keep_digests:
            kept.append(digests)
    digests = np.concatenate(kept) if kept else None
    return sha.hexdigest(), found, checked, digests


def _cmd_evaluate(args) -> int:
    report_dir = pathlib.Path(args.report) if args.report else None
    if report_dir is not None:  # before any work
        _check_report_dir(report_dir, "--report",
                          [("the data", args.data), ("the model file", args.model)])  # fmt: skip
    model = _load_tabular(args.model)
    # On the very data it was fitted on (the SHA-256 its model file records, or the digest of
    # the rows' values: tables.copies, in memory or streamed), a model is scored on the rows
    # its fit held out, the same rows by the same rule: on the rest it trained, and figures
    # from them would not be held-out figures.
    if _streams(args):
        if model.censoring is not None:
            raise UsageError(f"{args.model} models a censored target, scored with the table in "
                             "memory, not streamed: use --stream no")  # fmt: skip
        from probnn.tables.sources import TableSource
        from probnn.tables.streaming import evaluate_stream, head_rows

        source = TableSource(args.data)
        owned = getattr(model, "training_data", None) or {}
        older = bool(owned.get("copies")) and owned.get("copy_key") != "digest"  # (first copies)
        # its rows' digests streamed once, only where its bytes are not the fit's or an older
        # file's copies need every row's key
        content = functools.cache(lambda: _streamed_content(owned, source, older))
        record, how = _fitted_on(model, args.data, lambda: (content() or (None,))[0])
        keys = None
        if record is None and content() is not None:
            warning = _training_rows_warning(owned, args.model, args.data, *content()[1:3])
            if warning:
                print(warning)
        elif record is not None and older:
            keys = _copy_keys(record, content()[3])
        keep = _held_out_filter(record, keys) if record else None
        metrics, n_rows = evaluate_stream(model, source, coverage=args.coverage, keep=keep)
        frame = head_rows(source, keep=keep) if report_dir is not None else None
        scored = f"; figures over the first {len(frame):,}" if frame is not None else ""
    else:
        frame = _read(args.data)
        owned = getattr(model, "training_data", None) or {}
        digests = functools.cache(lambda: _digests(owned, frame))  # (computed once, if asked)
        record, how = _fitted_on(model, args.data, digests)
        if record:
            if frame.shape[0] != record["rows"]:
                raise DataError(f"expected the {record['rows']:,} rows {args.model} was fitted "
                                f"on in {args.data} (same SHA-256); read {frame.shape[0]:,}")  # fmt: skip
            # (a fit that kept copies together hashed their keys: the digests computed once)
            keep = _held_out_filter(record, _copy_keys(record, digests())
                                    if record.get("copies") else None)  # fmt: skip
            frame = frame[keep(range(frame.shape[0]))]
        elif digests() is not None and digests().size:
            from probnn.tables.copies import count_training_rows

            warning = _training_rows_warning(owned, args.model, args.data, *count_training_rows(
                digests(), owned["row_hashes"], owned["row_hashes_sampled"]))  # fmt: skip
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
