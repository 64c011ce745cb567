"""A proportion with point masses at both ends (exact 0s and exact 1s): the selection read only
its most frequent value as censored, and left the other end's atom to the densities, where
a mixture put a component of scale 0.001 on the 1s (held-out NLL 0.40 against the best
constant's -0.86). Both ends are now read (``Censoring(below=0, above=1)``, a two-limit Tobit
model) by the rule that decides one. Oracles: hand-made columns whose shares are known, and
scipy's two-limit Tobit likelihood (``scipy.stats.norm``'s logcdf / logpdf / logsf) maximised
by ``scipy.optimize`` on the training rows and scored on the held-out ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, stats

from _cli import printed_metric, run
from probnn._selection_notes import (point_mass, point_mass_censoring, point_mass_note,
                                     point_masses)
from probnn.model_file import load_model
from probnn.selection import select_model
from probnn.tables.censoring import Censoring


def proportion(n: int = 300, seed: int = 3) -> pd.DataFrame:
    """10% of the rows exactly 0 or 1 (half each), the rest Beta(2, 5); y independent of x.
    Seed 3: 20 exact 0s and 18 exact 1s, both ends at least 5% of the fit's 237 training
    rows (17 and 13)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.1, rng.integers(0, 2, n).astype(float), rng.beta(2, 5, n))
    return pd.DataFrame({"x": x, "y": y})


def column(n_low: int, n_high: int, n_inside: int = 90) -> pd.Series:
    """``n_low`` rows at 0, ``n_high`` at 1 and ``n_inside`` distinct values between."""
    inside = np.linspace(0.05, 0.95, n_inside)
    return pd.Series(np.concatenate([np.zeros(n_low), inside, np.ones(n_high)]), name="y")


def test_both_ends_of_the_range_are_read_as_point_masses():
    y = column(7, 6, 87)  # 100 rows: 7% at 0, 6% at 1
    assert point_masses(y, ("real",)) == [(0.0, 0.07, "smallest"), (1.0, 0.06, "largest")]
    censoring, said = point_mass_censoring(y, ("real",))
    assert censoring == Censoring(below=0.0, above=1.0)
    assert said.startswith("7% of the target's rows are exactly 0, its smallest value, and 6% "
                           "exactly 1, its largest: read as left-censored and right-censored "
                           "there (a two-limit Tobit model)")  # fmt: skip
    note = point_mass_note(y, ("real",))
    assert note.startswith("7% of the target's rows are exactly 0, its smallest value, and 6% "
                           "exactly 1, its largest: a density can spike there")  # fmt: skip
    assert "--censored-below 0 --censored-above 1 reads those rows" in note
    # the order does not depend on which end is the more frequent
    assert point_masses(column(6, 7, 87), ("real",)) == [(0.0, 0.06, "smallest"),
                                                          (1.0, 0.07, "largest")]  # fmt: skip


@pytest.mark.parametrize("n_high, why", [(4, "4% at the other end: below the share"),
                                         (1, "one row is no point mass"),
                                         (0, "nothing there")])  # fmt: skip
def test_one_end_stays_as_it_was(n_high, why):
    y = column(8, n_high, 100 - 8 - n_high)
    assert point_masses(y, ("real",)) == [point_mass(y, ("real",))] == [(0.0, 0.08, "smallest")]
    censoring, said = point_mass_censoring(y, ("real",))
    assert censoring == Censoring(below=0.0)
    # the sentence a one-ended point mass always had, word for word
    assert said == ("8% of the target's rows are exactly 0, its smallest value: read as "
                    "left-censored there (a Tobit model), so every family is scored on the "
                    "same measure, a probability on those rows (a density could spike there)")
    right = point_mass_censoring(1.0 - y, ("real",))
    assert right[0] == Censoring(above=1.0)
    assert right[1].startswith("8% of the target's rows are exactly 1, its largest value: read "
                               "as right-censored there, so every family")  # fmt: skip
    assert point_mass_note(y, ("real",)).endswith(
        "--censored-below 0 reads those rows as censored there (a Tobit model)")


def test_two_ends_and_nothing_between_are_not_both_censored():
    """Every row censored on one side or the other: a step between the ends would fit them
    without bound; the one end's reading is kept."""
    y = pd.Series([0.0] * 10 + [0.5] + [1.0] * 9, name="y")
    assert point_masses(y, ("real",)) == [(0.0, 0.5, "smallest")]


def _tobit_nll(y: np.ndarray, loc: float, scale: float) -> np.ndarray:
    law = stats.norm(loc, scale)
    return -np.where(y <= 0, law.logcdf(0.0), np.where(y >= 1, law.logsf(1.0), law.logpdf(y)))


def _tobit_constant(y: np.ndarray) -> tuple[float, float]:
    res = optimize.minimize(lambda p: _tobit_nll(y, p[0], np.exp(p[1])).sum(), x0=[0.3, -1.0],
                            method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000})
    return float(res.x[0]), float(np.exp(res.x[1]))


def test_the_selection_scores_both_ends_by_scipys_two_limit_tobit_likelihood():
    frame = proportion()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(frame))
    train, test = np.sort(order[:240]), np.sort(order[240:])
    sel = select_model(frame[["x"]], frame["y"], families=("normal",), network_families=0,
                       cv=[(train, test)])  # fmt: skip
    assert sel.censoring == Censoring(below=0.0, above=1.0)
    assert "exactly 0, its smallest value, and" in sel.point_mass
    y = frame["y"].to_numpy()
    expected = _tobit_nll(y[test], *_tobit_constant(y[train])).mean()
    row = sel.table[(sel.table["family"] == "normal") & (sel.table["capacity"] == "constant")]
    assert_allclose(float(row["nll_nats"].iloc[0]), expected, rtol=1e-4)


def _csv(tmp_path, frame: pd.DataFrame) -> str:
    path = tmp_path / "beta01.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_fit_reads_both_ends_and_is_not_far_from_the_best_constant(tmp_path, capsys):
    frame = proportion()
    data, out = _csv(tmp_path, frame), tmp_path / "m.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--hidden", "none",
                             "--out", out, "--report", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    said = printed.splitlines()
    assert any(line.startswith("7% of the target's rows are exactly 0, its smallest value, and "
                               "5% exactly 1, its largest: read as left-censored and "
                               "right-censored there") for line in said), printed  # fmt: skip
    assert load_model(out).censoring == Censoring(below=0.0, above=1.0)
    from probnn.cli import split_rows

    train, test = split_rows(len(frame), 0, 0.2)
    y = frame["y"].to_numpy()
    # scipy's normal constant on the same measure, 0.33 here; the mixture chosen does better
    constant = _tobit_nll(y[test], *_tobit_constant(y[train])).mean()
    assert printed_metric(printed, "NLL (nats per example)") < constant + 0.1
    # (read as left-censored only, a mixture-normal GLM was chosen whose held-out NLL was
    # 0.46 nats above the best constant's, its spike on the 1s)
    assert "worse than the best constant" not in printed, printed


def test_point_mass_density_still_scores_densities_and_warns_of_both_ends(tmp_path, capsys):
    frame = proportion()
    data = _csv(tmp_path, frame)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--hidden", "none",
                             "--point-mass", "density", "--out", tmp_path / "m.safetensors",
                             "--report", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    warned = [line for line in printed.splitlines() if line.startswith("warning: ")]
    assert any("--censored-below 0 --censored-above 1" in line for line in warned), printed
    assert load_model(tmp_path / "m.safetensors").censoring is None


def test_a_streamed_fit_warns_of_both_ends(tmp_path, capsys):
    """The streamed selection scores densities (a stream trains exact targets): its warning
    names both ends, as the in-memory fit's ``--point-mass density`` does."""
    data = _csv(tmp_path, proportion())
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--stream", "yes",
                             "--hidden", "none", "--quiet", "--out", tmp_path / "m.safetensors",
                             "--report", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    warned = [line for line in printed.splitlines() if line.startswith("warning: ")]
    assert any(line.startswith("warning: 7% of the target's rows are exactly 0, its smallest "
                               "value, and 5% exactly 1, its largest: a density can spike")
               and "--censored-below 0 --censored-above 1" in line for line in warned), printed
