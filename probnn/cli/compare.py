"""``probnn compare``: :func:`probnn.compare_families` on a file, printed and reported."""

from __future__ import annotations

import math
import pathlib
from collections.abc import Sequence

from probnn.cli._common import (_check_report_dir, _check_rows_for, _check_training_targets,
                                _drop, _end_of_training, _progress, _read, _runs_elsewhere,
                                _say, _staged_report)  # fmt: skip
from probnn.cli._errors import UsageError, in_option_words
from probnn.cli._glm import settle_glm
from probnn.cli.options import (_censoring, _check_family_params, _cluster, _estimator_params,
                                _family_params)  # fmt: skip


def _write_compare_report(args, report_dir, frame, result) -> pathlib.Path:
    """The one report of ``probnn compare``: the families side by side."""
    from probnn.report.model_card import write_comparison_report

    title = f"probnn compare {pathlib.Path(args.data).name} --target {args.target}"
    return _staged_report(report_dir, lambda folder: write_comparison_report(
        folder, result, data=args.data, frame=frame, target=args.target, drop=args.drop,
        impute=args.impute, test_size=args.test_size, seed=args.seed, title=title))


def _cmd_compare(args) -> int:
    from probnn.families import FAMILIES

    requested = args.families
    unknown = [f for f in requested or [] if f not in FAMILIES]
    if unknown or requested == []:
        raise UsageError(
            f"--families expects names among {', '.join(FAMILIES)}; found "
            f"{', '.join(map(repr, unknown)) or 'none'}"
        )
    report_dir = pathlib.Path(args.report or f"{pathlib.Path(args.data).stem}-compare-report")
    _check_report_dir(report_dir, "--report", [("the data", args.data)])  # before any work
    with _cluster(args):  # before reading the data: a wrong --scheduler fails in seconds
        return _compare(args, requested, report_dir)


def _compare(args, requested, report_dir: pathlib.Path) -> int:
    """``probnn compare`` once its options are checked (and its scheduler, if any, reached)."""
    from probnn._split import split_rows
    from probnn.compare import compare_families
    from probnn.tables.targets import check_target_column, families_of_kinds, target_kinds

    censoring = _censoring(args)
    frame = _drop(_read(args.data), args.drop, args.target)
    check_target_column(frame, args.target)
    params = _family_params(args)
    # (text labels ordered by --levels: ordered classes, as compare_families reads them)
    kinds = target_kinds(frame[args.target], args.levels)[0]
    if params:  # --family-param is bad usage unless some family tried takes each name
        tried = requested or families_of_kinds(kinds)
        params_of = _family_params_per_family(tried, params)
    else:
        params_of = {}
    # the GLM's rules (cli._glm) on the rows compare_families trains on (its split_rows)
    from probnn.cli.fit import _TableContent  # (a row's copies kept on one side, said)

    groups = _TableContent(frame, args.target).keys
    train, _ = split_rows(frame.shape[0], args.seed, args.test_size, groups)
    _check_training_targets(frame[args.target], train, frame.shape[0], False, censoring is None)
    for family, share in params_of.items():  # (a mixture of more components than rows)
        _check_rows_for(family, share, train.size)
    settle_glm(args, requested or families_of_kinds(kinds),
               train.size, censored=censoring is not None)  # fmt: skip
    result = compare_families(
        frame.drop(columns=[args.target]), frame[args.target], requested,
        test_size=args.test_size, seed=args.seed, coverage=args.coverage, impute=args.impute,
        levels=args.levels, family_params=params_of, n_jobs=args.jobs,
        say=lambda line: _say(args, line), hidden=args.hidden, solver=args.solver,
        epochs=args.epochs, progress=_progress(args) and not _runs_elsewhere(args),
        censoring=censoring, **({} if groups is None else {"groups": groups}),
        **_estimator_params(args),
    )  # fmt: skip
    for family in result.attempted:  # said once all are fitted (one bar per process would mix)
        _say(args, f"fitting {family} ...")
        if family in result.trained:
            _end_of_training(args, result.trained[family].estimator, result.seconds[family],
                             label=family)  # fmt: skip
    table = result.table
    glm = " of each family's generalised linear model (--hidden none)" if args.hidden == () else ""
    print(f"held-out NLL{glm} on {result.test.size} rows (lower is better):")
    print(f"  {result.scoring}")
    width = max(14, 2 + max(len(f) for f in table["family"]))  # the longest family name, aligned
    scored = table["crps"].notna()
    crps_head = f"{'CRPS':>12}{'CRPS SE':>10}" if scored.any() else ""
    print(f"  {'rank':<5}{'family':<{width}}{'nats/example':>14}{'bits/example':>14}"
          f"{'minus best':>12}{'SE':>9}{crps_head}")  # fmt: skip
    for rank, row in enumerate(table.itertuples(index=False), 1):
        shown = "-".rjust(9) if row.family == result.best else _cell(row.se, 9)
        crps = _crps_cells(row) if scored.any() else ""
        print(f"  {rank:<5}{row.family:<{width}}{_cell(row.nll_nats, 14)}"
              f"{_cell(row.nll_bits, 14)}{_cell(row.minus_best, 12)}{shown}{crps}")  # fmt: skip
    if len(table) > 1:
        print("  (SE: standard error of the difference from the best, paired over the held-out "
              "rows)")  # fmt: skip
        if scored.any():
            print(f"  (CRPS: in {args.target}'s units, lower is better; CRPS SE: of the "
                  "difference from the lowest CRPS, paired over the same rows)")  # fmt: skip
        print(f"  {result.verdict}")
    for family, why in result.skipped:
        print(f"  skipped {family}: {in_option_words(why)}")
    for family, why in result.left_out:
        print(f"  {family} left out: {' '.join(why.split())}")
    _say_if_worse_than_constant(result, frame)
    if censoring is None:  # densities on a point mass: the ranking rewards a spike, say so
        from probnn._selection_notes import point_mass_note

        note = point_mass_note(frame[args.target], result.kinds)
        if note:
            print(f"warning: {note}")
    html = _write_compare_report(args, report_dir, frame, result)
    _say(args, f"report written to {html}")
    return 0


def _say_if_worse_than_constant(result, frame) -> None:
    """fit's one-line warning when the best-ranked family's model scores above that family's
    best constant model on the same held-out rows (a GLM on 4 training rows ranked first at
    4.3e16 nats, said nothing: hostile11 L8)."""
    from probnn.cli._fit_warnings import _worse_than_constant
    from probnn.report.model_card import constant_model

    model = result.trained.get(result.best)
    nll = result.table.set_index("family")["nll_nats"].get(result.best)
    if model is None or nll is None or not math.isfinite(nll):
        return
    try:  # (a constant the family cannot fit on these rows: no warning, as fit)
        nll0 = constant_model(model, frame.iloc[result.train], frame.iloc[result.test])[0]
    except (ValueError, ArithmeticError):
        return
    warning = _worse_than_constant(model, float(nll), nll0, in_compare=True)
    if warning:
        print(warning)


def _cell(value: float, width: int) -> str:
    """``value`` right-aligned in ``width`` characters with at least one space before it:
    four decimals, or as many significant digits as fit (an NLL of 1.2e7 nats would run
    into the next column)."""
    text = f"{value:.4f}"
    digits = 5
    while len(text) >= width and digits >= 1:
        text, digits = f"{value:.{digits}g}", digits - 1
    return text.rjust(width)


def _crps_cells(row) -> str:
    """The CRPS and its SE as printed: blank for a class family (NaN), "-" for the lowest."""
    if math.isnan(row.crps):
        return " " * 22
    se = "-" if math.isnan(row.crps_se) else f"{row.crps_se:.4g}"
    return f"{row.crps:>12.4g}{se:>10}"


def _family_params_per_family(families: Sequence[str], params: dict[str, float]):
    """Each family's share of the ``--family-param`` pairs: those its constructor takes.

    A name no family takes, or a value a family rejects, is bad usage.
    """
    from probnn.families import FAMILIES

    shares: dict[str, dict[str, float]] = {}
    for family in families:
        takes = set(FAMILIES[family].fixed_params)  # the family declares its parameters
        shares[family] = {k: v for k, v in params.items() if k in takes}
        _check_family_params(family, shares[family])
    unused = [k for k in params if not any(k in share for share in shares.values())]
    if unused:
        raise UsageError(
            f"--family-param {', '.join(unused)}: none of the families compared "
            f"({', '.join(families)}) takes that parameter"
        )
    return shares
