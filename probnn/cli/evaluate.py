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


# How a model file's record by content is matched: a table's rows digested as read (every
# record's digests, an older file's too), then as the model reads them (a fit's since they
# were recorded so; tables.copies.value_readings): the same values written otherwise
_FORMS = ("text", "values")


def _fitted_on(model, data: str, content=None) -> tuple[dict | None, str, str | None]:
    """The model's record of its training data if ``data`` is that data, how it was known
    (said in the console's line, "" for the same file, one line for both digests) and by
    what: ``"file"``, the file's
    SHA-256; else ``content(form)`` for each of :data:`_FORMS` (asked only then: the rows'
    digests in the fit's columns, or their :func:`content_sha256
    <probnn.tables.copies.content_sha256>` streamed; None where it cannot tell) against the
    digest of its rows' values (``tables.copies``): ``"text"``, the same table in a file of
    other bytes (CRLF line endings, one more newline, columns in another order, a Parquet
    copy); ``"values"``, the same values written otherwise ("12.3%" as 12.3, "4,611" as
    4611, "1.50%" as "1.5%"). (None, "", None) otherwise."""
    record = getattr(model, "training_data", None)
    if record is None:
        return None, "", None
    from probnn.report.card import file_sha256

    if file_sha256(data) == record["sha256"]:
        return record, "", "file"
    if content is None:
        return None, "", None
    from probnn.tables.copies import content_sha256

    for form in _FORMS:
        digests = content(form)
        sha = digests if digests is None or isinstance(digests, str) else content_sha256(digests)
        if sha is not None and sha == record.get("content_sha256"):
            return record, " (the same rows, in a file of other bytes)", form
    return None, "", None


def _digests(record: dict, frame, readings=None):
    """The rows' digests over the fit's columns, as read or by ``readings`` (None: no frame,
    an older model file, or a column missing)."""
    if frame is None or "content_sha256" not in record \
            or not set(record["columns"]) <= set(map(str, frame.columns)):  # fmt: skip
        return None
    from probnn.tables.copies import row_digests

    return row_digests(frame.rename(columns=str), record["columns"], readings)


def _readings(model) -> dict:
    """The model's reading of the columns it reads (``tables.copies.value_readings``)."""
    from probnn.tables.copies import value_readings

    return value_readings(model.preprocessor, model.target, model.target_parser,
                          getattr(model, "classes", None))


def _check_keys(record: dict, form: str, key_sha, data: str, owner: str) -> None:
    """DataError where the fit kept copies together by their digests as read (its split's
    keys), and ``data`` (recognised by its values, ``form``) writes them otherwise
    (``key_sha``: its rows' digests as read): which rows the fit held out is known only from
    the text of the file it read."""
    if form == "file" or not record.get("copies") or record.get("copy_key") != "digest":
        return
    if key_sha != record.get("key_sha256", record["content_sha256"]):
        raise DataError(f"{data} holds the rows {owner} was fitted on, written otherwise, and "
                        "its fit kept copies of a row together by their text: which rows it "
                        "held out is known only from the file it was fitted on; evaluate on "
                        "that file")  # fmt: skip


def _copy_keys(record: dict, digests):
    """Each row's split key where the fit kept a row's copies together (``digests``: the
    rows' in the fit's columns, as read where keyed by them): the digest itself
    (``copy_key`` "digest"), or the row number of its first copy (an older file); None where
    it kept none."""
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


def _streamed_content(record: dict, source, keep_digests: bool, readings: dict):
    """One pass over ``source`` (bounded memory: a batch at a time) for its rows' digests
    over the fit's columns, in each of :data:`_FORMS` (as read; as the model reads them,
    ``readings``): form -> (their ``content_sha256``, how many are training rows, of how
    many checked, and with ``keep_digests``, an older file's copies keyed by their first
    copy, the digests); None where the record or the table cannot tell (an older file, a
    column missing)."""
    import hashlib

    import numpy as np

    from probnn.tables.copies import count_training_rows

    if "content_sha256" not in record or not set(record["columns"]) <= set(source.columns):
        return None
    shas = {form: hashlib.sha256() for form in _FORMS}
    counts = {form: [0, 0] for form in _FORMS}
    kept = {form: [] for form in _FORMS}
    for batch in source.batches(record["columns"]):
        for form in _FORMS:
            digests = _digests(record, batch.frame, readings if form == "values" else None)
            shas[form].update(np.asarray(digests, dtype="<u8").tobytes())
            found, checked = count_training_rows(digests, record["row_hashes"],
                                                 record["row_hashes_sampled"])  # fmt: skip
            counts[form][0] += found
            counts[form][1] += checked
            if keep_digests:
                kept[form].append(digests)
    return {form: (shas[form].hexdigest(), *counts[form],
                   np.concatenate(kept[form]) if kept[form] else None) for form in _FORMS}


def _most_found(counts):
    """Of the (found, checked) of each form, the one that finds more training rows: a table
    is written one way, matched by one of them."""
    return max(counts, key=lambda c: c[0])


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
        content = functools.cache(lambda: _streamed_content(owned, source, older,
                                                            _readings(model)))  # fmt: skip
        record, how, form = _fitted_on(model, args.data,
                                       lambda f: (content() or {}).get(f, (None,))[0])  # fmt: skip
        keys = None
        if record is None and content() is not None:
            counts = _most_found([content()[f][1:3] for f in _FORMS])
            warning = _training_rows_warning(owned, args.model, args.data, *counts)
            if warning:
                print(warning)
        elif record is not None:
            _check_keys(record, form, form != "file" and content()["text"][0], args.data,
                        args.model)  # fmt: skip
            if older:
                keys = _copy_keys(record, content()["text" if form == "file" else form][3])
        keep = _held_out_filter(record, keys) if record else None
        metrics, n_rows = evaluate_stream(model, source, coverage=args.coverage, keep=keep)
        frame = head_rows(source, keep=keep) if report_dir is not None else None
        scored = f"; figures over the first {len(frame):,}" if frame is not None else ""
    else:
        frame = _read(args.data)
        owned = getattr(model, "training_data", None) or {}
        # (each form's digests computed once, if asked)
        forms = {"text": functools.cache(lambda: _digests(owned, frame)),
                 "values": functools.cache(lambda: _digests(owned, frame, _readings(model)))}
        record, how, form = _fitted_on(model, args.data, lambda f: forms[f]())
        if record:
            if frame.shape[0] != record["rows"]:
                raise DataError(f"expected the {record['rows']:,} rows {args.model} was fitted "
                                f"on in {args.data} (same SHA-256); read {frame.shape[0]:,}")  # fmt: skip
            keys = None
            if record.get("copies"):  # (a fit that kept copies together hashed their keys)
                from probnn.tables.copies import content_sha256

                _check_keys(record, form, form != "file" and content_sha256(forms["text"]()),
                            args.data, args.model)  # fmt: skip
                by = "text" if form == "file" or record.get("copy_key") == "digest" else form
                keys = _copy_keys(record, forms[by]())
            keep = _held_out_filter(record, keys)
            frame = frame[keep(range(frame.shape[0]))]
        elif forms["text"]() is not None and forms["text"]().size:
            from probnn.tables.copies import count_training_rows

            counts = _most_found([count_training_rows(forms[f](), owned["row_hashes"],
                                                      owned["row_hashes_sampled"]) for f in _FORMS])
            warning = _training_rows_warning(owned, args.model, args.data, *counts)
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
