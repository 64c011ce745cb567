"""Every row censored on the same side: the censored likelihood has no maximum (each right-
censored row's ``P(Y > c)`` grows to 1 as the location runs off to ``+inf``; left-censored
rows likewise below), so a fit reported NLL 0.0000 and D-calibration p = 1 on a table of
right-censored times. It is refused before training: a ``ValueError`` from
``MLPRegressor.fit`` on ``(lower, upper)`` targets, a one-line ``DataError`` (exit 1) in the
columns' words from the tables, the selection and ``compare``. Rows censored on both sides,
or intervals with finite bounds, can have a finite maximum and are fitted (oracle:
``scipy.optimize`` on the censored normal likelihood written with ``scipy.stats``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, stats

from _cli import run
from probnn import MLPRegressor
from probnn.exceptions import DataError
from probnn.selection import select_model
from probnn.tables.censoring import Censoring
from probnn.tables.model import TabularModel


def times(n: int = 300, seed: int = 6) -> pd.DataFrame:
    """The hostile trial's table: log-normal times, every event 0 (right-censored)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.exp(1 + 0.5 * x + 0.5 * rng.normal(size=n))
    return pd.DataFrame({"x": x, "y": t, "e": 0})


def _csv(tmp_path, frame: pd.DataFrame) -> str:
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return str(path)


def _refused(code: int, err: str, *words: str) -> None:
    assert code == 1, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err


@pytest.mark.parametrize("extra, words", [
    (["--event", "e"], ("right-censored", "event column 'e' 0", "exact (observed) row",
                        "some rows left-censored", "all 300 rows")),
    (["--censored-below", "1e9"], ("left-censored", "at or below the limit 1e+09",
                                   "some rows right-censored")),
    (["--censored-above", "1e-9", "--family", "normal", "--hidden", "none"],
     ("right-censored", "at or above the cap 1e-09")),
])  # fmt: skip
def test_fit_refuses_a_table_censored_on_one_side_before_training(tmp_path, capsys, extra,
                                                                   words):  # fmt: skip
    data, out = _csv(tmp_path, times()), tmp_path / "m.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", *extra, "--out", out,
                             "--quiet")  # fmt: skip
    _refused(code, err, "no maximum", *words)
    assert not out.exists() and "training" not in printed


def test_compare_refuses_it_in_one_line(tmp_path, capsys):
    data = _csv(tmp_path, times(120))
    code, _, err = run(capsys, "compare", data, "--target", "y", "--event", "e", "--quiet",
                       "--report", tmp_path / "cmp")  # fmt: skip
    _refused(code, err, "event column 'e' 0", "right-censored")


def test_streaming_a_censored_target_stays_bad_usage(tmp_path, capsys):
    data = _csv(tmp_path, times(120))
    code, _, err = run(capsys, "fit", data, "--target", "y", "--event", "e", "--stream", "yes",
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 2 and "not streamed" in err and err.count("\n") == 1, err


def test_the_library_refuses_it_too():
    frame = times(120)
    with pytest.raises(DataError,
                       match="all 120 training rows right-censored .each has event column 'e'"):
        TabularModel.fit(frame, "y", family="normal", hidden=(), censoring=Censoring(event="e"))
    with pytest.raises(DataError, match="right-censored"):
        select_model(frame.drop(columns="y"), frame["y"], censoring=Censoring(event="e"),
                     network_families=0)  # fmt: skip
    t = frame["y"].to_numpy()
    X = frame[["x"]].to_numpy()
    for y, side in ((np.column_stack([t, np.full_like(t, np.inf)]), "right"),
                    (np.column_stack([np.full_like(t, -np.inf), t]), "left")):  # fmt: skip
        for family in ("normal", "log-normal"):
            with pytest.raises(ValueError, match=f"found all 120 rows {side}-censored"):
                MLPRegressor(family=family, hidden_layer_sizes=()).fit(X, y)


def test_rows_of_weight_zero_do_not_lift_it():
    t = times(60)["y"].to_numpy()
    y = np.column_stack([t, np.full_like(t, np.inf)])
    y[0, 1] = y[0, 0]  # one exact row, of weight 0
    w = np.ones(60)
    w[0] = 0.0
    with pytest.raises(ValueError, match="all 59 rows right-censored .*and 1 of weight 0"):
        MLPRegressor(family="normal", hidden_layer_sizes=()).fit(np.zeros((60, 1)), y,
                                                                   sample_weight=w)  # fmt: skip


def _constant_mle(y: np.ndarray) -> tuple[float, float]:
    """Normal (loc, scale) maximising the censored likelihood, by scipy on scipy.stats."""
    lower, upper = y[:, 0], y[:, 1]

    def nll(p):
        law = stats.norm(p[0], np.exp(p[1]))
        both = np.isfinite(lower) & np.isfinite(upper)
        mass = np.where(np.isinf(upper), law.logsf(np.where(np.isinf(lower), 0, lower)),
                        np.where(np.isinf(lower), law.logcdf(upper), 0.0))  # fmt: skip
        inside = np.log(law.cdf(np.where(both, upper, 1)) - law.cdf(np.where(both, lower, 0)))
        return -np.sum(np.where(both, inside, mass))

    res = optimize.minimize(nll, x0=[0.0, 0.0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})
    return float(res.x[0]), float(np.exp(res.x[1]))


def _current_status(n: int, seed: int) -> np.ndarray:
    """Each row censored at its own N(0, 1) threshold c: Y <= c (left) or Y > c (right)."""
    rng = np.random.default_rng(seed)
    latent, c = 0.4 + 1.3 * rng.normal(size=n), rng.normal(size=n) * 2
    return np.where((latent <= c)[:, None], np.column_stack([np.full(n, -np.inf), c]),
                    np.column_stack([c, np.full(n, np.inf)]))  # fmt: skip


@pytest.mark.parametrize("kind", ["both sides", "finite intervals"])
def test_rows_censored_on_both_sides_or_in_finite_intervals_are_fitted(kind):
    y = _current_status(400, seed=3)
    if kind == "finite intervals":
        y = np.where(np.isinf(y), y[:, ::-1] + np.where(np.isinf(y[:, :1]), -1.5, 1.5), y)
    assert not np.isinf(y).all(axis=1).any()
    loc, scale = _constant_mle(y)
    est = MLPRegressor(family="normal", hidden_layer_sizes=(), solver="lbfgs", alpha=0.0,
                       random_state=0, dtype="float64").fit(np.zeros((len(y), 1)), y)
    dist = est.predict_dist(np.zeros((1, 1)))
    assert_allclose([float(dist.loc[0]), float(dist.scale[0])], [loc, scale], rtol=2e-3)


def test_held_out_rows_all_censored_on_one_side_are_still_scored():
    """The refusal is of a fit; scoring rows that happen to be all right-censored is fine."""
    frame = times(200)
    frame["e"] = (np.arange(200) % 2).astype(int)
    model = TabularModel.fit(frame, "y", family="log-normal", hidden=(),
                             censoring=Censoring(event="e"))  # fmt: skip
    held = frame[frame["e"] == 0]
    dist = model.predict_dist(held)
    expected = -stats.lognorm(s=np.asarray(dist.scale), scale=np.exp(np.asarray(dist.loc))).logsf(
        held["y"].to_numpy())
    assert_allclose(model.nll_rows(held), expected, rtol=1e-6)
