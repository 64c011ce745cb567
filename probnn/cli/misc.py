"""``probnn demo``, ``probnn derive`` and ``probnn figures``."""

from __future__ import annotations

import pathlib

from probnn.cli._common import _check_report_dir
from probnn.cli._errors import UsageError


def _cmd_demo(args) -> int:
    from probnn.demo import run_demo

    _check_report_dir(pathlib.Path(args.out), "--out", [])  # before any training
    run_demo(out=args.out, quiet=args.quiet)
    return 0


def _cmd_derive(args) -> int:
    from probnn.families import FAMILIES, get_family

    if args.family not in FAMILIES:
        raise UsageError(f"derive: expected a family among {', '.join(FAMILIES)}; found {args.family!r}")
    family = get_family(args.family)
    print(family.derivation(latex=args.latex))
    print(f"(this negative log-likelihood is the {family.loss_name})")
    return 0


def _cmd_figures(args) -> int:
    from probnn.report import write_text_figures

    paths = write_text_figures(args.out)
    for path in paths:
        print(path)
    return 0
