"""The selection on a real target with a point mass at an end (issue 22): the atom's rows are
read as censored there (a Tobit model), every candidate is scored and the choice fitted by
the censored likelihood; ``point_mass="density"`` (``--point-mass density``) keeps the
densities and the warning. Oracles: scipy.stats' censored normal / Laplace log-likelihoods
at the model's own predicted parameters, and hand-made tables whose atom share is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from _intervals import recorded_interval
from probnn.model_file import load_model
from probnn.auto import AutoRegressor
from probnn.selection import point_mass_note, select_model
from probnn.tables.censoring import Censoring
from _cli import printed_metric, run

FAST = dict(network_families=0)  # constants and GLMs: the scoring is what is tested


def tobit(n: int, seed: int, side: str = "below") -> tuple[pd.DataFrame, pd.Series]:
    """Latent y* = 0.3 + x + N(0, 1), recorded as max(y*, 0) (``side="below"``, ~40% at 0)
    or min(y*, 1) (``"above"``, ~30% at 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    latent = 0.3 + x + rng.normal(size=n)
    y = np.maximum(latent, 0.0) if side == "below" else np.minimum(latent, 1.0)
    return pd.DataFrame({"x": x}), pd.Series(y, name="y")


def censored_oracle(dist, y: np.ndarray, below=None, above=None) -> np.ndarray:
    """Per-row -log-likelihood from scipy at the predicted parameters: ``logcdf`` (``logsf``)
    on the rows at the left (right) bound, ``logpdf`` elsewhere."""
    law = {"Normal": stats.norm, "Laplace": stats.laplace}[type(dist).__name__]
    ref = law(loc=np.asarray(dist.loc, dtype=np.float64),
              scale=np.asarray(dist.scale, dtype=np.float64))  # fmt: skip
    out = -ref.logpdf(y)
    if below is not None:
        out = np.where(y <= below, -ref.logcdf(below), out)
    if above is not None:
        out = np.where(y >= above, -ref.logsf(above), out)
    return out


FAMILIES = ("normal", "normal-fixed", "laplace")


def test_a_left_point_mass_is_read_as_left_censored_and_scored_by_scipys_tobit_likelihood():
    X, y = tobit(300, seed=1)
    share = float(np.mean(y == 0))
    assert 0.35 < share < 0.5
    est = AutoRegressor(families=FAMILIES, **FAST).fit(X, y)
    sel = est.selection_
    assert sel.censoring == Censoring(below=0.0)
    assert sel.point_mass.startswith(f"{share:.0%} of the target's rows are exactly 0, its "
                                     "smallest value: read as left-censored there (a Tobit "
                                     "model)")  # fmt: skip
    assert sel.notes == []  # said as done, not warned
    assert est.best_estimator_.censoring == Censoring(below=0.0)  # the choice fitted censored
    # every scored candidate's held-out NLL is finite and no spike wins: each within a few
    # nats of the others (a density's spike on 40% of the rows would be far below)
    scored = sel.table.dropna(subset=["minus_best"])
    assert len(scored) == 2 * len(FAMILIES) and scored["minus_best"].max() < 1.0
    # the chosen model on fresh rows of the same process: scipy's censored likelihood
    X_new, y_new = tobit(200, seed=2)
    dist = est.predict_dist(X_new)
    expected = censored_oracle(dist, y_new.to_numpy(), below=0.0)
    assert_allclose(est.score_nll(X_new, y_new), expected.mean(), rtol=1e-5)
    # its intervals are of the value recorded: the latent quantiles moved up to 0 (and the
    # upper end at the latent 0.9 quantile where the lower end is the atom at 0)
    lower, upper = est.predict_interval(X_new, coverage=0.9)
    law = {"Normal": stats.norm, "Laplace": stats.laplace}[type(dist).__name__]
    ref = law(loc=np.asarray(dist.loc, dtype=np.float64), scale=np.asarray(dist.scale, dtype=np.float64))
    want_lower, want_upper = recorded_interval(ref, 0.9, below=0.0)
    assert_allclose(lower, want_lower, rtol=1e-4, atol=1e-6)
    assert_allclose(upper, want_upper, rtol=1e-4, atol=1e-6)
    assert np.any(upper == 0.0)  # some rows' interval is the atom itself


def test_a_right_point_mass_is_read_as_right_censored():
    X, y = tobit(300, seed=3, side="above")
    sel = select_model(X, y, families=FAMILIES, **FAST)
    assert sel.censoring == Censoring(above=1.0)
    assert "its largest value: read as right-censored there" in sel.point_mass
    X_new, y_new = tobit(150, seed=4, side="above")
    frame = X_new.assign(y=y_new)
    dist = sel.model.predict_dist(frame)
    expected = censored_oracle(dist, y_new.to_numpy(), above=1.0)
    assert_allclose(sel.model.nll_rows(frame), expected, rtol=1e-5)


def test_point_mass_density_keeps_the_densities_and_the_warning():
    X, y = tobit(300, seed=1)
    sel = select_model(X, y, families=FAMILIES, point_mass="density", **FAST)
    assert sel.censoring is None and sel.point_mass is None
    assert sel.model.censoring is None
    assert sel.notes == [point_mass_note(y, ("real",))]
    with pytest.raises(ValueError, match="point_mass must be 'censor' or 'density'"):
        select_model(X, y, families=FAMILIES, point_mass="tobit", **FAST)


def test_an_atom_below_the_share_is_left_alone():
    X, y = tobit(300, seed=5)
    rng = np.random.default_rng(6)
    y = y.copy()
    zeros = np.flatnonzero(y == 0)
    y.iloc[zeros] = rng.uniform(0.01, 2.0, size=zeros.size)
    y.iloc[zeros[:12]] = 0.0  # 12 of 300 rows: 4%, below POINT_MASS_SHARE
    sel = select_model(X, y, families=FAMILIES, **FAST)
    assert sel.censoring is None and sel.point_mass is None and sel.notes == []
    assert sel.model.censoring is None


def test_a_proportion_capped_at_its_largest_value_keeps_beta_and_scores_it_censored():
    # R's ReadingSkills: accuracy, a proportion with many of its rows at its largest value 0.99
    rng = np.random.default_rng(7)
    x = rng.normal(size=240)
    p = 1.0 / (1.0 + np.exp(-3.0 - 1.5 * x - 0.5 * rng.normal(size=240)))
    y = pd.Series(np.minimum(p, 0.99), name="accuracy")
    assert 0.05 < np.mean(y == 0.99) < 0.6 and y.min() > 0
    sel = select_model(pd.DataFrame({"x": x}), y, families=("beta", "normal"), **FAST)
    assert sel.censoring == Censoring(above=0.99)
    scored = sel.table.dropna(subset=["minus_best"])
    assert set(scored["family"]) == {"beta", "normal"} and len(scored) == 4
    # the chosen model's censored NLL on its own rows: scipy's, logsf(0.99) at the cap
    frame = pd.DataFrame({"x": x, "accuracy": y})
    dist = sel.model.predict_dist(frame)
    if type(dist).__name__ == "Beta":
        ref = stats.beta(np.asarray(dist.concentration1, dtype=np.float64),
                         np.asarray(dist.concentration0, dtype=np.float64))  # fmt: skip
    else:
        ref = stats.norm(np.asarray(dist.loc, dtype=np.float64),
                         np.asarray(dist.scale, dtype=np.float64))  # fmt: skip
    expected = np.where(y >= 0.99, -ref.logsf(0.99), -ref.logpdf(y))
    assert_allclose(sel.model.nll_rows(frame), expected, rtol=1e-5)


def _csv(tmp_path, X, y, name="tobit.csv"):
    path = tmp_path / name
    X.assign(y=y).to_csv(path, index=False)
    return path


def test_fit_says_in_one_line_that_the_atom_is_read_as_censored(tmp_path, capsys):
    X, y = tobit(150, seed=8)
    data, out = _csv(tmp_path, X, y), tmp_path / "m.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--hidden", "none",
                             "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    said = [line for line in printed.splitlines() if "of the target's rows are exactly 0" in line]
    assert len(said) == 1 and not said[0].startswith("warning")
    assert "read as left-censored there (a Tobit model)" in said[0]
    assert said[0].endswith("--point-mass density to score densities")
    model = load_model(out)
    assert model.censoring == Censoring(below=0.0)  # recorded as --censored-below 0 records it
    code, again, err = run(capsys, "evaluate", out, data)  # the same held-out rows re-read
    assert code == 0, err
    assert printed_metric(again, "NLL (nats per example)") == printed_metric(
        printed, "NLL (nats per example)")
    # (the opt-out, --point-mass density: tests/test_selection.py's warning test)


def test_fit_family_auto_with_an_explicit_censoring_selects_among_censored_families(tmp_path, capsys):
    X, y = tobit(120, seed=9)
    data, out = _csv(tmp_path, X, y), tmp_path / "m.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--censored-below", "0.5",
                             "--hidden", "none", "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert printed.startswith("chose ") and "held-out NLL" in printed.splitlines()[0]
    assert load_model(out).censoring == Censoring(below=0.5)


@pytest.mark.parametrize("extra", [["--family", "normal"], ["--censored-below", "0"]])
def test_point_mass_is_bad_usage_where_no_selection_reads_it(tmp_path, capsys, extra):
    X, y = tobit(60, seed=10)
    data = _csv(tmp_path, X, y)
    code, _, err = run(capsys, "fit", data, "--target", "y", *extra, "--point-mass", "censor",
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 2 and "--point-mass censor sets how the selection" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_compare_warns_of_a_point_mass_it_scores_by_densities(tmp_path, capsys):
    X, y = tobit(80, seed=11)
    data = _csv(tmp_path, X, y)
    code, printed, err = run(capsys, "compare", data, "--target", "y", "--families",
                             "normal,laplace", "--hidden", "none", "--quiet",
                             "--report", tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    warned = [line for line in printed.splitlines() if line.startswith("warning: ")]
    assert warned == [f"warning: {point_mass_note(y, ('real',))}"]
