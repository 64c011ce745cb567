"""``probnn fit``'s console warnings on the fitted model's held-out scores: worse than the
family's best constant model (``_worse_than_constant``), or a central interval that holds too
few held-out rows for a calibrated model (``_coverage_far_below``)."""

from __future__ import annotations


def _worse_than_constant(model, nll: float, nll0: float, in_compare: bool = False) -> str | None:
    """The console's warning when the fitted model's held-out NLL is above that of the
    family's best constant model (which ignores the features); None otherwise. In
    ``compare`` (``in_compare``) the advice leaves out compare itself."""
    from probnn.report.card import is_constant, is_linear

    if not nll > nll0 or is_constant(model.estimator):  # (a constant model is that model)
        return None
    linear = is_linear(model.estimator)
    what = "generalised linear model" if linear else "network"
    advice = "another family, or compare" if linear else "--hidden none, another family, or compare"
    if in_compare:  # (compare tried the other families: more training rows, or fewer inputs)
        advice = ("a smaller --test-size, or fewer columns (--drop)" if linear
                  else "--hidden none, a smaller --test-size, or fewer columns (--drop)")
    from probnn.cli._common import _figure  # (as the metrics print: 4.295e+16, not 17 digits)

    return (f"warning: the {what}'s held-out NLL {_figure('nll_nats', nll)} is worse than the "
            f"best constant {model.family}'s {_figure('nll_nats', nll0)} (by "
            f"{_figure('nll_nats', nll - nll0)} nats per example): try {advice}")


def _coverage_far_below(metrics: dict, n_test: int, coverage: float) -> str | None:
    """The console's warning when the held-out rows inside the central interval are too few
    for a calibrated model: a binomial probability (n_test rows, each inside with the
    interval's mass) of so few below 1e-6 (a Poisson network on counts ~1e12 held 0 of 63 at
    90% and said nothing, its constant worse still: hostile5 F4); None otherwise."""
    from scipy import stats

    got, mass = metrics.get("coverage"), metrics.get("coverage_expected")
    if got is None or mass is None or not n_test > 0:
        return None
    inside = int(round(got * n_test))
    p = float(stats.binom.cdf(inside, n_test, mass))
    if not p < 1e-6:
        return None
    return (f"warning: the {coverage:g} central interval held {inside} of the {n_test} "
            f"held-out rows ({got:.3f}; a calibrated model holds {mass:.3f}, so few with "
            f"probability {p:.1g}): its spread is too narrow or its location off; try --hidden "
            f"none, another family, or compare")
