"""A model censored at fixed limits (``--censored-below`` / ``--censored-above``) scored on a
table recorded otherwise: values beyond the limit, or a point mass short of it.

The model's rule is read the same on every table (values at or beyond a limit are censored
there: a true, coarser event of theirs), and each table that does not look recorded with
that limit is said in one warning line: how many rows, and how they were scored. A table
without the event column an event model reads is refused in one line, exit 1.

Oracles: the censored normal (Tobit) log-likelihood by hand with ``scipy.stats.norm``'s
``logpdf`` / ``logcdf`` / ``logsf`` at the model's own predicted ``loc`` and ``scale``;
the rows beyond a limit counted by numpy on the table written.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from _cli import run
from probnn.exceptions import DataWarning
from probnn.tables.censoring import Censoring
from probnn.tables.model import TabularModel


def _latent(n: int, seed: int) -> pd.DataFrame:
    """y = x + N(0, 0.5^2): the latent values, about half of them below 0."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x.round(4), "y": (x + 0.5 * rng.normal(size=n)).round(4)})


def _clipped(frame: pd.DataFrame, low=None, high=None) -> pd.DataFrame:
    return frame.assign(y=frame["y"].clip(lower=low, upper=high))


@pytest.fixture(scope="module")
def tobit() -> TabularModel:
    """A normal GLM fitted on a table censored below at 0."""
    return TabularModel.fit(_clipped(_latent(300, 1), low=0.0), "y", family="normal", hidden=(),
                            solver="lbfgs", censoring=Censoring(below=0.0))  # fmt: skip


def _scored(model: TabularModel, frame: pd.DataFrame) -> tuple[dict, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics = model.evaluate(frame)
    return metrics, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def _tobit_nll(model: TabularModel, frame: pd.DataFrame, below=None, above=None) -> float:
    """The censored normal NLL by hand: ``P(Y <= below)`` at or below the limit,
    ``P(Y > above)`` at or above the cap, the density elsewhere."""
    table = model.predict_table(frame)
    loc, scale, y = table["loc"].to_numpy(), table["scale"].to_numpy(), frame["y"].to_numpy()
    log_p = stats.norm.logpdf(y, loc, scale)
    if below is not None:
        log_p = np.where(y <= below, stats.norm.logcdf(below, loc, scale), log_p)
    if above is not None:
        log_p = np.where(y >= above, stats.norm.logsf(above, loc, scale), log_p)
    return float(-np.mean(log_p))


def test_values_below_the_limit_are_scored_censored_and_said(tobit):
    frame = _latent(200, 2)
    metrics, said = _scored(tobit, frame)
    assert_allclose(metrics["nll_nats"], _tobit_nll(tobit, frame, below=0.0), rtol=1e-6)
    below = frame["y"][frame["y"] < 0]
    assert len(said) == 1, said
    assert said[0].startswith(f"target column 'y': {below.size} of 200 rows lie below the model's "
                              f"detection limit 0, at {below.nunique()} distinct values from "
                              f"{below.min():g} to {below.max():g}: scored as left-censored there, "
                              "by P(Y <= 0), not by their values")  # fmt: skip


def test_a_table_censored_at_the_models_limit_is_scored_without_a_warning(tobit):
    frame = _clipped(_latent(200, 3), low=0.0)
    metrics, said = _scored(tobit, frame)
    assert said == []
    assert_allclose(metrics["nll_nats"], _tobit_nll(tobit, frame, below=0.0), rtol=1e-6)


def test_a_point_mass_above_the_limit_is_scored_by_the_density_and_said(tobit):
    """A table censored at 0.5, a limit other than the model's 0: its rows at 0.5 are exact
    values to the model (the density), which the warning says."""
    frame = _clipped(_latent(200, 4), low=0.5)
    metrics, said = _scored(tobit, frame)
    assert_allclose(metrics["nll_nats"], _tobit_nll(tobit, frame), rtol=1e-6)
    at = int((frame["y"] == 0.5).sum())
    assert len(said) == 1, said
    assert said[0].startswith(f"target column 'y': {at} of 200 rows ({at / 200:.0%}) sit at 0.5, "
                              "its smallest value, and none at or below the model's detection "
                              "limit 0: scored as exact values, by the density")  # fmt: skip


def test_a_cap_with_one_stand_in_value_above_it_is_no_warning_but_spread_values_are():
    """As California's 500,001 above the cap 500,000: one value beyond a cap is how a capped
    table records it; values spread above it are not."""
    train = _latent(300, 5)
    capped = train.assign(y=np.where(train["y"] >= 1.0, 1.0001, train["y"]))
    model = TabularModel.fit(capped, "y", family="normal", hidden=(), solver="lbfgs",
                             censoring=Censoring(above=1.0))  # fmt: skip
    new = _latent(200, 6)
    stand_in = new.assign(y=np.where(new["y"] >= 1.0, 1.0001, new["y"]))
    metrics, said = _scored(model, stand_in)
    assert said == []
    assert_allclose(metrics["nll_nats"], _tobit_nll(model, stand_in, above=1.0), rtol=1e-6)
    metrics, said = _scored(model, new)
    above = new["y"][new["y"] > 1.0]
    assert len(said) == 1 and f"{above.size} of 200 rows lie above the model's cap 1, at " \
        f"{above.nunique()} distinct values" in said[0] and "by P(Y > 1)" in said[0], said
    assert_allclose(metrics["nll_nats"], _tobit_nll(model, new, above=1.0), rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 3)), min_size=3,
                       max_size=40),
       limit=st.sampled_from([-1.0, 0.0, 0.5]), stand_in=st.booleans())  # fmt: skip
def test_a_table_recorded_with_the_limit_is_never_warned_of(values, limit, stand_in):
    """Clipped at the limit, or with every value below it one stand-in, some row censored:
    no note; values below it spread: a note counting exactly those rows."""
    y = np.asarray(values)
    assume(np.any(y <= limit))  # (with none, a point mass at its smallest value is said)
    recorded = np.where(y <= limit, limit - 1.0 if stand_in else limit, y)
    censoring = Censoring(below=limit)
    assert censoring.limit_notes(pd.DataFrame({"y": recorded}), "y") == []
    below = y[y < limit]
    notes = censoring.limit_notes(pd.DataFrame({"y": y}), "y")
    if np.unique(below).size >= 2:
        assert len(notes) == 1 and f": {below.size:,} of {y.size:,} rows lie below" in notes[0]


def _write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def test_cli_evaluate_says_values_below_the_limit_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _write(_clipped(_latent(200, 7), low=0.0), tmp_path / "train.csv")
    code, _, err = run(capsys, "fit", data, "--target", "y", "--censored-below", "0", "--family",
                       "normal", "--hidden", "none", "--out", "m.probnn", "--quiet")  # fmt: skip
    assert code == 0, err
    raw = _latent(100, 8)
    code, out, err = run(capsys, "evaluate", "m.probnn", _write(raw, tmp_path / "raw.csv"))
    assert code == 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"probnn: warning: target column 'y': {(raw['y'] < 0).sum()} of 100 rows lie below the "
        "model's detection limit 0"), err
    code, out, err = run(capsys, "evaluate", "m.probnn",
                         _write(_clipped(raw, low=0.0), tmp_path / "clipped.csv"))  # fmt: skip
    assert code == 0 and err == "", err


def test_cli_evaluate_refuses_a_table_without_the_event_column(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = _latent(120, 9).assign(y=lambda f: np.exp(f["y"]).round(4),
                                   event=lambda f: (f.index % 4 != 0).astype(int))  # fmt: skip
    data = _write(frame, tmp_path / "train.csv")
    code, _, err = run(capsys, "fit", data, "--target", "y", "--event", "event", "--family",
                       "log-normal", "--hidden", "none", "--out", "m.probnn", "--quiet")  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "evaluate", "m.probnn",
                         _write(frame.drop(columns="event"), tmp_path / "new.csv"))  # fmt: skip
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("probnn: error: expected a column 'event'"), err
