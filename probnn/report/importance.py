"""The report's table of what moves each predicted parameter (issue 23).

:func:`probnn.inspection.parameter_importance` on the held-out rows of a
:class:`probnn.tables.model.TabularModel`: for each feature column as read from the
file, how much the held-out NLL rises and how far each parameter (the predictive mean
and standard deviation, or each class's probability) moves when that column is shuffled.
"""

from __future__ import annotations

from probnn.report.html import Table

__all__ = ["importance_table"]

# a sample of the held-out rows is enough to rank the features; the permutations repeat
MAX_ROWS = 2000
N_REPEATS = 3
MAX_FEATURES = 20
# rows x columns x predictions read by the permutations: each column shuffled in turn costs
# rows F (1 + N_REPEATS F); past this, columns are shuffled in groups (_importance_groups).
# 2000 rows reach it at F = 408 columns (7,000+ predictions' worth of time: a minute or two
# here); every bundled and shared table but mnist (784 pixels) is far below. The rows are
# encoded once and shuffled in the encoded space (_importance_groups.EncodedShuffles), so a
# shuffle costs its prediction only: no fixed cost a raw column (each shuffle transforming
# the raw table again cost ~33 us a column whatever the rows: 30 rows x 5,000 columns took
# an hour)
WORK_BUDGET = 1_000_000_000


def importance_table(model, held_out, *, seed: int = 0) -> Table | None:
    """Permutation importance of each feature column on the NLL and each parameter.

    Parameters
    ----------
    model : TabularModel
        The fitted model (its preprocessing reads the raw columns).
    held_out : DataFrame
        The scored rows, with the target column; the first ``MAX_ROWS`` are used.
    seed : int
        Seeds the permutations.

    Returns
    -------
    Table or None
        Features ordered by the NLL's rise, at most ``MAX_FEATURES``; None for fewer
        than two rows or no feature column.
    """
    from probnn.inspection import parameter_importance

    rows = held_out.iloc[:MAX_ROWS]
    features = [c for c in model.preprocessor.columns_ if c in rows.columns]
    if rows.shape[0] < 2 or not features:
        return None
    exact_work = rows.shape[0] * len(features) * (1 + N_REPEATS * len(features))
    wide = (_wide_importance(model, rows, features, seed, exact_work)
            if exact_work > WORK_BUDGET else None)  # fmt: skip
    if wide is not None:
        imp, parameters, baseline_values, how = wide
    else:
        exact = _encoded_importance(model, rows, features, seed)
        if exact is None:  # an encoded layout not the preprocessor's known one: the raw table
            result = parameter_importance(model, rows, model.encode_target(rows),
                                          n_repeats=N_REPEATS, random_state=seed,
                                          features=features)  # fmt: skip
            exact = result.importances, result.parameters, result.baseline
        imp, parameters, baseline_values = exact
        imp = imp.sort_values("nll", ascending=False)
        how = (f"Each feature column shuffled across {rows.shape[0]:,} held-out rows "
               f"({N_REPEATS} permutations, mean shown)")  # fmt: skip
    units = "" if model.is_classifier else f" ({model.target}'s units)"
    columns = ["feature", "NLL rise (nats/example)",
               *(f"{p}: mean |change|{units if p in ('mean', 'sd') else ''}"
                 for p in parameters)]  # fmt: skip
    table_rows = [[name, *row] for name, row in zip(imp.index[:MAX_FEATURES],
                                                    imp.to_numpy()[:MAX_FEATURES])]  # fmt: skip
    shown = f"the {MAX_FEATURES} that matter most of {len(imp)}" if len(imp) > MAX_FEATURES else ""
    baseline = ", ".join(f"{p} {baseline_values[p]:.4g}" for p in parameters)
    note = (f"{how}: the rise of the held-out NLL and how far "
            "each predicted parameter moves, on its natural scale (the predictive mean and "
            "standard deviation, or each class's probability), row by row. A feature may "
            "move the spread and not the mean. For scale, the parameters' mean absolute "
            f"values: {baseline}." + (f" Showing {shown}." if shown else ""))  # fmt: skip
    return Table("What moves each parameter (permutation importance)", columns, table_rows,
                 note=note, key="importance")  # fmt: skip


def _encoded_importance(model, rows, features: list[str], seed: int):
    """:func:`probnn.parameter_importance`'s importances (its mean over ``N_REPEATS``
    permutations a column, the same permutations of ``seed``) with the rows encoded once
    and each raw column's encoded block shuffled (:class:`EncodedShuffles`), the same
    numbers without transforming the raw table once a shuffle; ``(importances,
    parameters, baseline)``, or None where the encoded layout is not the preprocessor's
    known one."""
    import numpy as np
    import pandas as pd

    from probnn.estimators.scoring import _as_outcomes
    from probnn.report import _importance_groups as groups

    encoded = model.transform(rows)
    blocks = groups.encoded_blocks(model.preprocessor, encoded.shape[1])
    if blocks is None:
        return None
    outcomes = _as_outcomes(model, model.encode_target(rows))
    shuffles = groups.EncodedShuffles(model.estimator, encoded, outcomes, blocks,
                                      np.random.default_rng(seed))  # fmt: skip
    means = shuffles.one_at_a_time(features, N_REPEATS)
    imp = pd.DataFrame(means, index=pd.Index(features, name="feature"),
                       columns=["nll", *shuffles.parameters])  # fmt: skip
    return imp, shuffles.parameters, shuffles.baseline()


def _wide_importance(model, rows, features: list[str], seed: int, exact_work: int):
    """The grouped search of :mod:`probnn.report._importance_groups` on as many of ``rows``
    as the work budget allows (``exact_work``: what one column at a time would read, said in
    the note); ``(importances, parameters, baseline, how)``, or None where
    the encoded layout is not the preprocessor's known one (the exact path then runs)."""
    import numpy as np
    import pandas as pd

    from probnn.estimators.scoring import _as_outcomes
    from probnn.report import _importance_groups as groups

    n_encoded = len(model.preprocessor.feature_names_out_)
    bound = groups.prediction_bound(len(features), N_REPEATS)
    n_rows = min(rows.shape[0], max(groups.MIN_ROWS, WORK_BUDGET // (bound * n_encoded)))
    all_rows = rows.shape[0]
    rows = rows.iloc[:n_rows]
    encoded = model.transform(rows)
    blocks = groups.encoded_blocks(model.preprocessor, encoded.shape[1])
    if blocks is None:
        return None
    outcomes = _as_outcomes(model, model.encode_target(rows))
    names, means, parameters, baseline, levels = groups.grouped_importance(
        model.estimator, encoded, outcomes, blocks, features, n_repeats=N_REPEATS,
        rng=np.random.default_rng(seed))
    imp = pd.DataFrame(means, index=pd.Index(names, name="feature"),
                       columns=["nll", *parameters]).sort_values("nll", ascending=False)
    how = (f"The {len(features):,} feature columns are too many to shuffle one at a time "
           f"within the work budget ({WORK_BUDGET:.0e} rows x columns x predictions; one at a "
           f"time would read {exact_work:.1e} on {all_rows:,} rows): on {n_rows:,} held-out "
           f"rows, whole groups of consecutive columns were shuffled ({groups.BRANCHES} "
           f"groups, the {groups.KEPT} whose shuffle raised "
           f"the NLL most split again into {groups.BRANCHES}, {levels} levels down to single "
           f"columns), and the {len(names)} columns reached shuffled one at a time "
           f"({N_REPEATS} permutations, mean shown); columns in groups not followed are not "
           "ranked")  # fmt: skip
    return imp, parameters, baseline, how
