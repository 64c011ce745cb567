"""The CRPS beside the NLL in ``fit``, ``evaluate``, ``compare`` and their reports (issue 23).

Every CRPS asserted here is computed by an oracle that is not :func:`probnn.crps`:
properscoring's ``crps_gaussian`` (the ``oracle`` extra) for Normal predictions, and for
Poisson predictions the ranked probability score summed over the integers with
``scipy.stats.poisson.cdf``; the paired standard errors by numpy on those rows.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from probnn.cli import main

FAST = ("--hidden", "4", "--epochs", "3", "--quiet")


def _crps_gaussian(y, loc, scale) -> np.ndarray:
    properscoring = pytest.importorskip("properscoring")
    return np.asarray(properscoring.crps_gaussian(np.asarray(y, np.float64), mu=loc, sig=scale))


def _crps_poisson(y, rate) -> np.ndarray:
    """sum_k (F(k) - 1{y <= k})^2 over k = 0 .. far beyond both y and the rate."""
    y, rate = np.asarray(y, np.float64), np.asarray(rate, np.float64)
    top = int(max(y.max(), stats.poisson.ppf(1 - 1e-16, rate.max()))) + 50
    k = np.arange(top + 1)[:, None]
    return np.sum((stats.poisson.cdf(k, rate) - (y <= k)) ** 2, axis=0)


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _printed(out: str, label: str) -> float:
    line = next(l for l in out.splitlines() if l.strip().startswith(label))
    return float(line.split()[-1])


def test_regression_metrics_crps_against_properscoring():
    from probnn import metrics
    from probnn.distributions import Normal

    rng = np.random.default_rng(0)
    loc, scale = rng.normal(size=300), rng.uniform(0.2, 3.0, size=300)
    y = loc + scale * rng.standard_t(4, size=300)
    out = metrics.regression_metrics(y, Normal(loc, scale))
    # beside the NLL: the key follows nll_bits, as fit and evaluate print them
    assert list(out)[:3] == ["nll_nats", "nll_bits", "crps"]
    assert out["crps"] == pytest.approx(np.mean(_crps_gaussian(y, loc, scale)), rel=1e-9)


def test_fit_evaluate_and_report_show_the_crps_of_the_held_out_rows(tmp_path, capsys):
    from probnn.cli.evaluate import _held_out_filter
    from probnn.cli._common import _load_tabular

    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": x, "y": 3.0 * x + rng.normal(size=200) * (1 + np.abs(x))})
    data, model_file = tmp_path / "d.csv", tmp_path / "m.safetensors"
    frame.to_csv(data, index=False)
    out = _run(capsys, "fit", data, "--target", "y", "--family", "normal", *FAST,
               "--out", model_file)  # fmt: skip
    printed = _printed(out, "CRPS")
    model = _load_tabular(model_file)
    held = frame[_held_out_filter(model.training_data)(range(len(frame)))]
    dist = model.predict_dist(held)  # the distribution's parameters, in y's units
    oracle = np.mean(_crps_gaussian(held["y"], dist.loc, dist.scale))
    assert printed == pytest.approx(oracle, abs=1e-4)
    # the report's measures table: its name, its value and its unit, in the target's name
    page = html.unescape((tmp_path / "m-report" / "report.html").read_text())
    row = re.search(r"<td>continuous ranked probability score \(CRPS\)</td>\s*<td[^>]*>([^<]+)"
                    r"</td>\s*<td>([^<]+)</td>", page)  # fmt: skip
    assert row, "no CRPS row in the report"
    assert float(row.group(1).replace(",", "")) == pytest.approx(oracle, rel=1e-3)
    assert row.group(2) == "units of y"
    # evaluate on new rows: every row scored
    fresh = pd.DataFrame({"x": rng.normal(size=50)}).assign(y=lambda f: 3.0 * f["x"])
    fresh.to_csv(tmp_path / "new.csv", index=False)
    out = _run(capsys, "evaluate", model_file, tmp_path / "new.csv")
    dist = model.predict_dist(fresh)
    oracle = np.mean(_crps_gaussian(fresh["y"], dist.loc, dist.scale))
    assert _printed(out, "CRPS") == pytest.approx(oracle, abs=1e-4)


def test_compare_tables_the_crps_with_its_paired_standard_error(tmp_path, capsys):
    import probnn

    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(1.0 + 0.6 * x))})
    result = probnn.compare_families(frame[["x"]], frame["y"], ["poisson", "normal"],
                                     hidden=(4,), epochs=3)  # fmt: skip
    held = frame.iloc[result.test]
    rows = {"poisson": _crps_poisson(held["y"], result.dists["poisson"].rate),
            "normal": _crps_gaussian(held["y"], result.dists["normal"].loc,
                                     result.dists["normal"].scale)}  # fmt: skip
    table = result.table.set_index("family")
    for family, scores in rows.items():
        assert table.loc[family, "crps"] == pytest.approx(scores.mean(), rel=1e-6)
    low, high = sorted(rows, key=lambda f: rows[f].mean())
    d = rows[high] - rows[low]
    assert table.loc[high, "crps_se"] == pytest.approx(np.std(d, ddof=1) / np.sqrt(d.size),
                                                       rel=1e-6)  # fmt: skip
    assert np.isnan(table.loc[low, "crps_se"])

    # the command line prints the same columns, and the report tables them
    path = tmp_path / "c.csv"
    frame.to_csv(path, index=False)
    out = _run(capsys, "compare", path, "--target", "y", "--families", "poisson,normal",
               "--hidden", "4", "--epochs", "3", "--report", tmp_path / "cmp")  # fmt: skip
    printed = {r[1]: r for r in (l.split() for l in out.splitlines()) if r and r[0].isdigit()}
    for family, scores in rows.items():
        assert float(printed[family][6]) == pytest.approx(scores.mean(), rel=1e-3)
    assert printed[low][7] == "-"
    assert float(printed[high][7]) == pytest.approx(np.std(d, ddof=1) / np.sqrt(d.size), rel=1e-3)
    page = (tmp_path / "cmp" / "report.html").read_text()
    assert "CRPS (target&#x27;s units)" in page and "SE of the CRPS difference" in page


@pytest.mark.parametrize("kind", ["zero-inflated", "hurdle"])
def test_count_laws_without_a_closed_form_are_summed_over_the_integers(kind):
    """A zero-inflated or hurdle Poisson's CRPS, by its definition over the integers with
    scipy's Poisson cdf (no warning: the quantile rule once multiplied 0 by inf)."""
    import warnings

    import probnn
    from probnn.distributions import Hurdle, Poisson, ZeroInflated

    rate = np.array([0.5, 3.0, 40.0, 900.0])
    pi = np.array([0.3, 0.01, 0.6, 0.2])
    y = np.array([0.0, 2.0, 0.0, 870.0])
    logit = np.log(pi) - np.log1p(-pi)
    k = np.arange(3000)[:, None]
    if kind == "zero-inflated":
        dist = ZeroInflated(Poisson(rate=rate), logit)
        cdf = pi + (1 - pi) * stats.poisson.cdf(k, rate)
    else:
        dist = Hurdle(Poisson(rate=rate), logit)
        cdf = pi + (1 - pi) * (stats.poisson.cdf(k, rate) - stats.poisson.pmf(0, rate)) / (
            stats.poisson.sf(0, rate))
    oracle = np.sum((cdf - (y <= k)) ** 2, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = probnn.crps(dist, y)
    np.testing.assert_allclose(got, oracle, rtol=1e-9)


def test_a_lattice_too_large_for_memory_falls_back_to_the_quantile_rule(monkeypatch):
    """Rows x integers beyond the lattice's cell budget: the quantile rule, to its stated
    accuracy on a step function (about 1e-3), against the same sum over the integers."""
    import warnings

    import probnn
    import probnn._crps_discrete as rules  # the laws on the integers: their limits and fallback
    from probnn.distributions import Poisson, ZeroInflated

    monkeypatch.setattr(rules, "_LATTICE_MAX_CELLS", 100)
    # a zero-inflated Poisson has its own closed form now: taken off, so the sum over the
    # integers is asked for, and the quantile rule's calls counted, so the fallback is what ran
    monkeypatch.setattr(rules, "_ZERO_PART_CLOSED_BELOW", 0.0)
    calls = []
    numerical = rules.crps_numerical
    monkeypatch.setattr(rules, "crps_numerical",
                        lambda *a, **k: calls.append(1) or numerical(*a, **k))
    rate, pi = np.array([30.0, 200.0]), np.array([0.2, 0.5])
    y = np.array([0.0, 190.0])
    k = np.arange(2000)[:, None]
    cdf = pi + (1 - pi) * stats.poisson.cdf(k, rate)
    oracle = np.sum((cdf - (y <= k)) ** 2, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = probnn.crps(ZeroInflated(Poisson(rate=rate), np.log(pi / (1 - pi))), y)
    assert calls  # the quantile rule ran
    np.testing.assert_allclose(got, oracle, rtol=5e-3)
