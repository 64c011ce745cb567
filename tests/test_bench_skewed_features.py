"""bench.studies.skewed_features: the trigger of its rule on cases worked by hand, and the
reason for it: a log-link GLM given log(x) follows a power law that one given x cannot."""

import numpy as np
import pandas as pd
import pytest

from bench.studies.skewed_features import (RESID_SD_MIN, powers_of_others, spread, triggered,
                                           with_logs)  # fmt: skip


def _resid_sd_by_hand(x: np.ndarray) -> float:
    # the residual of log x on a straight line in x: sd(log x) * sqrt(1 - corr(x, log x)**2)
    logs = np.log(x)
    r = np.corrcoef(x, logs)[0, 1]
    return float(logs.std() * np.sqrt(1.0 - r * r))


def test_spread_of_orders_of_magnitude():
    x = 10.0 ** np.arange(0, 5)  # 1, 10, ..., 10**4
    s = spread(x)
    assert s["range"] == pytest.approx(1e4)
    assert s["resid_sd"] == pytest.approx(_resid_sd_by_hand(x), rel=1e-9)
    assert s["resid_sd"] > RESID_SD_MIN


def test_narrow_positive_feature_does_not_trigger():
    x = np.linspace(1.0, 2.0, 50)  # log x is nearly a straight line in x here
    assert spread(x)["resid_sd"] == pytest.approx(_resid_sd_by_hand(x), rel=1e-9)
    assert spread(x)["resid_sd"] < 0.05  # 0.018 (by hand)
    frame = pd.DataFrame({"x": x, "y": x})
    assert triggered(frame, "y") == {}


@pytest.mark.parametrize("x", [[0.0, 1.0, 1e4, 5.0], [-1.0, 10.0, 1e5, 3.0], [2.0, 2.0, 2.0]])
def test_not_strictly_positive_or_constant_is_never_triggered(x):
    assert spread(np.array(x)) is None


def test_one_outlier_decides_the_range_not_the_residual():
    # 99 values in [10, 20] and one at 1e5: max/min 1e4, yet almost every row is where log x
    # is straight in x
    x = np.concatenate([np.linspace(10.0, 20.0, 99), [1e5]])
    s = spread(x)
    assert s["range"] == pytest.approx(1e4)
    assert s["resid_sd"] == pytest.approx(_resid_sd_by_hand(x), rel=1e-9)


def test_glm_with_the_log_column_recovers_the_power_law(monkeypatch):
    from probnn.tables import log_scale
    from probnn.tables.model import TabularModel

    monkeypatch.setattr(log_scale, "SPAN_MIN", np.inf)  # raw: x as main read it (no log)
    monkeypatch.setattr(log_scale, "SHAPE_SPAN_MIN", np.inf)  # (and its lower edge, stop 41)

    rng = np.random.default_rng(0)
    x = 10.0 ** rng.uniform(-2.0, 4.0, 400)  # six orders of magnitude, as body weights
    y = rng.gamma(5.0, 3.0 * x ** 0.75 / 5.0)  # mean 3 x**0.75, shape 5
    frame = pd.DataFrame({"x": x, "y": y})
    assert list(triggered(frame, "y")) == ["x"]
    # oracle: least squares of log y on log x (a gamma's E log y = log mean + a constant)
    slope = np.polyfit(np.log(x), np.log(y), 1)[0]
    grid = pd.DataFrame({"x": [0.1, 1.0, 10.0, 100.0, 1000.0]})
    fits = {}
    for variant in ("raw", "beside"):
        f = with_logs(frame, ["x"], variant)
        fits[variant] = TabularModel.fit(f, "y", family="gamma", hidden=(), solver="lbfgs",
                                         seed=0, progress=False)
    means = fits["beside"].predict(with_logs(grid.assign(y=1.0), ["x"], "beside"))
    fitted_slope = np.polyfit(np.log(grid["x"]), np.log(means), 1)[0]
    assert fitted_slope == pytest.approx(slope, abs=0.05)
    assert slope == pytest.approx(0.75, abs=0.05)  # the law that made the data
    nll = {v: fits[v].nll_rows(with_logs(frame, ["x"], v)).mean() for v in fits}
    assert nll["beside"] < nll["raw"] - 0.5  # x alone cannot follow it: far worse


def test_guard_leaves_an_exact_power_of_another_column_and_nothing_else():
    rng = np.random.default_rng(1)
    exper = rng.integers(1, 50, 500).astype(float)
    body = np.exp(rng.normal(0.0, 2.0, 500))
    frame = pd.DataFrame({"exper": exper, "expersq": exper ** 2,  # a hand-made square
                          "body": body, "grams": 1000.0 * body,  # a rescaled copy: power 1
                          "noisy": body * np.exp(rng.normal(0.0, 0.05, 500)),  # a measured kin
                          "y": rng.normal(size=500)})  # fmt: skip
    found = powers_of_others(frame, "y", ["expersq", "body", "grams", "noisy"])
    assert list(found) == ["expersq"]
    assert found["expersq"][0] == "exper"
    assert found["expersq"][1] == pytest.approx(2.0, rel=1e-9)  # the law that made it


def test_a_uniform_column_from_zero_sits_on_the_threshold():
    # U uniform on (0, 1]: var(log U) = 1, cov(U, log U) = E[U log U] - E[U] E[log U]
    # = -1/4 + 1/2 = 1/4, var(U) = 1/12, so resid_sd**2 = 1 - (1/4)**2 / (1/12) = 1/4: the
    # limit is RESID_SD_MIN itself, and a sample fires by the luck of its smallest values
    u = (np.arange(1, 2_000_001) - 0.5) / 2_000_000  # midpoints: the law, without noise
    assert spread(u)["resid_sd"] == pytest.approx(0.5, abs=1e-3)
    assert RESID_SD_MIN == 0.5
    fired = [spread(np.random.default_rng(s).uniform(0.0, 1.0, 300))["resid_sd"] >= RESID_SD_MIN
             for s in range(40)]  # fmt: skip
    assert 0 < sum(fired) < 40  # neither never nor always: a coin, not a rule
