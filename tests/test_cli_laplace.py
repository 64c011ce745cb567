"""``probnn fit / predict / evaluate / compare --posterior laplace`` end to end (issue 24).
(A named family: ``--family auto`` with the posterior is tests/test_auto_with_options.py.)

Oracles: scipy.stats' Normal density of the held-out rows at the predicted columns; the
wrapped network's own predictions (the posterior keeps its location and only widens it);
the evidence's maximum checked at neighbouring prior precisions.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _html import read_report
from probnn.cli import main, split_rows
from probnn.model_file import load_model

LINE = re.compile(r"Laplace posterior over the output layer's (\d+) weights: prior precision "
                  r"(\S+) \(chosen by the evidence\), log evidence (\S+) nats")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 120
    x = rng.uniform(-2, 2, n)
    frame = pd.DataFrame({"x": x, "shop": rng.choice(["n", "s"], n),
                          "y": np.sin(2 * x) + 0.3 * rng.normal(size=n)})
    frame["label"] = np.where(frame["y"] > 0, "up", "down")
    path = tmp_path_factory.mktemp("laplace_cli") / "t.csv"
    frame.to_csv(path, index=False)
    return path, frame


@pytest.fixture(scope="module")
def fitted(table, tmp_path_factory):
    path, _ = table
    out = tmp_path_factory.mktemp("model") / "m.safetensors"
    code = main(["fit", str(path), "--target", "y", "--drop", "label", "--posterior", "laplace",
                 "--family", "normal", "--epochs", "40", "--out", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    return out


def test_fit_reports_the_evidence_and_its_prior_precision(table, tmp_path, capsys):
    path, frame = table
    out = tmp_path / "m.safetensors"
    code, stdout, _ = run(capsys, "fit", path, "--target", "y", "--drop", "label", "--family",
                          "normal", "--posterior", "laplace", "--epochs", "40", "--out", out, "--quiet")
    assert code == 0
    match = LINE.search(stdout)
    assert match, stdout
    model = load_model(out)
    assert model.posterior == "laplace"
    # the report: the epistemic figure and the posterior's table beside the held-out NLL
    page = read_report(tmp_path / "m-report" / "report.html")
    assert (tmp_path / "m-report" / "epistemic.png").exists()
    rows = {r[0]: r[1] for r in page.tables["posterior"] if len(r) == 2}
    assert rows["log evidence of the training rows (Laplace)"].startswith(match[3].rstrip("0"))
    la = model.estimator
    assert int(match[1]) == la.n_weights_ == (la.estimator_.coefs_[-1].shape[0] + 1) * 2
    lam, evidence = float(match[2]), float(match[3])
    assert lam == pytest.approx(la.prior_precision_, rel=1e-3)
    assert evidence == pytest.approx(la.log_evidence_, abs=0.01)
    # the evidence's maximum: lower at prior precisions 10% either side
    for other in (lam * 1.1, lam / 1.1):
        la_other = type(la)(la.estimator_, prefit=True, prior_precision=other)
        train = frame.drop(columns="label").iloc[split_rows(len(frame), 0, 0.2)[0]]
        la_other.fit(model.transform(train), model.encode_target(train))
        assert la_other.log_evidence_ < la.log_evidence_


def test_predict_and_evaluate_use_the_posterior_predictive(table, fitted, tmp_path, capsys):
    path, frame = table
    model = load_model(fitted)
    predictions = tmp_path / "p.csv"
    assert run(capsys, "predict", fitted, path, "--out", predictions)[0] == 0
    columns = pd.read_csv(predictions)
    # the network at its fitted weights (not the regressor's own last-layer predictive)
    from probnn.estimators._last_layer import plug_in_dist

    plain = plug_in_dist(model.estimator.estimator_, model.transform(frame))
    # the linearised posterior keeps the network's location and widens its scale
    # (the posterior runs the float32 network in float64: equal to float32 rounding)
    np.testing.assert_allclose(columns["loc"], plain.loc, rtol=1e-5, atol=1e-6)
    assert np.all(columns["scale"] > np.asarray(plain.scale))
    # evaluate scores the held-out rows by the same Normal as predict writes (scipy's density)
    code, stdout, _ = run(capsys, "evaluate", fitted, path)
    assert code == 0
    test = split_rows(len(frame), 0, 0.2)[1]
    nll = -stats.norm.logpdf(frame["y"].iloc[test], columns["loc"].iloc[test],
                             columns["scale"].iloc[test]).mean()
    printed = float(re.search(r"NLL \(nats per example\)\s+(\S+)", stdout)[1])
    assert printed == pytest.approx(nll, abs=1e-4)


def test_a_classifier_is_less_sure_under_its_posterior(table, tmp_path, capsys):
    path, frame = table
    out = tmp_path / "c.safetensors"
    code, stdout, _ = run(capsys, "fit", path, "--target", "label", "--drop", "y", "--family",
                          "bernoulli", "--posterior", "laplace", "--epochs", "30", "--out", out, "--quiet")
    assert code == 0 and LINE.search(stdout)
    predictions = tmp_path / "p.csv"
    assert run(capsys, "predict", out, path, "--out", predictions)[0] == 0
    columns = pd.read_csv(predictions)
    model = load_model(out)
    plain = model.estimator.estimator_.predict_proba(model.transform(frame))
    # the probit approximation moves every probability towards 1/2, never across it
    up = model.classes.index("up")
    p = columns["p(up)"].to_numpy()
    assert np.all(np.abs(p - 0.5) <= np.abs(plain[:, up] - 0.5) + 1e-12)
    assert np.all(np.sign(p - 0.5) == np.sign(plain[:, up] - 0.5))


def test_compare_scores_each_family_under_its_posterior(table, tmp_path, capsys):
    path, _ = table
    code, stdout, _ = run(capsys, "compare", path, "--target", "y", "--drop", "label",
                          "--families", "normal,laplace", "--posterior", "laplace",
                          "--epochs", "20", "--quiet", "--report", tmp_path / "cmp")
    assert code == 0 and "normal" in stdout and "laplace" in stdout


@pytest.mark.parametrize("extra, message", [
    (["--ensemble", "3"], "--posterior laplace wraps one network"),
    (["--stream", "yes"], "--posterior laplace needs the table in memory"),
    (["--censored-above", "1"], "--posterior laplace takes exact targets"),
], ids=["ensemble", "stream", "censored"])  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(table, tmp_path, capsys, extra, message):
    path, _ = table
    code, _, err = run(capsys, "fit", path, "--target", "y", "--posterior", "laplace",
                       "--out", tmp_path / "m.safetensors", *extra)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "m.safetensors").exists()


def test_a_truncated_posterior_model_file_is_one_line_and_exit_1(table, fitted, tmp_path, capsys):
    path, _ = table
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(fitted.read_bytes()[:-20])
    code, _, err = run(capsys, "predict", bad, path)
    assert code == 1 and "cut.safetensors" in err and len(err.strip().splitlines()) == 1
