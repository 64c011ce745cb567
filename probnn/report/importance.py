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
# here); every bundled and shared table but mnist (784 pixels) is far below
WORK_BUDGET = 1_000_000_000
# a column's fixed cost in one prediction, in rows: each shuffle transforms the raw table
# again, ~33 us a column in pandas whatever the rows (1,000 columns: 33 ms), where the budget
# above reads ~0.1 us a row x column; without it 9 held-out rows of a 5,000-column table
# were 'cheap' and took an hour (15,001 transforms)
COLUMN_ROWS = 300


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
    exact_work = (rows.shape[0] + COLUMN_ROWS) * len(features) * (1 + N_REPEATS * len(features))
    wide = (_wide_importance(model, rows, features, seed, exact_work)
            if exact_work > WORK_BUDGET else None)  # fmt: skip
    if wide is not None:
        imp, parameters, baseline_values, how = wide
    else:
        result = parameter_importance(model, rows, model.encode_target(rows),
                                      n_repeats=N_REPEATS, random_state=seed,
                                      features=features)  # fmt: skip
        imp, parameters, baseline_values = (result.importances.sort_values("nll", ascending=False),
                                            result.parameters, result.baseline)  # fmt: skip
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
