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
    result = parameter_importance(model, rows, model.encode_target(rows), n_repeats=N_REPEATS,
                                  random_state=seed, features=features)  # fmt: skip
    imp = result.importances.sort_values("nll", ascending=False)
    units = "" if model.is_classifier else f" ({model.target}'s units)"
    columns = ["feature", "NLL rise (nats/example)",
               *(f"{p}: mean |change|{units if p in ('mean', 'sd') else ''}"
                 for p in result.parameters)]  # fmt: skip
    table_rows = [[name, *row] for name, row in zip(imp.index[:MAX_FEATURES],
                                                    imp.to_numpy()[:MAX_FEATURES])]  # fmt: skip
    shown = f"the {MAX_FEATURES} that matter most of {len(imp)}" if len(imp) > MAX_FEATURES else ""
    baseline = ", ".join(f"{p} {result.baseline[p]:.4g}" for p in result.parameters)
    note = (f"Each feature column shuffled across {rows.shape[0]:,} held-out rows "
            f"({N_REPEATS} permutations, mean shown): the rise of the held-out NLL and how far "
            "each predicted parameter moves, on its natural scale (the predictive mean and "
            "standard deviation, or each class's probability), row by row. A feature may "
            "move the spread and not the mean. For scale, the parameters' mean absolute "
            f"values: {baseline}." + (f" Showing {shown}." if shown else ""))  # fmt: skip
    return Table("What moves each parameter (permutation importance)", columns, table_rows,
                 note=note, key="importance")  # fmt: skip
