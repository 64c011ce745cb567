"""``probnn fit --family auto`` with ``--ensemble M`` or ``--posterior laplace`` (issue 22).

Before, either option made ``auto`` fall back to the target type's family: integer prices
are counts, so a Poisson, whose held-out NLL is hundreds of nats where the law that made the
data scores about 10. Now the family and capacity are chosen by likelihood as without the
option, and the option applies to the choice (``probnn.cli._chosen``).

Oracles: the law that generated the table (scipy.stats.norm of each row's true mean and the
noise's scale) and the best Poisson there is (scipy.stats.poisson at each row's true mean),
both scored on the command's held-out rows.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _cli import printed_metric, run
from probnn.cli import split_rows
from probnn.model_file import load_model

NOISE = 9000.0


@pytest.fixture(scope="module")
def prices(tmp_path_factory):
    """300 integer prices, linear in the area plus normal noise, rounded to the unit."""
    rng = np.random.default_rng(22)
    n = 300
    area = rng.uniform(40, 200, n)
    rooms = rng.integers(1, 6, n).astype(float)
    mean = 40000 + 700 * area + 3000 * rooms
    price = np.rint(mean + NOISE * rng.standard_normal(n)).astype(int)
    path = tmp_path_factory.mktemp("prices") / "houses.csv"
    pd.DataFrame({"area": area, "rooms": rooms, "price": price}).to_csv(path, index=False)
    _, test = split_rows(n, 0, 0.2)  # the command's held-out rows (--seed 0, --test-size 0.2)
    y, mu = price[test].astype(float), mean[test]
    # the generating law's NLL (a unit-wide bin's mass is its density there, to 1e-7) and the
    # NLL of a Poisson at the true means, the best any Poisson model could do
    return path, {"law": float(-np.mean(stats.norm(mu, NOISE).logpdf(y))),
                  "poisson": float(-np.mean(stats.poisson(mu).logpmf(y))),
                  "se": float(np.std(stats.norm(mu, NOISE).logpdf(y), ddof=1) / np.sqrt(y.size))}


@pytest.mark.parametrize("option", [["--ensemble", "3"], ["--posterior", "laplace"]],
                         ids=["ensemble", "laplace"])
def test_auto_chooses_by_likelihood_with_the_option(prices, option, tmp_path, capsys):
    path, oracle = prices
    out = tmp_path / "m.safetensors"
    # --hidden none: the constants and GLMs only, so the test takes seconds
    code, stdout, err = run(capsys, "fit", path, "--target", "price", "--hidden", "none",
                            *option, "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    chose = re.search(r"^chose (\S+) (constant model|GLM)\b.*$", stdout, re.M)
    assert chose, stdout
    assert "no selection by likelihood" not in stdout
    nll = printed_metric(stdout, "NLL (nats per example)")
    assert oracle["poisson"] > 100 + oracle["law"]  # (the table makes the point)
    # within noise of the law that made the data (a GLM's few estimated parameters cost
    # little on 240 rows), and nowhere near the best Poisson
    assert nll < oracle["law"] + 4 * oracle["se"] + 0.1, (nll, oracle)
    assert nll < oracle["poisson"] / 10
    model = load_model(out)
    assert model.family == chose[1] != "poisson"
    if option[0] == "--ensemble":  # a GLM is its own ensemble: fitted once, and said
        assert "--ensemble 3: the chosen" in chose[0] and "fitted once" in chose[0]
    else:
        assert model.posterior == "laplace" and "Laplace posterior" in chose[0]


def test_a_network_kept_from_one_split_is_refitted_as_the_ensemble_or_wrapped():
    """The selection keeps the network of its one split (a large table): ``--ensemble M``
    fits M networks of its family, ``--posterior laplace`` wraps it over that split's
    training rows (``cli._chosen.apply_option``; one split forced here by ``cv=1``)."""
    from argparse import Namespace

    from probnn.cli._chosen import apply_option
    from probnn.selection import select_model

    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 300)
    rows = pd.DataFrame({"x": x, "y": np.sin(2 * x) + 0.1 * rng.standard_normal(300)})
    selection = select_model(rows[["x"]], rows["y"], cv=1, ensemble=1, families=["normal"],
                             hidden=(16,), epochs=200)  # fmt: skip
    assert selection.capacity == "network" and not selection.refitted  # (sin(2x): no GLM)
    asked = []
    model, line = apply_option(selection, rows, Namespace(ensemble=3, seed=0), "none",
                               lambda family: asked.append(family) or "the ensemble")
    assert model == "the ensemble" and asked == ["normal"]
    assert line.endswith("refitted on all 300 training rows as an ensemble of 3 (--ensemble 3)")
    fitted_on = selection.folds[0][0].size
    model, line = apply_option(selection, rows, Namespace(ensemble=1, seed=0), "laplace", None)
    assert model.posterior == "laplace"
    assert line.endswith(f"wrapped in its Laplace posterior over the {fitted_on} rows it was "
                         "fitted on")
