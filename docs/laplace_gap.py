"""Draw docs/img/laplace-gap.png, the README's picture of the Laplace posterior (issue 24).

One feature, two clusters of training rows with a gap between them; one default-sized
network (``MLPRegressor``, family "normal", tanh) and its Laplace posterior over the output
layer, the prior's precision chosen by the evidence. Run from the repository root:

    python docs/laplace_gap.py
"""

from __future__ import annotations

import pathlib

import numpy as np

from probnn import LaplaceApproximation, MLPRegressor
from probnn._io import atomic_write
from probnn.report.plots import figure_to_png
from probnn.report.posterior import epistemic_band_1d

OUT = pathlib.Path(__file__).resolve().parent / "img" / "laplace-gap.png"


def gap_rows() -> tuple[np.ndarray, np.ndarray]:
    """200 rows of ``y = sin(x) + 0.1 noise``, x uniform on [-3, -1] and [1, 3] (the gap)."""
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-3, -1, 100), rng.uniform(1, 3, 100)])
    return x, np.sin(x) + 0.1 * rng.normal(size=x.size)


def fitted_gap() -> tuple[LaplaceApproximation, np.ndarray, np.ndarray]:
    """The network of the picture and its posterior (the evidence's lambda), and the rows.

    ``tests/test_laplace.py`` and ``tests/test_report_posterior.py`` check this very fit: the
    epistemic spread at least twice as large in the gap and beyond the rows as among them.
    """
    x, y = gap_rows()
    est = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", family="normal",
                       max_iter=300, random_state=0).fit(x[:, None], y)  # fmt: skip
    la = LaplaceApproximation(est, prefit=True, prior_precision="evidence").fit(x[:, None], y)
    return la, x, y


def main() -> pathlib.Path:
    la, x, y = fitted_gap()
    fig = epistemic_band_1d(la, x, y, np.linspace(-5, 5, 401))
    atomic_write(OUT, figure_to_png(fig, dpi=80))
    return OUT


if __name__ == "__main__":
    print(main())
