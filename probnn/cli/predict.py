"""``probnn predict``: a model file and a table in, the predicted distributions out."""

from __future__ import annotations

import pathlib
import sys

from probnn.cli._common import _check_output_file, _load_tabular, _read
from probnn.cli.options import _streams


def _cmd_predict(args) -> int:
    if args.out:  # before any work: never replace an input, fail fast on a bad folder
        _check_output_file(pathlib.Path(args.out), "--out",
                           [("the model file", args.model), ("the data", args.data)])  # fmt: skip
    model = _load_tabular(args.model)
    if _streams(args):
        return _predict_streamed(args, model)
    frame = _read(args.data)
    table = model.predict_table(frame, coverage=args.coverage)
    text = table.to_csv(index=False, float_format="%.17g")
    if args.out:
        from probnn._io import atomic_write

        atomic_write(args.out, text)
    else:
        sys.stdout.write(text)
    return 0


def _predict_streamed(args, model) -> int:
    """``probnn predict --stream``: the CSV written batch by batch (to a temporary file that
    replaces --out once complete)."""
    from probnn.tables.sources import TableSource
    from probnn.tables.streaming import predict_stream

    source = TableSource(args.data)
    if not args.out:
        predict_stream(model, source, sys.stdout.write, coverage=args.coverage)
        return 0
    from probnn._io import atomic_path

    with atomic_path(args.out) as staged, open(staged, "wb") as fh:
        predict_stream(model, source, lambda text: fh.write(text.encode("utf-8")),
                       coverage=args.coverage)  # fmt: skip
    return 0
