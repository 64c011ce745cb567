"""What ``probnn predict`` writes for a target censored at fixed bounds: the value recorded,
``clip(Y, below, above)``, not the latent ``Y`` (``probnn.survival.recorded_mean``,
``TabularModel.predict_table``).

Oracles: scipy.stats.norm's cdf / pdf / ppf for the Tobit mean and the clipped quantiles at the
latent parameters the CSV itself prints (``loc``, ``scale``), the hand-worked
``E[max(Z, 0)] = 1 / sqrt(2 pi)``, ``scipy.integrate.quad`` of ``clip(y) pdf(y)`` for the
numerical rule (Laplace, Student-t, a mixture), and ``scipy.stats.poisson``'s pmf summed for
a count law.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from _cli import run
from _intervals import recorded_interval
from probnn.distributions import Laplace, Mixture, Normal, Poisson, StudentT
from probnn.model_file import load_model
from probnn.survival import recorded_mean
from probnn.tables.censoring import Censoring

BOUNDS = [(0.0, None), (None, 1.0), (-1.0, 2.0)]


def _tobit_mean(loc, scale, below, above):
    """``E[clip(Y, b, a)]`` for ``Y ~ N(loc, scale^2)`` from scipy.stats.norm: the atoms'
    ``b F(b) + a S(a)`` and the truncated part ``loc (F(a) - F(b)) + scale (phi(alpha) -
    phi(beta))``."""
    z = stats.norm
    alpha = -np.inf if below is None else (below - loc) / scale
    beta = np.inf if above is None else (above - loc) / scale
    atoms = (0.0 if below is None else below * z.cdf(alpha)) + (
        0.0 if above is None else above * z.sf(beta))
    return atoms + loc * (z.cdf(beta) - z.cdf(alpha)) + scale * (z.pdf(alpha) - z.pdf(beta))


def _clip_mean_by_quad(frozen, below, above):
    """``E[clip(Y, b, a)]`` by scipy.integrate.quad of ``y pdf(y)`` between the bounds plus
    the atoms ``b F(b) + a S(a)``."""
    lo = -np.inf if below is None else below
    hi = np.inf if above is None else above
    inside = sum(integrate.quad(lambda y: y * frozen.pdf(y), s, e, limit=200)[0]
                 for s, e in [(lo, 0.0), (0.0, hi)] if s < e)  # split at 0: the kinks' side
    return inside + (0.0 if below is None else below * frozen.cdf(below)) + (
        0.0 if above is None else above * frozen.sf(above))


def test_tobit_mean_of_a_standard_normal_at_zero_worked_by_hand():
    # E[max(Z, 0)] = int_0^inf z phi(z) dz = phi(0) = 1 / sqrt(2 pi)
    got = recorded_mean(Normal(np.zeros(1), np.ones(1)), 0.0, None)
    assert_allclose(got, [1.0 / math.sqrt(2.0 * math.pi)], rtol=1e-15)


def test_recorded_mean_of_a_normal_far_beyond_its_bound_is_the_tails_own_small_part():
    # E[max(Y, 0)] = scale (phi(u) - u Phi(-u)), u = -loc / scale, at 60 digits by mpmath; a
    # difference of large terms (E[Y] + E[(0 - Y)+]) would leave 1e-15 of either sign here
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    loc, scale = np.array([-30.0, -5.0, -12.0]), np.array([1.0, 1.0, 0.5])
    want = [float(s * (mpmath.npdf(-m / s) + (m / s) * mpmath.ncdf(m / s)))
            for m, s in zip(loc, scale)]
    assert_allclose(recorded_mean(Normal(loc, scale), 0.0, None), want, rtol=1e-11)
    # and the cap's mirror image: E[min(Y, 0)] for a mean far above it
    assert_allclose(recorded_mean(Normal(-loc, scale), None, 0.0), -np.array(want), rtol=1e-11)


@pytest.mark.parametrize("below, above", BOUNDS)
def test_recorded_mean_of_normals_is_scipys(below, above):
    loc, scale = np.array([-3.0, 0.5, 5.0, 0.0, 40.0]), np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    assert_allclose(recorded_mean(Normal(loc, scale), below, above),
                    _tobit_mean(loc, scale, below, above), rtol=1e-12, atol=1e-14)  # fmt: skip


@pytest.mark.parametrize("below, above", BOUNDS)
def test_recorded_mean_by_the_numerical_rule_is_quads(below, above):
    loc, scale = np.array([-3.0, 0.5, 5.0, 0.0]), np.array([1.0, 2.0, 0.5, 1.0])
    cases = [
        (Laplace(loc, scale), [stats.laplace(m, s) for m, s in zip(loc, scale)], 1e-7),
        (StudentT(3.0, loc, scale), [stats.t(3.0, m, s) for m, s in zip(loc, scale)], 1e-9),
    ]
    mixture = Mixture([Normal(loc, scale), Normal(loc + 1.0, 2.0 * scale)], np.array([0.3, 0.7]))
    frozen = [_Mix(stats.norm(m, s), stats.norm(m + 1.0, 2.0 * s)) for m, s in zip(loc, scale)]
    cases.append((mixture, frozen, 1e-9))
    for dist, refs, tol in cases:
        want = [_clip_mean_by_quad(ref, below, above) for ref in refs]
        assert_allclose(recorded_mean(dist, below, above), want, rtol=tol, atol=tol,
                        err_msg=type(dist).__name__)  # fmt: skip


class _Mix:
    """0.3 / 0.7 mixture of two frozen scipy laws (pdf, cdf, sf)."""

    def __init__(self, first, second):
        self.parts = ((0.3, first), (0.7, second))

    def pdf(self, y):
        return sum(w * p.pdf(y) for w, p in self.parts)

    def cdf(self, y):
        return sum(w * p.cdf(y) for w, p in self.parts)

    def sf(self, y):
        return sum(w * p.sf(y) for w, p in self.parts)


@pytest.mark.parametrize("below, above", [(2.0, None), (None, 4.0), (1.5, 6.5)])
def test_recorded_mean_of_counts_is_the_pmf_sum(below, above):
    rates = np.array([0.5, 3.0, 10.0])
    k = np.arange(200.0)
    clipped = np.clip(k, -np.inf if below is None else below, np.inf if above is None else above)
    want = [np.sum(clipped * stats.poisson(r).pmf(k)) for r in rates]
    assert_allclose(recorded_mean(Poisson(rates), below, above), want, rtol=1e-12)


# ------------------------------------------------------------------ probnn predict
def _predicted(tmp_path, capsys, frame, *fit_args, stream="no"):
    data, out = tmp_path / "t.csv", tmp_path / "m.safetensors"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--hidden", "none", "--solver",
                       "lbfgs", "--out", out, "--quiet", *fit_args)  # fmt: skip
    assert code == 0, err
    code, printed, err = run(capsys, "predict", out, data, "--stream", stream)
    assert code == 0, err
    return load_model(out), pd.read_csv(io.StringIO(printed))


@pytest.mark.parametrize("below, above, stream", [(0.0, None, "no"), (0.0, 2.0, "yes")])
def test_predict_writes_the_recorded_values_mean_and_interval(tmp_path, capsys, below, above,
                                                              stream):
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = np.clip(x + 0.5 * rng.normal(size=300), below, np.inf if above is None else above)
    args = ["--family", "normal", "--censored-below", "0"]
    args += [] if above is None else ["--censored-above", str(above)]
    model, table = _predicted(tmp_path, capsys, pd.DataFrame({"x": x, "y": y}), *args,
                              stream=stream)  # fmt: skip
    assert model.censoring == Censoring(below=below, above=above)
    loc, scale = table["loc"].to_numpy(), table["scale"].to_numpy()  # the latent Y's
    assert (loc < 0).any()  # rows whose latent mean lies below the limit
    want = _tobit_mean(loc, scale, below, above)  # (a difference of terms: 1e-15 absolute)
    assert_allclose(table["prediction"], want, rtol=1e-9, atol=1e-12)
    assert (table["prediction"] > below).all()
    want = recorded_interval(stats.norm(loc, scale), 0.9, below, above)
    for column, ends in zip(("lower", "upper"), want):
        assert_allclose(table[column], ends, rtol=1e-5, atol=1e-6)
    # rows whose latent interval reaches the limit (its atom P(Y <= 0) >= 5%): the narrowest
    # equal-tailed interval holding 90% is [0, F^-1(1 - d)], d = min(P(Y <= 0), 10%): the
    # quantile at 0.9 where the atom holds the lower tail's 10%, else at 1 - P(Y <= 0)
    at_limit = stats.norm.ppf(0.05, loc, scale) <= below
    d = np.minimum(stats.norm.cdf(below, loc, scale), 0.1)
    upper = np.minimum(stats.norm.ppf(1 - d, loc, scale), np.inf if above is None else above)
    assert at_limit.any()
    assert_allclose(table["upper"][at_limit], np.maximum(upper, below)[at_limit], rtol=1e-5,
                    atol=1e-6)  # fmt: skip
    assert (table["lower"] >= below).all() and (table["lower"] == below).any()


def test_predict_after_a_point_mass_read_as_censored_never_leaves_the_recorded_range(
        tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = np.maximum(0.0, x + 0.5 * rng.normal(size=300))  # about half the rows exactly 0
    model, table = _predicted(tmp_path, capsys, pd.DataFrame({"x": x, "y": y}))
    assert model.censoring == Censoring(below=0.0)  # --family auto read the atom as censored
    assert (table["lower"] >= 0).all() and (table["lower"] == 0).any()
    assert (table["upper"] >= table["lower"]).all() and (table["prediction"] > 0).all()


def test_predict_keeps_the_latent_variable_under_survival_censoring(tmp_path, capsys):
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    t, c = 3.0 + x + rng.normal(size=300), 3.5 + rng.normal(size=300)
    frame = pd.DataFrame({"x": x, "y": np.minimum(t, c), "event": (t <= c).astype(int)})
    model, table = _predicted(tmp_path, capsys, frame, "--family", "normal", "--event", "event")
    assert model.censoring == Censoring(event="event")
    loc, scale = table["loc"].to_numpy(), table["scale"].to_numpy()
    assert_allclose(table["prediction"], loc, rtol=1e-6)  # the latent mean
    assert_allclose(table["lower"], stats.norm.ppf(0.05, loc, scale), rtol=1e-5, atol=1e-6)
    assert_allclose(table["upper"], stats.norm.ppf(0.95, loc, scale), rtol=1e-5, atol=1e-6)


def test_the_python_api_predicts_the_recorded_mean_as_predict_does():
    # AutoRegressor.predict and TabularModel.predict gave the latent mean of a Tobit model
    # (negative on rows whose recorded value can only be >= 0); now scipy's Tobit mean at the
    # parameters the model predicts, the same numbers as predict's column
    from probnn.auto import AutoRegressor

    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = np.maximum(0.0, x + 0.5 * rng.normal(size=300))
    X = pd.DataFrame({"x": x})
    auto = AutoRegressor(families=["normal"], cv=3, network_families=0).fit(X, y)
    model = auto.best_estimator_
    assert model.censoring == Censoring(below=0.0)
    dist = model.predict_dist(X.assign(y=y))
    want = _tobit_mean(np.asarray(dist.loc), np.asarray(dist.scale), 0.0, None)
    assert_allclose(auto.predict(X), want, rtol=1e-9, atol=1e-12)
    assert_allclose(model.predict(X), model.predict_table(X)["prediction"], rtol=0, atol=0)
    assert (auto.predict(X) > 0).all()
