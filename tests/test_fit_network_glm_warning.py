"""``probnn fit --family NAME`` with a network says on the console when the network is worse
than the family's generalised linear model by more than noise (issue 22, hostile F4).

The rule (``cli._glm.network_glm_warning``): the GLM fitted as ``--hidden none`` would fit it,
on the same training rows, scored on the same held-out rows; a line when the network's mean
NLL is above the GLM's by more than ``GLM_CHECK_SE`` paired standard errors of the per-row
differences. Oracles: the network's NLL recomputed by scipy.stats from its predicted Normals,
the GLM's from an ordinary least-squares fit with the maximum-likelihood variance (numpy), the
standard error from those per-row figures; a nonlinear truth a network learns and a line does
not (no line).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _cli import printed_metric as _metric
from _cli import run
from probnn.cli import split_rows
from probnn.cli._glm import GLM_CHECK_SE
from probnn.model_file import load_model

LINE = re.compile(r"^warning: the network's held-out NLL (\S+) is worse than the (\S+) "
                  r"generalised linear model's (\S+) \(no hidden layer, fitted on the same "
                  r"training rows; by (\S+) nats per example, paired standard error (\S+) over "
                  r"the (\S+) held-out rows\): try --hidden none, or --family auto$", re.M)


def _linear_table(tmp_path, n: int = 300, seed: int = 5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = 2.0 + X @ np.array([2.0, -1.0, 0.5]) + 0.5 * rng.normal(size=n)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    data = tmp_path / "lin.csv"
    frame.to_csv(data, index=False)
    return frame, data


def test_a_network_far_worse_than_its_glm_says_so_with_both_figures(tmp_path, capsys):
    # the truth is linear; a network stopped after 3 epochs has learnt little of it (no
    # prior: the GLM, fitted with the command's prior, is then least squares exactly)
    frame, data = _linear_table(tmp_path)
    out = tmp_path / "lin.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal-fixed",
                             "--hidden", "4", "--epochs", "3", "--prior", "none", "--out", out,
                             "--quiet")  # fmt: skip
    assert code == 0, err
    found = LINE.findall(printed)
    assert len(found) == 1, printed
    nll, family, nll_glm, gap, se, rows = found[0]
    assert family == "normal-fixed" and float(nll) == _metric(printed, "NLL (nats per example)")
    train_rows, test_rows = split_rows(frame.shape[0], 0, 0.2)
    train, test = frame.iloc[train_rows], frame.iloc[test_rows]
    assert int(rows) == len(test)
    # the network's: its predicted Normals scored by scipy
    dist = load_model(out).predict_dist(test)
    loc, scale = (np.asarray(v, dtype=np.float64).ravel() for v in (dist.loc, dist.scale))
    net_rows = -stats.norm.logpdf(test["y"], loc, scale)
    assert float(nll) == pytest.approx(net_rows.mean(), rel=1e-4, abs=1e-4)
    # the GLM's: least squares, the MLE variance
    design = np.column_stack([np.ones(len(train)), train[["a", "b", "c"]].to_numpy()])
    beta, rss, *_ = np.linalg.lstsq(design, train["y"].to_numpy(), rcond=None)
    mean = np.column_stack([np.ones(len(test)), test[["a", "b", "c"]].to_numpy()]) @ beta
    glm_rows = -stats.norm.logpdf(test["y"], mean, np.sqrt(rss[0] / len(train)))
    assert float(nll_glm) == pytest.approx(glm_rows.mean(), abs=1e-3)
    diff = net_rows - glm_rows
    assert float(gap) == pytest.approx(diff.mean(), abs=1e-3)
    assert float(se) == pytest.approx(diff.std(ddof=1) / np.sqrt(diff.size), rel=0.05)
    assert diff.mean() > GLM_CHECK_SE * diff.std(ddof=1) / np.sqrt(diff.size)  # the rule, by hand
    assert "worse than the best constant" not in printed  # (not the constant's case)


def test_a_network_that_learns_a_curve_the_glm_cannot_prints_no_line(tmp_path, capsys):
    rng = np.random.default_rng(6)
    x = rng.uniform(-3, 3, size=300)
    frame = pd.DataFrame({"x": x, "y": np.sin(2 * x) + 0.2 * rng.normal(size=300)})
    data = tmp_path / "sin.csv"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal-fixed",
                             "--hidden", "32", "--solver", "lbfgs", "--epochs", "300",
                             "--out", tmp_path / "sin.safetensors", "--quiet")  # fmt: skip
    assert code == 0, err
    # the oracle: a straight line's NLL (least squares, scipy) is far above the network's
    train_rows, test_rows = split_rows(300, 0, 0.2)
    slope, intercept = np.polyfit(x[train_rows], frame["y"].iloc[train_rows], 1)
    resid = frame["y"].iloc[train_rows] - (intercept + slope * x[train_rows])
    line = -stats.norm.logpdf(frame["y"].iloc[test_rows], intercept + slope * x[test_rows],
                              np.sqrt(np.mean(resid**2))).mean()  # fmt: skip
    assert _metric(printed, "NLL (nats per example)") < line - 0.5
    assert LINE.search(printed) is None and "generalised linear model" not in printed


def test_no_line_for_the_glm_itself_nor_for_family_auto(tmp_path, capsys):
    frame, data = _linear_table(tmp_path, n=120)
    for options in (["--family", "normal-fixed", "--hidden", "none"], ["--family", "auto"]):
        code, printed, err = run(capsys, "fit", data, "--target", "y", *options,
                                 "--out", tmp_path / "m.safetensors", "--quiet")
        assert code == 0, err
        assert LINE.search(printed) is None, options


def test_above_the_cost_ceiling_the_glm_is_not_fitted_and_that_is_said(tmp_path, capsys,
                                                                        monkeypatch):
    import probnn.cli._glm as glm_module
    import probnn.tables.model as model_module

    frame, data = _linear_table(tmp_path, n=120)
    monkeypatch.setattr(glm_module, "GLM_CHECK_CELLS", 10)  # 96 rows x 4 weights is 384
    fits = []
    real_fit = model_module.TabularModel.fit.__func__

    def counting_fit(cls, *args, **kwargs):
        fits.append(kwargs.get("hidden"))
        return real_fit(cls, *args, **kwargs)

    monkeypatch.setattr(model_module.TabularModel, "fit", classmethod(counting_fit))
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal-fixed",
                             "--hidden", "4", "--epochs", "3", "--out", tmp_path / "m.safetensors")
    assert code == 0, err
    assert fits == [(4,)]  # the network only: no GLM
    said = [t for t in printed.splitlines() if "not compared with the normal-fixed" in t]
    assert len(said) == 1 and "above the check's 1e+01" in said[0], printed
    assert LINE.search(printed) is None


@pytest.mark.parametrize("option, who", [(["--ensemble", "2"], "2-network ensemble's"),
                                         (["--posterior", "laplace"], "network's")])
def test_an_ensemble_and_a_laplace_predictive_are_scored_as_printed(tmp_path, capsys, option,
                                                                    who):
    # their rows' NLLs (a mixture of members; the posterior's predictive) average to the
    # held-out figure the command prints, which evaluate computes by its own path
    frame, data = _linear_table(tmp_path)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal-fixed",
                             "--hidden", "4", "--epochs", "3", *option,
                             "--out", tmp_path / "m.safetensors", "--quiet")  # fmt: skip
    assert code == 0, err
    line = [t for t in printed.splitlines() if "generalised linear model's" in t]
    assert len(line) == 1 and line[0].startswith(f"warning: the {who} held-out NLL "), printed
    nll = float(re.search(r"held-out NLL (\S+) is worse", line[0]).group(1))
    assert nll == pytest.approx(_metric(printed, "NLL (nats per example)"), abs=1e-4)
