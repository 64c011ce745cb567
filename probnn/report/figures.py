"""The pictures from the texts, drawn from probnn's own distributions and likelihoods.

- the Bernoulli likelihood of theta for the data 0, 0, 0, 1, 0 (maximum at 1/5);
- the Normal likelihood over (mu, sigma) for the data -1, 0, 1 (maximum at
  mu = 0, sigma = sqrt(2/3));
- a wide and a narrow distribution, with their entropies;
- the cross-entropy of a matching and of a mismatched model, the gap being the
  KL divergence;
- noisy linear data with the maximum-likelihood line of a Normal model, which
  is the least-squares line.

``probnn figures`` calls :func:`write_text_figures`.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from probnn.distributions import Bernoulli, Normal
from probnn.information import cross_entropy, entropy, kl_divergence
from probnn.likelihood import log_likelihood_grid
from probnn.report.html import write_atomic
from probnn.report.plots import FIGSIZE, figure_to_png

__all__ = [
    "bernoulli_likelihood",
    "normal_likelihood",
    "entropy_wide_narrow",
    "cross_entropy_match",
    "linear_fit",
    "write_text_figures",
]

WIDE = (5.0 * 1.6, 3.6)  # two panels side by side


def bernoulli_likelihood(data: Sequence[int] = (0, 0, 0, 1, 0)) -> Figure:
    """Likelihood and log-likelihood of a Bernoulli(theta) model as functions of theta.

    Parameters
    ----------
    data : sequence of 0/1
        Observed outcomes; the maximum, at the sample mean, is marked.
    """
    y = np.asarray(data, dtype=np.float64)
    theta = np.linspace(0.0, 1.0, 401)[1:-1]  # open interval: log 0 at the ends
    log_lik = log_likelihood_grid(Bernoulli, y, probs=theta)
    theta_hat = y.mean()
    n_ones = int(y.sum())
    fig = Figure(figsize=WIDE, layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    for ax, values, label in ((left, np.exp(log_lik), "likelihood L(θ)"),
                              (right, log_lik, "log-likelihood log L(θ)")):
        ax.plot(theta, values)
        ax.axvline(theta_hat, color="C3", ls="--", lw=1,
                   label=f"maximum at θ̂ = {n_ones}/{y.size} = {theta_hat:g}")
        ax.set_xlabel("θ = P(y = 1)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    right.set_ylim(max(log_lik.min(), log_lik.max() - 15), log_lik.max() + 1)
    left.legend(fontsize="small")
    data_text = ", ".join(str(int(v)) for v in y)
    fig.suptitle(f"Bernoulli likelihood for the data {data_text}")
    return fig


def normal_likelihood(data: Sequence[float] = (-1.0, 0.0, 1.0)) -> Figure:
    """Contours of the Normal log-likelihood over (mu, sigma), maximum marked.

    Parameters
    ----------
    data : sequence of float
        Observed values; the maximum is at the sample mean and the standard
        deviation with divisor n.
    """
    y = np.asarray(data, dtype=np.float64)
    mu_hat = y.mean()
    sigma_hat = np.sqrt(np.mean((y - mu_hat) ** 2))
    spread = max(sigma_hat, 1e-3)
    mus = np.linspace(mu_hat - 3 * spread, mu_hat + 3 * spread, 161)
    sigmas = np.linspace(0.25 * spread, 3.5 * spread, 161)
    log_lik = log_likelihood_grid(Normal, y, loc=mus, scale=sigmas)  # (len(mus), len(sigmas))
    fig = Figure(figsize=(FIGSIZE[0] * 1.2, FIGSIZE[1] * 1.2), layout="constrained")
    ax = fig.add_subplot()
    # Levels in log-likelihood units below the maximum, so the peak is visible.
    top = log_lik.max()
    levels = top - np.array([12, 8, 5, 3, 2, 1, 0.5, 0.1])
    filled = ax.contourf(mus, sigmas, log_lik.T, levels=np.append(levels, top), cmap="viridis",
                         extend="min")
    ax.contour(mus, sigmas, log_lik.T, levels=levels, colors="white", linewidths=0.5)
    fig.colorbar(filled, ax=ax, label="log-likelihood")
    ax.plot([mu_hat], [sigma_hat], "r*", ms=14,
            label=f"maximum: μ̂ = {mu_hat:.3g}, σ̂ = {sigma_hat:.3g}")
    ax.set_xlabel("μ (location)")
    ax.set_ylabel("σ (scale)")
    data_text = ", ".join(f"{v:g}" for v in y)
    ax.set_title(f"Normal log-likelihood for the data {data_text}")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def entropy_wide_narrow(narrow_scale: float = 0.5, wide_scale: float = 2.0) -> Figure:
    """Densities of a narrow and a wide Normal, their entropies in the legend.

    The wider distribution is less predictable, so its entropy is higher.
    """
    x = np.linspace(-4 * wide_scale, 4 * wide_scale, 801)
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    for name, scale in (("narrow", narrow_scale), ("wide", wide_scale)):
        dist = Normal(np.zeros_like(x), np.full_like(x, scale))
        h = float(np.asarray(Normal(0.0, scale).entropy()))
        ax.plot(x, dist.prob(x), label=f"{name}: σ = {scale:g}, H = {h:.3f} nats")
        ax.fill_between(x, dist.prob(x), alpha=0.15)
    ax.set_xlabel("y")
    ax.set_ylabel("density p(y)")
    ax.set_title("Entropy: a wide distribution is harder to predict")
    ax.legend(fontsize="small")
    return fig


def cross_entropy_match(
    p: Sequence[float] = (0.5, 0.25, 0.125, 0.125),
    q_mismatched: Sequence[float] = (0.25, 0.25, 0.25, 0.25),
) -> Figure:
    """Cross-entropy of data from ``p`` under a matching model and a mismatched one.

    Left: the distributions. Right: bars of H(p), H(p, q1) with q1 = p, and
    H(p, q2); the part of each bar above H(p) is KL(p || q), so the matching
    model scores lowest.
    """
    p = np.asarray(p, dtype=np.float64)
    q2 = np.asarray(q_mismatched, dtype=np.float64)
    h_p = float(entropy(p, base=2))
    # (bar name, cross-entropy in bits, KL in bits); q1 = p is the matching model
    rows = [("H(p)", h_p, 0.0)]
    for name, q in (("H(p, q1)\nq1 = p", p), ("H(p, q2)", q2)):
        rows.append((name, float(cross_entropy(p, q, base=2)), float(kl_divergence(p, q, base=2))))
    fig = Figure(figsize=WIDE, layout="constrained")
    left, right = fig.subplots(1, 2)
    outcomes = np.arange(p.size)
    left.bar(outcomes - 0.2, p, width=0.4, label="p (data) = q1")
    left.bar(outcomes + 0.2, q2, width=0.4, label="q2 (mismatched model)")
    left.set_xticks(outcomes)
    left.set_xlabel("outcome")
    left.set_ylabel("probability")
    left.set_title("Data distribution and two models")
    left.legend(fontsize="small")
    names = [r[0] for r in rows]
    base_part = [min(h_p, r[1]) for r in rows]
    kl_part = [r[2] for r in rows]
    right.bar(names, base_part, color="C0", label="H(p): entropy of the data")
    right.bar(names, kl_part, bottom=base_part, color="C3", label="KL(p || q): the gap")
    for i, (_, value, kl) in enumerate(rows):
        text = f"{value:.3f} bits" + (f"\nKL = {kl:.3f}" if i > 0 else "")
        right.annotate(text, (i, value), ha="center", va="bottom", fontsize="small")
    right.set_ylim(0, max(r[1] for r in rows) * 1.3)
    right.set_ylabel("bits per outcome")
    right.set_title("Cross-entropy = entropy + KL")
    right.legend(loc="lower right", fontsize="small")
    return fig


def linear_fit(n: int = 40, intercept: float = 1.0, slope: float = 0.5, noise: float = 0.4,
               seed: int = 0) -> Figure:  # fmt: skip
    """Noisy linear data and the line fitted by maximum likelihood under Normal noise.

    The data are ``y = intercept + slope * x + noise * e`` with ``e ~ N(0, 1)``
    and ``x`` uniform on [0, 5]. The model is probnn's generalised linear model
    ``Normal(mu = w x + b, sigma)`` (no hidden layer, no prior), fitted by L-BFGS:
    its NLL is half the squared error over sigma squared plus a constant, so the
    MLE line is the least-squares line. The band is mu +- 2 sigma-hat, with
    sigma-hat the root mean squared residual (the MLE of sigma).
    """
    from probnn.estimators import MLPRegressor

    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 5.0, size=n)
    y = intercept + slope * x + noise * rng.standard_normal(n)
    model = MLPRegressor(hidden_layer_sizes=(), family="normal-fixed", prior=None,
                         solver="lbfgs", dtype=np.float64, tol=1e-10, random_state=seed)
    model.fit(x[:, None], y)
    grid = np.linspace(0.0, 5.0, 101)
    mu = model.predict(grid[:, None])
    sigma = float(np.sqrt(np.mean((y - model.predict(x[:, None])) ** 2)))
    # slope and intercept in y's units (the regressor fits a standardised y internally)
    b, at_one = model.predict(np.array([[0.0], [1.0]]))
    w = at_one - b
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.fill_between(grid, mu - 2 * sigma, mu + 2 * sigma, alpha=0.2,
                    label=f"μ ± 2σ̂, σ̂ = {sigma:.3f}")  # fmt: skip
    ax.plot(x, y, "o", markersize=4, label="data")
    ax.plot(grid, mu, label=f"MLE: μ = {w:.3f} x {'+' if b >= 0 else '−'} {abs(b):.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Normal noise: maximum likelihood = least squares")
    ax.legend(fontsize="small")
    return fig


_TEXT_FIGURES = (
    ("bernoulli_likelihood.png", bernoulli_likelihood),
    ("normal_likelihood.png", normal_likelihood),
    ("entropy_wide_narrow.png", entropy_wide_narrow),
    ("cross_entropy.png", cross_entropy_match),
    ("linear_fit.png", linear_fit),
)


def write_text_figures(out_dir: str | os.PathLike) -> list[pathlib.Path]:
    """Write the five pictures from the texts as PNG files.

    Parameters
    ----------
    out_dir : path-like
        Folder to write into; created if missing.

    Returns
    -------
    list of pathlib.Path
        ``bernoulli_likelihood.png``, ``normal_likelihood.png``,
        ``entropy_wide_narrow.png``, ``cross_entropy.png`` and
        ``linear_fit.png`` in ``out_dir``.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_atomic(out / name, figure_to_png(draw())) for name, draw in _TEXT_FIGURES]
