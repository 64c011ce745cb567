"""A few distinct non-negative integers are class labels *and* counts (target kinds
``("ordered-classes", "count")``): ``select_model`` (``probnn fit --family auto``) tries the
class families and the count families Poisson and negative binomial side by side, scores
them on the same footing (each one's log-probability of the held-out integer), and, of the
candidates within noise, prefers a count family: it can score a count beyond the labels seen.

Oracles: the Poisson law that generated the data (scipy.stats.poisson), the maximum-likelihood
constant models worked by hand (the training rows' mean for Poisson, n_k / n for the class
probabilities), scikit-learn's StratifiedKFold, and per-row NLLs written by hand for the
one-standard-error rule.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.model_selection import StratifiedKFold

from probnn.exceptions import DataError
from probnn.selection import (COUNT_FAMILIES_OF_LABELS, _candidate_families,
                              one_standard_error_choice, select_model)
from probnn.tables.model import TabularModel


def _poisson_table(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """x1 ~ N(0, 1), cnt ~ Poisson(exp(0.5 + 0.5 x1)): few distinct counts (about 8)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    rate = np.exp(0.5 + 0.5 * x)
    return pd.DataFrame({"x1": x}), pd.Series(rng.poisson(rate), name="cnt"), rate


def test_few_counts_try_the_class_and_the_count_families():
    names = _candidate_families(("ordered-classes", "count"), None, None)
    assert names == ["categorical", "ordinal", "poisson", "negative-binomial"]
    # integers below 0 are no counts; text labels and two labels are classes only
    assert _candidate_families(("ordered-classes", "integer"), None, None) == [
        "categorical", "ordinal"]
    assert _candidate_families(("classes",), None, None) == ["categorical"]
    assert _candidate_families(("binary",), None, None) == ["bernoulli"]
    # a caller's task or families are kept as given
    assert "poisson" not in _candidate_families(("ordered-classes", "count"), None, "classifier")
    assert _candidate_families(("ordered-classes", "count"), ["ordinal"], None) == ["ordinal"]
    assert set(COUNT_FAMILIES_OF_LABELS) <= set(
        _candidate_families(("ordered-classes", "count"), None, None))


@pytest.fixture(scope="module")
def poisson_selection():
    X, y, rate = _poisson_table(200, seed=1)
    assert y.nunique() <= 10  # read as ordered classes and counts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = select_model(X, y, network_families=0)
    return X, y, rate, sel


def test_the_class_and_count_constants_are_scored_on_the_same_footing(poisson_selection):
    # each candidate's held-out NLL is -log P(Y = y): the Poisson constant's by its training
    # rows' mean (its maximum-likelihood rate), the categorical constant's by n_k / n (the
    # column's labels it was given; (n_k + 1/2) / (n + C/2) where a label has no training row)
    X, y, _, sel = poisson_selection
    assert sel.kinds == ("ordered-classes", "count")
    classes = np.sort(y.unique())
    poisson, categorical = [], []
    for train, test in sel.folds:
        poisson.extend(-stats.poisson.logpmf(y.iloc[test], y.iloc[train].mean()))
        counts = y.iloc[train].value_counts().reindex(classes, fill_value=0)
        n = counts.sum()
        prob = counts / n if (counts > 0).all() else (counts + 0.5) / (n + classes.size / 2)
        categorical.extend(-np.log(prob[y.iloc[test]].to_numpy()))
    np.testing.assert_allclose(sel.nll_rows[("poisson", "constant")], poisson, rtol=1e-4)
    np.testing.assert_allclose(sel.nll_rows[("categorical", "constant")], categorical,
                               rtol=1e-4)


def test_the_folds_stay_stratified_by_the_labels(poisson_selection):
    _, y, _, sel = poisson_selection
    k = len(sel.folds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (a label of fewer rows than folds)
        expected = list(StratifiedKFold(k, shuffle=True, random_state=0).split(
            np.zeros((y.size, 1)), y.astype(str)))  # fmt: skip
    for (train, test), (train_e, test_e) in zip(sel.folds, expected):
        np.testing.assert_array_equal(test, test_e)


def test_counts_from_a_poisson_law_choose_a_count_model_that_scores_larger_counts(
        poisson_selection):  # fmt: skip
    X, y, rate, sel = poisson_selection
    assert sel.family in COUNT_FAMILIES_OF_LABELS, sel.line
    # fresh rows of the law, counts beyond the training labels included: every row scored,
    # within noise of the law's own log-pmf (the oracle)
    Xf, yf, rate_f = _poisson_table(3000, seed=2)
    assert (yf > y.max()).any()
    nll = -sel.model.predict_dist(Xf).log_prob(yf.to_numpy().astype(np.float64))
    oracle = -stats.poisson.logpmf(yf, rate_f)
    assert np.all(np.isfinite(nll))
    gap = nll - oracle
    assert np.mean(gap) < 3 * np.std(gap, ddof=1) / np.sqrt(gap.size) + 0.05


def test_within_noise_a_count_family_is_preferred_whatever_its_capacity():
    # rows worked by hand: the ordinal GLM best, the Poisson network 0.01 behind with a
    # paired SE of 0.02 (within noise), the Poisson GLM 1 nat behind on every row (clearly)
    rng = np.random.default_rng(0)
    base = rng.uniform(1.0, 2.0, size=100)
    noise = np.tile([0.21, -0.19], 50)  # mean 0.01, sd 0.2: SE 0.02
    rows = {("ordinal", "glm"): base, ("poisson", "network"): base + noise,
            ("poisson", "glm"): base + 1.0}
    chosen, best, _ = one_standard_error_choice(rows)
    assert (chosen, best) == (("ordinal", "glm"), ("ordinal", "glm"))
    chosen, _, _ = one_standard_error_choice(rows, covering=["poisson"])
    assert chosen == ("poisson", "network")
    # a count family clearly behind is not chosen for its support
    far = {("ordinal", "glm"): base, ("poisson", "glm"): base + 1.0}
    assert one_standard_error_choice(far, covering=["poisson"])[0] == ("ordinal", "glm")


def test_a_class_model_of_counts_refuses_a_larger_count_naming_the_count_families():
    X, y, _ = _poisson_table(200, seed=1)
    frame = X.assign(cnt=y)
    model = TabularModel.fit(frame, "cnt", family="ordinal", hidden=(), solver="lbfgs")
    larger = frame.head(3).assign(cnt=[int(y.max()) + 1, 0, 1])
    with pytest.raises(DataError, match="seen in training") as info:
        model.encode_target(larger)
    message = str(info.value)
    assert "(ordinal) is a class model" in message
    assert "--family poisson" in message and "--family negative-binomial" in message
    # text labels: no word on counts
    text = frame.assign(cnt=np.where(y > 1, "many", "few"))
    model = TabularModel.fit(text, "cnt", family="categorical", hidden=(), solver="lbfgs")
    with pytest.raises(DataError) as info:
        model.encode_target(text.head(2).assign(cnt=["few", "none"]))
    assert "--family poisson" not in str(info.value)


def test_tiny_folds_keep_the_class_networks_and_leave_out_the_count_networks():
    # 45 rows of a rating 1-5 (an ordered logit in x1): the folds' 36 training rows are too
    # few for a count network's early stopping (no count network), but a class network's
    # budget is its epochs: the class networks are tried as without the count families
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x1": rng.normal(size=45), "x2": rng.normal(size=45)})
    latent = 1.5 * X["x1"].to_numpy() + rng.logistic(size=45)
    y = pd.Series(1 + np.searchsorted([-2.0, -0.7, 0.7, 2.0], latent), name="rating")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = select_model(X, y)
    tried = set(zip(sel.table["family"], sel.table["capacity"]))
    assert {("categorical", "network"), ("ordinal", "network")} <= tried, sel.table
    assert not {("poisson", "network"), ("negative-binomial", "network")} & tried
    assert ("poisson", "glm") in tried and not any("no network tried" in n for n in sel.notes)


def test_fit_says_the_pseudo_count_only_when_a_class_model_is_chosen(tmp_path, capsys,
                                                                     monkeypatch):  # fmt: skip
    """A count no training row holds (only a held-out row): a class model would score it by
    half a pseudo-count, which fit says; a count family scores any count, so when the
    selection chooses one there is nothing to say (before: said whatever was chosen)."""
    from _cli import run

    from probnn._split import split_rows
    from probnn.families import FAMILIES
    from probnn.model_file import load_model

    X, y, _ = _poisson_table(200, 1)
    _, test = split_rows(200, 0, 0.2)
    y = y.copy()
    y.iloc[test[0]] = 15  # far above every other count: held out only
    assert (y == 15).sum() == 1
    monkeypatch.chdir(tmp_path)
    X.assign(cnt=y).to_csv(tmp_path / "counts.csv", index=False)
    code, out, err = run(capsys, "fit", "counts.csv", "--target", "cnt", "--seed", "0",
                         "--out", "m.probnn", "--quiet")  # fmt: skip
    assert code == 0, err
    family = load_model(tmp_path / "m.probnn").family
    assert not FAMILIES[family].is_classifier, out  # the Poisson law's counts: a count family
    assert "pseudo-count" not in out + err
