"""The command line never destroys or half-writes, and says what it means (issue 9).

* no output replaces an input (fit's model or report over the data, predict's CSV over the
  data or the model file), and every output path is checked before any training;
* a failed run writes no half file; a failed report keeps the trained model and says where;
  files get the user's umask;
* the report lands beside the model; messages name the command line's options;
* ``compare`` ranks only likelihoods of one kind, with standard errors.

Every number asserted comes from scipy.stats, numpy on per-row values or hand computation.
"""

from __future__ import annotations

import math
import os
import pathlib
import re
import stat
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from probnn.cli import main, split_rows


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    # (a short fit may warn first that it used all its epochs)
    lines = [l for l in err.strip().splitlines() if not l.startswith("probnn: warning: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("probnn: error: "), err
    return lines[0]


FAST = ("--hidden", "4", "--epochs", "3", "--quiet")


def fit(capsys, data, *extra):
    return run(capsys, "fit", data, "--target", "y", *FAST, *extra)


# ------------------------------------------------------- no output replaces an input
def test_fit_out_equal_to_data_is_refused(tmp_path, real_csv, capsys, no_training):
    before = real_csv.read_bytes()
    code, _, err = fit(capsys, real_csv, "--out", real_csv)
    assert code == 2
    assert "would replace the data" in one_error_line(err)
    assert real_csv.read_bytes() == before


def test_fit_out_through_a_link_to_the_data_is_refused(tmp_path, real_csv, capsys, no_training):
    hard = tmp_path / "hard.csv"
    os.link(real_csv, hard)
    soft = tmp_path / "soft.safetensors"
    soft.symlink_to(real_csv)
    for out in (hard, soft, tmp_path / "." / real_csv.name):
        code, _, err = fit(capsys, real_csv, "--out", out)
        assert code == 2, out
        assert "would replace the data" in one_error_line(err)


def test_fit_report_folder_holding_the_data_is_refused(tmp_path, real_csv, capsys, no_training):
    for report in (tmp_path, real_csv):
        code, _, err = fit(capsys, real_csv, "--out", tmp_path / "m.safetensors", "--report", report)
        assert code == 2
        assert "--report" in one_error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_predict_out_equal_to_an_input_is_refused(tmp_path, real_csv, capsys):
    model = tmp_path / "m.safetensors"
    code, _, err = fit(capsys, real_csv, "--out", model)
    assert code == 0, err
    data_before, model_before = real_csv.read_bytes(), model.read_bytes()
    for out, what in ((real_csv, "the data"), (model, "the model file")):
        code, _, err = run(capsys, "predict", model, real_csv, "--out", out)
        assert code == 2
        assert f"would replace {what}" in one_error_line(err)
    assert real_csv.read_bytes() == data_before and model.read_bytes() == model_before


# -------------------------------------------------- output paths checked before training
@pytest.mark.parametrize("option", ["--out", "--report"])
def test_fit_missing_output_folder_fails_before_training(tmp_path, real_csv, capsys, no_training,
                                                         option):  # fmt: skip
    target = tmp_path / "missing" / "deeper"
    paths = {"--out": tmp_path / "m.safetensors", "--report": tmp_path / "rep"}
    if option == "--out":
        paths["--out"] = target / "m.safetensors"
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        paths["--report"] = blocker / "rep"  # a report folder under a file cannot exist
    code, _, err = fit(capsys, real_csv, "--out", paths["--out"], "--report", paths["--report"])
    assert code == 2
    assert option in one_error_line(err)


def test_predict_missing_output_folder_fails_before_reading(tmp_path, capsys):
    # neither the model nor the data exists: the --out check comes first, as usage (2)
    code, _, err = run(capsys, "predict", tmp_path / "m.safetensors", tmp_path / "d.csv",
                       "--out", tmp_path / "nowhere" / "p.csv")  # fmt: skip
    assert code == 2
    assert "--out" in one_error_line(err)


@pytest.fixture
def locked(tmp_path):
    """A folder this process cannot create files in: read-only for a user; /sys for root,
    whom permission bits do not stop (CI runs as root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        yield pathlib.Path("/sys")
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        yield folder
    finally:
        folder.chmod(0o700)


def test_unwritable_output_folder_fails_before_training(tmp_path, real_csv, capsys, no_training,
                                                        locked):  # fmt: skip
    code, _, err = fit(capsys, real_csv, "--out", locked / "m.safetensors",
                       "--report", tmp_path / "rep")  # fmt: skip
    assert code == 2 and "not writable" in one_error_line(err)
    code, _, err = fit(capsys, real_csv, "--out", tmp_path / "m.safetensors",
                       "--report", locked / "rep")  # fmt: skip
    assert code == 2 and "not writable" in one_error_line(err)


# ------------------------------------- a failed report writes no half report, loses no model
def test_report_failure_keeps_the_trained_model_and_says_where(tmp_path, real_csv, capsys,
                                                               monkeypatch):  # fmt: skip
    # (issue 20: a report that failed after training used to take the model with it)
    import probnn.report
    from probnn.model_file import load_model

    model = tmp_path / "m.safetensors"
    report = tmp_path / "rep"

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device", str(report / "report.html"))

    monkeypatch.setattr(probnn.report, "write_report", broken)
    model.write_bytes(b"the old model")
    code, _, err = fit(capsys, real_csv, "--out", model, "--report", report)
    assert code == 1
    line = one_error_line(err)
    assert f"the model is saved in {model}" in line and "No space left on device" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "m.safetensors"]  # no temporaries
    assert load_model(model).target == "y"  # the new model, whole


def test_report_failure_half_way_leaves_no_figures(tmp_path, real_csv, capsys, monkeypatch):
    import probnn.report

    def render_fails(*args, **kwargs):
        raise RuntimeError("renderer broke")

    # the PNGs are written, then the page fails
    monkeypatch.setattr(probnn.report, "render_html", render_fails)
    code, _, err = fit(capsys, real_csv, "--out", tmp_path / "m.safetensors",
                       "--report", tmp_path / "rep")  # fmt: skip
    assert code == 1
    assert "renderer broke" in one_error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "m.safetensors"]


# ------------------------------------------------------------------------ file modes
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_every_written_file_gets_the_umask(tmp_path, real_csv, capsys, umask):
    old = os.umask(umask)
    try:
        model, report, preds = tmp_path / "m.safetensors", tmp_path / "rep", tmp_path / "p.csv"
        code, _, err = fit(capsys, real_csv, "--out", model, "--report", report)
        assert code == 0, err
        code, _, err = run(capsys, "predict", model, real_csv, "--out", preds)
        assert code == 0, err
        code, _, err = run(capsys, "figures", "--out", tmp_path / "figs")
        assert code == 0, err
    finally:
        os.umask(old)
    files = [model, preds, *report.iterdir(), *(tmp_path / "figs").iterdir()]
    assert len(files) >= 8
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def test_atomic_write_replaces_and_cleans_up(tmp_path):
    from probnn._io import atomic_path, atomic_write

    target = tmp_path / "f.txt"
    atomic_write(target, "first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("stop")
    assert target.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_current_umask_reads_without_changing_it():
    from probnn._io import current_umask

    old = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        assert current_umask() == 0o027
    finally:
        os.umask(old)


# ---------------------------------------------------------------- the report's place
def test_report_lands_beside_the_model_named_after_it(tmp_path, real_csv, capsys, monkeypatch):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                         "--hidden", "4", "--epochs", "3",
                         "--out", models / "m.safetensors")  # fmt: skip
    assert code == 0, err
    assert (models / "m-report" / "report.html").is_file()
    assert list(elsewhere.iterdir()) == []
    assert f"report written to {models / 'm-report' / 'report.html'}" in out


# ------------------------------------------------------------------------- messages
def test_usage_error_names_the_command_once(tmp_path, real_csv, capsys):
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       "--hidden", "0,0")
    assert code == 2
    line = one_error_line(err)
    assert line.startswith("probnn: error: fit: argument --hidden: ")
    assert "probnn fit" not in line


def test_convergence_warning_names_epochs(tmp_path, real_csv, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                           "--hidden", "4",
                           "--epochs", "2", "--out", tmp_path / "m.safetensors",
                           "--report", tmp_path / "rep", "--quiet")  # fmt: skip
    assert code == 0, err
    line = next(l for l in err.splitlines() if "epochs" in l)
    assert line.startswith("probnn: warning: training used all 2 epochs (--epochs 2)")
    assert "max_iter" not in err and "tol" not in err and "raise" not in err


def test_convergence_text_for_lbfgs():
    from probnn.cli import _convergence_text

    text = _convergence_text("L-BFGS stopped at max_iter=7 iterations or max_fun=15000 "
                             "evaluations before converging: STOP")  # fmt: skip
    assert "--epochs 7" in text and "max_iter" not in text


# ------------------------------------------------------------------- --family-param
def test_family_param_reaches_the_family(tmp_path, real_csv, capsys):
    from probnn.model_file import load_model

    model = tmp_path / "m.safetensors"
    code, _, err = fit(capsys, real_csv, "--family", "normal-fixed", "--family-param", "scale=2.5",
                       "--out", model)  # fmt: skip
    assert code == 0, err
    loaded = load_model(model)
    frame = pd.read_csv(real_csv)
    np.testing.assert_allclose(np.asarray(loaded.predict_dist(frame).scale), 2.5, rtol=1e-6)
    # and the predicted CSV's NLL is the normal's with that sigma (scipy)
    code, out, err = run(capsys, "evaluate", model, real_csv)
    assert code == 0, err
    loc = np.asarray(loaded.predict_dist(frame).loc, dtype=np.float64)
    held = split_rows(len(frame), 0)[1]  # on its own data, the rows the fit held out (issue 20)
    nll = -np.mean(stats.norm.logpdf(frame["y"].iloc[held], loc[held], 2.5))
    nats = float(next(l for l in out.splitlines() if "nats" in l).split()[-1])
    assert nats == pytest.approx(nll, abs=1e-4)


def test_family_param_studentt_df(tmp_path, real_csv, capsys):
    from probnn.model_file import load_model

    model = tmp_path / "m.safetensors"
    code, _, err = fit(capsys, real_csv, "--family", "studentt", "--family-param", "df=4",
                       "--out", model)  # fmt: skip
    assert code == 0, err
    dist = load_model(model).predict_dist(pd.read_csv(real_csv))
    np.testing.assert_allclose(np.asarray(dist.df), 4.0)


@pytest.mark.parametrize("params", [["scale"], ["scale=abc"], ["=2"], ["scale=inf"],
                                    ["bogus=1"], ["scale=-1"], ["scale=1", "scale=2"]])  # fmt: skip
def test_bad_family_param_is_usage(real_csv, capsys, no_training, params):
    extra = [a for p in params for a in ("--family-param", p)]
    code, _, err = fit(capsys, real_csv, "--family", "normal-fixed", *extra)
    assert code == 2
    assert "family-param" in one_error_line(err) or "family" in err


# ------------------------------------------------------------------------- compare
def test_integer_log_prob_matches_scipy():
    from probnn._discrete import integer_log_prob
    from probnn.distributions import Laplace, Normal, StudentT

    y = np.array([0, 3, 10, -4, 7, 12])
    loc = np.array([0.2, 3.0, 2.0, 1.0, 7.0, 11.0])
    scale = np.array([1.0, 0.3, 2.0, 1.5, 100.0, 0.8])
    for dist, oracle in ((Normal(loc, scale), stats.norm(loc, scale)),
                         (Laplace(loc, scale), stats.laplace(loc, scale)),
                         (StudentT(4.0, loc, scale), stats.t(4.0, loc, scale))):  # fmt: skip
        expected = np.log(oracle.cdf(y + 0.5) - oracle.cdf(y - 0.5))
        np.testing.assert_allclose(integer_log_prob(dist, y), expected, rtol=1e-10)


def test_integer_log_prob_far_in_the_tail():
    # the plain cdf difference is 1 - 1 = 0 here; scipy's survival functions in log space
    # give the oracle: log(sf(a) - sf(b)) = logsf(a) + log(1 - exp(logsf(b) - logsf(a)))
    from probnn._discrete import integer_log_prob
    from probnn.distributions import Laplace, Normal

    y, loc, scale = np.array([40.0, -40.0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    a, b = y - 0.5, y + 0.5
    up = stats.norm.logsf(a[0], 1, 1) + np.log1p(-np.exp(stats.norm.logsf(b[0], 1, 1)
                                                         - stats.norm.logsf(a[0], 1, 1)))
    down = stats.norm.logcdf(b[1], 1, 1) + np.log1p(-np.exp(stats.norm.logcdf(a[1], 1, 1)
                                                            - stats.norm.logcdf(b[1], 1, 1)))
    got = integer_log_prob(Normal(loc, scale), y)
    np.testing.assert_allclose(got, [up, down], rtol=1e-9)
    # Laplace by hand: above loc, P = (exp(-(a - mu)) - exp(-(b - mu))) / 2
    hand = np.log(0.5) - (a[0] - 1.0) + np.log1p(-np.exp(-1.0))
    assert integer_log_prob(Laplace(loc, scale), y)[0] == pytest.approx(hand, rel=1e-12)


def test_paired_standard_error_by_hand():
    from probnn.cli import paired_standard_errors

    rows = {"a": np.array([1.0, 2.0, 3.0, 4.0]), "b": np.array([1.5, 2.0, 3.5, 4.0])}
    best, se = paired_standard_errors(rows)
    # d = b - a = [0.5, 0, 0.5, 0]: mean 0.25, sd (ddof 1) sqrt(4 * 0.0625 / 3), SE sd / 2
    assert best == "a"
    assert se["b"] == pytest.approx(math.sqrt(0.25 / 3) / 2, rel=1e-12)
    assert se["a"] == 0.0


def _table(out: str) -> dict[str, list[str]]:
    return {r[1]: r for r in (l.split() for l in out.splitlines()) if r and r[0].isdigit()}


def test_compare_on_class_labels_offers_no_density(tmp_path, capsys):
    rng = np.random.default_rng(5)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"x": x, "y": (x + rng.normal(size=120) > 0).astype(int)})
    path = tmp_path / "b.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(capsys, "compare", path, "--target", "y", *FAST,
                         "--report", tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    assert list(_table(out)) == ["bernoulli"]
    assert "CRPS" not in out  # class labels have no order: no CRPS column (issue 23)
    code, out, err = run(capsys, "compare", path, "--target", "y", "--families",
                         "laplace,bernoulli,normal", *FAST, "--report",
                         tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    assert list(_table(out)) == ["bernoulli"]
    assert "skipped laplace: a density is not a probability of a class label" in out
    assert "skipped normal" in out
    assert "probability of each held-out class label" in out


def test_compare_scores_continuous_families_on_counts_as_probabilities(tmp_path, capsys):
    from probnn.cli import split_rows
    from probnn.tables.model import TabularModel, early_stopping_rows

    rng = np.random.default_rng(6)
    x = rng.normal(size=150)
    frame = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(1.5 + 0.5 * x))})
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(capsys, "compare", path, "--target", "y", "--families",
                         "poisson,normal", *FAST, "--report",
                         tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    assert "cdf(y + 1/2) - cdf(y - 1/2)" in out
    table = _table(out)
    assert set(table) == {"poisson", "normal"}

    # oracle: refit on the same split and score with scipy, per row
    frame = pd.read_csv(path)
    train, test = split_rows(len(frame), 0)
    held = frame.iloc[test]
    rows = {}
    for family in ("poisson", "normal"):
        # the command line's own training defaults: those of MLPRegressor, whose parameters
        # the options left out keep (--batch-size auto, --prior gaussian)
        # early stopping's rows by the row hash, as compare keeps them (issue 21)
        validation = early_stopping_rows(train, family, 0, 0.2, hidden=(4,), epochs=3,
                                         batch_size="auto", prior="gaussian")  # fmt: skip
        model = TabularModel.fit(frame.iloc[train], "y", family=family, hidden=(4,), epochs=3, seed=0,
                                 batch_size="auto", prior="gaussian", validation=validation)  # fmt: skip
        dist = model.predict_dist(held)
        if family == "poisson":
            rows[family] = -stats.poisson.logpmf(held["y"], np.asarray(dist.rate, np.float64))
        else:
            loc, scale = (np.asarray(v, np.float64) for v in (dist.loc, dist.scale))
            rows[family] = -np.log(stats.norm.cdf(held["y"] + 0.5, loc, scale)
                                   - stats.norm.cdf(held["y"] - 0.5, loc, scale))
    means = {f: float(np.mean(r)) for f, r in rows.items()}
    best, worst = sorted(means, key=means.get)
    for family in rows:
        assert float(table[family][2]) == pytest.approx(means[family], abs=1e-4)
    d = rows[worst] - rows[best]
    assert float(table[worst][5]) == pytest.approx(np.std(d, ddof=1) / np.sqrt(d.size), abs=1e-4)
    assert table[best][5] == "-"


@pytest.mark.parametrize("shift, verdict", [(0.01, "within noise"), (0.5, "beats")])
def test_compare_says_when_the_top_two_are_within_noise(tmp_path, capsys, monkeypatch, shift,
                                                        verdict):  # fmt: skip
    import probnn.compare

    rng = np.random.default_rng(7)
    x = rng.normal(size=100)
    frame = pd.DataFrame({"x": x, "y": x + rng.normal(size=100) + 0.01})
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    # hand-made per-row NLLs on the 20 held-out rows: studentt = normal + shift + noise
    base = rng.normal(1.4, 0.3, size=20)
    noise = rng.normal(0.0, 0.1, size=20)
    noise -= noise.mean()  # the mean difference is exactly the shift
    made = {"normal": base, "studentt": base + shift + noise}
    monkeypatch.setattr(probnn.compare, "_row_nll", lambda model, held, kind, dist=None: made[model.family])
    code, out, err = run(capsys, "compare", path, "--target", "y", "--families",
                         "studentt,normal", *FAST, "--report",
                         tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    table = _table(out)
    d = made["studentt"] - made["normal"]
    se = np.std(d, ddof=1) / np.sqrt(20)
    assert table["normal"][0] == "1" and table["normal"][5] == "-"
    assert float(table["studentt"][4]) == pytest.approx(d.mean(), abs=1e-4)
    assert float(table["studentt"][5]) == pytest.approx(se, abs=1e-4)
    assert (d.mean() < 2 * se) == (verdict == "within noise")
    expected = {"within noise": "normal and studentt are within noise",
                "beats": "normal beats studentt by 0.5000 nats/example"}[verdict]  # fmt: skip
    assert expected in out
    assert "log-density" in out


def test_predict_with_an_ensemble_model_writes_each_members_parameters(tmp_path, capsys):
    # an ensemble has no single family: its prediction is the equal mixture of its members'
    rng = np.random.default_rng(8)
    x = rng.normal(size=120)
    data = tmp_path / "e.csv"
    pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=120)}).to_csv(data, index=False)
    model = tmp_path / "e.safetensors"
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "normal", "--ensemble",
                       "2", "--epochs", "3", "--hidden", "4", "--quiet", "--out", model)  # fmt: skip
    assert code == 0, err
    out_csv = tmp_path / "p.csv"
    code, _, err = run(capsys, "predict", model, data, "--out", out_csv)
    assert code == 0, err
    table = pd.read_csv(out_csv)
    assert list(table.columns) == ["prediction", "loc_1", "scale_1", "loc_2", "scale_2",
                                   "lower", "upper"]  # fmt: skip
    # the mixture's mean is the members' mean; its 5% quantile solves the mixture cdf
    np.testing.assert_allclose(table["prediction"], (table["loc_1"] + table["loc_2"]) / 2,
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    cdf = 0.5 * (stats.norm.cdf(table["lower"], table["loc_1"], table["scale_1"])
                 + stats.norm.cdf(table["lower"], table["loc_2"], table["scale_2"]))
    np.testing.assert_allclose(cdf, 0.05, atol=1e-5)


def test_integer_log_prob_of_a_mixture_is_its_weighted_components():
    # compare scores mixture-normal on counts: P(y - 1/2 < Y <= y + 1/2) under the mixture
    from probnn._discrete import integer_log_prob
    from probnn.distributions import Mixture, Normal

    y = np.array([0.0, 3.0, 40.0, -7.0])
    parts = [Normal(loc=np.array([0.0, 2.0, 30.0, 1.0]), scale=np.array([1.0, 0.5, 2.0, 1.0])),
             Normal(loc=np.array([5.0, 3.0, 35.0, -6.0]), scale=np.array([2.0, 1.0, 0.3, 3.0]))]
    w = np.array([[0.3, 0.6, 0.5, 0.9], [0.7, 0.4, 0.5, 0.1]])
    expected = sum(w[k] * (stats.norm.cdf(y + 0.5, c.loc, c.scale)
                           - stats.norm.cdf(y - 0.5, c.loc, c.scale))
                   for k, c in enumerate(parts))  # fmt: skip
    np.testing.assert_allclose(np.exp(integer_log_prob(Mixture(parts, weights=w), y)), expected,
                               rtol=1e-10)  # fmt: skip
