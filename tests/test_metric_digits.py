"""Held-out metrics in the target's units keep their significant digits, however small the
target's scale (a target of scale 1e-9 printed CRPS, RMSE and MAE as 0.0000).

Oracle: numpy's RMSE and MAE of ``probnn predict``'s predictions against the true targets,
and hand-worked formats (ordinary values print exactly as before: four decimals).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from _cli import printed_metric, run
from _tables import few_rows_table


def _tiny(seed: int, n: int) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    x = r.normal(size=n)
    return pd.DataFrame({"x": x, "y": 1e-9 * (2 * x + r.normal(size=n))})


@pytest.mark.parametrize("key, value, text", [
    ("rmse", 756.2642, "756.2642"),  # the README's figures, as they were
    ("mae", 0.4187, "0.4187"),
    ("crps", 0.1, "0.1000"),
    ("nll_nats", -19.30112, "-19.3011"),
    ("ece", 0.0599, "0.0599"),  # a probability's four decimals are its precision
    ("ece", 1e-9, "0.0000"),
    ("rmse", 0.0, "0.0000"),
    ("rmse", 1.0003e-9, "1.000e-09"),
    ("crps", 5.6594e-10, "5.659e-10"),
    ("mae", -0.0123456, "-0.01235"),
    ("mae", 0.0856, "0.08560"),
    # from 1e6 on, an exponent: four decimals of 4.5e29 are 34 digits to count by eye
    ("crps", 449505077847774077625173016576.0, "4.495e+29"),
    ("rmse", 1e6, "1.000e+06"),
    ("nll_nats", -2.5e7, "-2.500e+07"),
    ("mae", 999999.99996, "1.000e+06"),  # four decimals would round it to 1000000.0000
    ("rmse", 999999.9999, "999999.9999"),  # below: as before
    ("crps", 123456.789, "123456.7890"),
    ("crps", float("inf"), "inf"),
])  # fmt: skip
def test_figures(key, value, text):
    from probnn.cli._common import _figure

    assert _figure(key, value) == text


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_tiny_target_metrics_read_back_to_numpys(tmp_path, capsys, monkeypatch, stream):
    monkeypatch.chdir(tmp_path)
    _tiny(4, 300).to_csv("tiny.csv", index=False)
    new = _tiny(5, 100)
    new.to_csv("new.csv", index=False)
    code, out, err = run(capsys, "fit", "tiny.csv", "--target", "y", "--family", "normal",
                         "--hidden", "4", "--epochs", "30", "--stream", stream)  # fmt: skip
    assert code == 0, err
    fitted = {k: printed_metric(out, k) for k in ("RMSE", "MAE", "CRPS (units of the target)")}
    assert all(0 < v < 1e-7 for v in fitted.values()), out
    # the fit's held-out rows, scored again by evaluate: the same figures
    code, again, err = run(capsys, "evaluate", "tiny.safetensors", "tiny.csv", "--stream", stream)
    assert code == 0, err
    for label, value in fitted.items():
        assert printed_metric(again, label) == pytest.approx(value, rel=1e-3)
    # new rows: the printed RMSE / MAE against numpy's on predict's means
    code, scored, err = run(capsys, "evaluate", "tiny.safetensors", "new.csv", "--stream", stream)
    assert code == 0, err
    code, _, err = run(capsys, "predict", "tiny.safetensors", "new.csv", "--out", "p.csv")
    assert code == 0, err
    error = pd.read_csv("p.csv")["prediction"].to_numpy() - new["y"].to_numpy()
    assert printed_metric(scored, "RMSE") == pytest.approx(np.sqrt(np.mean(error**2)), rel=1e-3)
    assert printed_metric(scored, "MAE") == pytest.approx(np.mean(np.abs(error)), rel=1e-3)


# ------------------------------------------------- a law without a mean (11th hostile trial)
@pytest.mark.parametrize("df", [1.0, 0.5])
def test_rmse_of_a_law_without_a_mean_is_nan_not_zero(df):
    # A Student-t with df <= 1 has no mean (Cauchy at df = 1, by hand): its RMSE and MAE of
    # "the predicted mean" are undefined; the RMSE was 0.0 (nan errors left out of the sum)
    # while the MAE was nan.
    from probnn.distributions import StudentT
    from probnn.metrics import regression_metrics

    y = np.array([0.3, -1.2, 4.0])
    scores = regression_metrics(y, StudentT(np.full(3, df), loc=np.zeros(3), scale=np.ones(3)))
    assert np.isnan(scores["rmse"]) and np.isnan(scores["mae"])
    # a law with a mean beside it keeps its figures: numpy's RMSE of y - loc
    with_mean = regression_metrics(y, StudentT(np.full(3, 3.0), loc=np.zeros(3),
                                               scale=np.ones(3)))
    assert with_mean["rmse"] == pytest.approx(np.sqrt(np.mean(y**2)), rel=1e-15)


def test_fit_says_the_rmse_of_a_cauchy_fit_is_undefined(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = _tiny(0, 60) * 1e9
    frame.to_csv("cauchy.csv", index=False)
    code, out, err = run(capsys, "fit", "cauchy.csv", "--target", "y", "--family", "studentt",
                         "--family-param", "df=1", "--hidden", "none", "--quiet")
    assert code == 0, err
    rmse_line = next(line for line in out.splitlines() if line.strip().startswith("RMSE"))
    assert "nan" in rmse_line and "does not exist" in rmse_line, out
    assert "0.0000" not in rmse_line


def test_the_worse_than_constant_warning_prints_its_nll_as_the_metrics_do(
        tmp_path, capsys, monkeypatch):
    # 11th hostile trial: a normal GLM fitted on 4 rows (--test-size 0.99) scored 4.295e+16
    # held out, which the metrics print so, while the warning said
    # "42951432713589736.0000" (17 digits to count by eye)
    monkeypatch.chdir(tmp_path)
    few_rows_table().to_csv("few.csv", index=False)
    code, out, err = run(capsys, "fit", "few.csv", "--target", "y", "--family", "normal",
                         "--hidden", "none", "--test-size", "0.99", "--quiet")
    assert code == 0, err
    printed = re.search(r"^  NLL \(nats per example\)\s+(\S+)$", out, re.M).group(1)
    assert float(printed) >= 1e6  # (the case: a figure past the exponent's threshold)
    warned = re.search(r"held-out NLL (\S+) is worse than the best constant", out + err)
    assert warned is not None, out + err
    assert warned.group(1) == printed
