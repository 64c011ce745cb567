"""What a Laplace posterior over the network's weights adds to a report (issue 24).

A model fitted with ``probnn fit --posterior laplace`` predicts through
:class:`probnn.laplace.LaplaceApproximation`: its predictive spread is the data's
(aleatoric: the network's own predicted distribution) plus the network's uncertainty about
its weights (epistemic). The report shows

* :func:`posterior_table`: the prior's precision, the log evidence of the training rows
  beside the held-out NLL of the posterior predictive and of the network alone;
* :func:`epistemic_figure`: how much of the predictive uncertainty is the network's own,
  row by row (regressors: the epistemic band inside the predictive interval on the
  predicted-against-observed plot, and a histogram of its share of the variance;
  classifiers: the mutual information's share of the predictive entropy).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import norm

from probnn.metrics import central_interval
from probnn.report.card import posterior_facts
from probnn.report.html import Table
from probnn.report.plots import FIGSIZE, _legend_below, _new_figure, _observed_axes, literal_text

__all__ = ["posterior_table", "epistemic_figure", "epistemic_share", "posterior_extras",
           "epistemic_band_1d", "EPISTEMIC_CAPTION"]

EPISTEMIC_CAPTION = (
    "How much of each held-out row's predictive uncertainty is the network's own (epistemic: "
    "the Laplace posterior over its weights) rather than the data's (aleatoric: the spread "
    "the network predicts). Rows far from the training data have a larger epistemic share; "
    "rows among them are dominated by the data's noise.")


def epistemic_share(epistemic: np.ndarray, aleatoric: np.ndarray) -> np.ndarray:
    """``epistemic / (epistemic + aleatoric)`` per row, in [0, 1] (0 where both are 0).

    Parameters
    ----------
    epistemic, aleatoric : ndarray of shape (n_samples,)
        Non-negative parts of the predictive uncertainty
        (:meth:`~probnn.laplace.LaplaceApproximation.predictive_variance_split`).
    """
    epistemic = np.maximum(np.asarray(epistemic, dtype=np.float64), 0.0)
    total = epistemic + np.maximum(np.asarray(aleatoric, dtype=np.float64), 0.0)
    return np.divide(epistemic, total, out=np.zeros_like(total), where=total > 0)


def posterior_table(model, held_out, metrics, n_train: int | None = None) -> Table:
    """The posterior's facts beside the held-out NLL.

    Parameters
    ----------
    model : TabularModel
        Its ``estimator`` a fitted ``LaplaceApproximation``.
    held_out : DataFrame
        The scored rows, with the target column.
    metrics : mapping
        ``nll_nats``: the held-out NLL under the posterior predictive.
    n_train : int, optional
        Training rows: the log evidence is also given per row.
    """
    facts = posterior_facts(model.estimator)
    network = model.estimator.estimator_
    X, y = model.transform(held_out), model.encode_target(held_out)
    # the network at its fitted weights (a regressor's own last-layer predictive left out)
    from probnn.estimators._last_layer import plug_in_dist

    plain = float(np.mean(-np.asarray(plug_in_dist(network, X).log_prob(y), dtype=np.float64)))
    nll = float(metrics["nll_nats"])
    where = "the output layer's" if facts["subset"] == "last-layer" else "all"
    how = "chosen by maximising the evidence" if facts["chosen"] else "given"
    evidence = f"{facts['log_evidence']:,.2f} nats"
    if n_train:
        evidence += f" ({facts['log_evidence'] / n_train:.4f} per training row)"
    rows = [
        ("weights with a posterior", f"{where} {facts['weights']:,}"),
        ("prior precision λ (N(0, 1/λ) on the coefficients)",
         f"{facts['prior_precision']:.4g}, {how}"),
        ("log evidence of the training rows (Laplace)", evidence),
        ("held-out NLL, posterior predictive", f"{nll:.4f} nats per example"),
        ("held-out NLL, the network alone (weights fixed)", f"{plain:.4f} nats per example"),
    ]  # fmt: skip
    change = nll - plain
    note = (f"Integrating over the weights {'lowers' if change < 0 else 'raises'} the held-out "
            f"NLL by {abs(change):.4f} nats per example. The evidence chose λ on the training "
            "rows alone (no rows held out); a higher evidence is a better prior for them.")
    return Table("Posterior over the weights (Laplace)", ["", ""], rows, note=note,
                 key="posterior")  # fmt: skip


def epistemic_figure(model, held_out, coverage: float = 0.9, max_points: int = 400) -> Figure:
    """The epistemic part of each held-out row's predictive uncertainty.

    Parameters
    ----------
    model : TabularModel
        Its ``estimator`` a fitted ``LaplaceApproximation``.
    held_out : DataFrame
        The rows, with the target column.
    coverage : float
        Regressors: the central interval drawn, and the epistemic band at the same coverage
        (``mean +- z sd``, ``sd`` the linearised standard deviation of the predicted mean).
    max_points : int
        At most this many rows drawn in the left panel (evenly spaced by the observed value).
    """
    la = model.estimator
    X = model.transform(held_out)
    epistemic, aleatoric = la.predictive_variance_split(X)
    share = epistemic_share(epistemic, aleatoric)
    with literal_text():
        if model.is_classifier:
            fig = _new_figure()
            ax = fig.add_subplot()
            median = _share_histogram(ax, share, "share of the predictive entropy that is "
                                                 "epistemic (mutual information / entropy)")
            ax.set_title(f"The network's own uncertainty per row (median share {median:.3f})")
            return fig
        y = np.asarray(model.encode_target(held_out), dtype=np.float64)
        dist = la.predict_dist(X)
        mean = np.asarray(dist.mean, dtype=np.float64)
        lower, upper = central_interval(dist, coverage)
        half = norm.ppf(0.5 + coverage / 2) * np.sqrt(np.maximum(epistemic, 0.0))
        order = np.argsort(y, kind="stable")
        shown = order[np.unique(np.linspace(0, y.size - 1, min(max_points, y.size)).astype(int))]
        fig = _new_figure((FIGSIZE[0] * 1.6, FIGSIZE[1]))
        left, right = fig.subplots(1, 2)
        left.vlines(y[shown], lower[shown], upper[shown], color="C0", lw=0.6, alpha=0.4,
                    label=f"{coverage:.0%} predictive interval")
        left.vlines(y[shown], (mean - half)[shown], (mean + half)[shown], color="C1", lw=2.2,
                    alpha=0.8, label=f"{coverage:.0%} epistemic band (the weights' part)")
        left.plot(y[shown], mean[shown], "o", ms=2.5, color="k", alpha=0.7, label="predicted mean")
        _observed_axes(left, y, lower, upper, model.target, "prediction",
                       "Predicted versus observed, epistemic band")  # fmt: skip
        median = _share_histogram(right, share, "share of the predictive variance that is "
                                                "epistemic")  # fmt: skip
        right.set_title(f"The network's own share per row (median {median:.3f})")
        _legend_below(fig, left)
        return fig


def _share_histogram(ax, share: np.ndarray, xlabel: str) -> float:
    """The shares' histogram with their median (dashed), which it returns."""
    ax.hist(share, bins=np.linspace(0.0, 1.0, 21), color="C1", alpha=0.8, edgecolor="white")
    median = float(np.median(share)) if share.size else math.nan
    ax.axvline(median, color="k", ls="--", lw=1)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("held-out rows")
    ax.grid(alpha=0.3)
    return median


def posterior_extras(model, held_out, metrics, coverage: float = 0.9,
                     n_train: int | None = None) -> tuple[list[Table], list[tuple]]:  # fmt: skip
    """The posterior's table and figure for a report, or nothing for a model without one.

    Returns
    -------
    tables : list of Table
    figures : list of (file name, Figure, caption)
    """
    if posterior_facts(model.estimator) is None:
        return [], []
    return ([posterior_table(model, held_out, metrics, n_train)],
            [("epistemic.png", epistemic_figure(model, held_out, coverage), EPISTEMIC_CAPTION)])


def epistemic_band_1d(la, x, y, grid) -> Figure:
    """A regressor of one feature: its predictive spread split along the feature.

    The top panel draws the data, the predictive mean and two bands of the same coverage
    (90%): the network's own predicted distribution (aleatoric) and the posterior predictive
    (aleatoric and epistemic); the bottom panel both standard deviations and the epistemic
    one. Where the data have a gap, or end, the epistemic part grows and the posterior's
    band widens; among the data the two bands agree.

    Parameters
    ----------
    la : LaplaceApproximation
        Fitted on ``x[:, None]`` and ``y``, a regressor with a Normal predictive.
    x, y : ndarray of shape (n_samples,)
        The training rows.
    grid : ndarray of shape (n_points,)
        Where the bands are drawn, increasing.
    """
    grid = np.asarray(grid, dtype=np.float64)
    epistemic, aleatoric = la.predictive_variance_split(grid[:, None])
    mean = np.asarray(la.predict(grid[:, None]), dtype=np.float64)
    z = norm.ppf(0.95)
    sd_a, sd_total = np.sqrt(aleatoric), np.sqrt(aleatoric + epistemic)
    with literal_text():
        fig = _new_figure((FIGSIZE[0] * 1.25, FIGSIZE[1] * 1.35))
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
        top.fill_between(grid, mean - z * sd_total, mean + z * sd_total, color="C1", alpha=0.3,
                         lw=0, label="90% posterior predictive (data + weights)")
        top.plot(grid, mean - z * sd_a, color="C0", lw=1, ls="--",
                 label="90% of the network alone (data's noise)")
        top.plot(grid, mean + z * sd_a, color="C0", lw=1, ls="--")
        top.plot(grid, mean, color="k", lw=1.2, label="predicted mean")
        top.plot(x, y, ".", color="0.3", ms=3, label="training rows")
        top.set_ylabel("y")
        top.set_title("Laplace posterior: the epistemic band widens in the gap and outside the data")
        top.grid(alpha=0.3)
        bottom.plot(grid, sd_a, color="C0", label="aleatoric sd")
        bottom.plot(grid, np.sqrt(epistemic), color="C1", label="epistemic sd")
        bottom.set_xlabel("x")
        bottom.set_ylabel("sd")
        bottom.grid(alpha=0.3)
        handles = [h for ax in (top, bottom) for h in ax.get_legend_handles_labels()[0]]
        labels = [t for ax in (top, bottom) for t in ax.get_legend_handles_labels()[1]]
        fig.legend(handles, labels, loc="outside lower center", fontsize="small", ncols=3,
                   frameon=False)  # fmt: skip
        return fig
