"""The evidence of a wide table's network in row space (probnn.evidence) against the dense
``d x d`` posterior precision of probnn.laplace (the oracle): the same evidence and MacKay
re-estimate to rounding, fewer rows than weights or more, any family's output count."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn import MLPClassifier, MLPRegressor
from probnn.evidence import (_dense_evidence_and_guess, _evidence_and_guess,
                             _row_space_evidence_and_guess)


def _dense_oracle(estimator, X, y, sample_weight):
    """The log evidence and gamma / ||w||^2 from the posterior precision written out with
    numpy (slogdet, eigvalsh) from probnn.laplace's dense matrix."""
    from probnn.laplace import LaplaceApproximation

    laplace = LaplaceApproximation(estimator, prefit=True, subset="all")
    laplace.fit(X, y, sample_weight=sample_weight)
    lam, mask = laplace.prior_precision_, laplace.prior_mask_
    P = laplace.posterior_precision_
    free = np.any(P != 0, axis=0)
    _, logdet = np.linalg.slogdet(P[np.ix_(free, free)])
    coef = laplace.map_weights_[mask]
    evidence = (-laplace._nll_sum - 0.5 * lam * coef @ coef + 0.5 * coef.size * math.log(lam)
                + 0.5 * (free.sum() - coef.size) * math.log(2 * math.pi) - 0.5 * logdet)
    values = np.linalg.eigvalsh(P[np.ix_(mask, mask)])
    spectrum = np.linalg.eigvalsh(P[np.ix_(free, free)])
    # float64 forms P with an error of eps * its largest eigenvalue: the evidence and the
    # small eigenvalues behind gamma are determined to eps * cond(P), no better
    rounding = np.finfo(float).eps * spectrum[-1] / spectrum[0]
    return evidence, np.sum(1 - lam / values) / (coef @ coef), rounding


def _fitted(kind, n, d, hidden, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    weights = rng.uniform(0.5, 2.0, size=n)
    signal = X[:, 0] - 0.5 * X[:, 1]
    common = dict(hidden_layer_sizes=hidden, solver="lbfgs", max_iter=200, alpha=1.0,
                  random_state=seed, dtype="float64")
    if kind == "categorical":
        y = np.digitize(signal + rng.normal(size=n), [-0.5, 0.5])
        y[:3] = [0, 1, 2]
        estimator = MLPClassifier(**common)
    elif kind == "poisson":
        y = rng.poisson(np.exp(0.3 * signal))
        estimator = MLPRegressor(family="poisson", **common)
    else:
        y = signal + rng.normal(size=n)
        estimator = MLPRegressor(family=kind, **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y, sample_weight=weights)
    return estimator, X, y, weights


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["normal-fixed", "poisson", "categorical", "studentt"]),
       n=st.integers(8, 40), d=st.integers(2, 40), hidden=st.sampled_from([(), (4,)]),
       seed=st.integers(0, 2**16))
def test_row_space_evidence_equals_the_dense_posteriors(kind, n, d, hidden, seed):
    estimator, X, y, w = _fitted(kind, n, d, hidden, seed)
    evidence, guess = _row_space_evidence_and_guess(estimator, X, y, w)
    dense_evidence, dense_guess = _dense_evidence_and_guess(estimator, X, y, w)
    oracle_evidence, oracle_guess, rounding = _dense_oracle(estimator, X, y, w)
    for value in (evidence, dense_evidence):
        assert value == pytest.approx(oracle_evidence, rel=1e-8, abs=1e-8 + rounding)
    for value in (guess, dense_guess):
        assert value == pytest.approx(oracle_guess, rel=1e-7 + rounding)


def test_a_wide_glm_takes_the_row_space_and_a_long_table_the_dense_posterior(monkeypatch):
    import probnn.evidence as evidence

    calls = []
    monkeypatch.setattr(evidence, "_row_space_evidence_and_guess",
                        lambda *a: calls.append("rows") or (0.0, 1.0))
    monkeypatch.setattr(evidence, "_dense_evidence_and_guess",
                        lambda *a: calls.append("dense") or (0.0, 1.0))
    wide = _fitted("normal-fixed", 10, 30, (), 0)  # 10 rows x 1 output < 31 weights
    long = _fitted("normal-fixed", 40, 3, (), 0)
    _evidence_and_guess(*wide)
    _evidence_and_guess(*long)
    assert calls == ["rows", "dense"]


def test_a_table_too_wide_for_the_dense_posterior_gets_an_evidence():
    # 20,001 weights: the dense posterior (3.2 GB) is refused by probnn.laplace; row space
    # needs 30 x 20,001 numbers. The data's law: y = 2 x_0 + N(0, 1)
    estimator, X, y, w = _fitted("normal-fixed", 30, 20_000, (), 1)
    evidence, guess = _evidence_and_guess(estimator, X, y, w)
    assert math.isfinite(evidence) and guess > 0


def test_a_wide_table_with_several_outputs_builds_no_d_by_d_matrix(monkeypatch):
    # a student-t GLM (3 outputs, flat output biases) on 12 rows x 400 columns: every array
    # the row-space evidence allocates stays far below d^2 = 1203^2 numbers
    estimator, X, y, w = _fitted("studentt", 12, 400, (), 2)
    d = estimator.fitted_network().network.params.size
    eye = np.eye
    for name in ("eye", "zeros", "empty", "ones"):
        original = getattr(np, name)

        def guarded(shape, *args, _original=original, **kwargs):
            size = shape * (args[0] if args and args[0] else shape) if _original is eye \
                else int(np.prod(shape))  # fmt: skip
            assert size < d * d / 4, f"np.{_original.__name__}({shape})"
            return _original(shape, *args, **kwargs)

        monkeypatch.setattr(np, name, guarded)
    evidence, guess = _row_space_evidence_and_guess(estimator, X, y, w)
    monkeypatch.undo()
    oracle_evidence, _, rounding = _dense_oracle(estimator, X, y, w)
    assert evidence == pytest.approx(oracle_evidence, rel=1e-8, abs=1e-8 + rounding)


def test_a_saturated_head_leaves_the_other_biases_flat_in_row_space_too():
    """A zero-inflated Poisson GLM on counts with no zero on a wide table (fewer rows than
    weights): its inflation head saturates, and the count head's bias keeps its flat prior
    (``ggn.output_prior``, as in probnn.laplace): the row-space evidence equals the dense
    posterior's written out with numpy."""
    rng = np.random.default_rng(5)
    n, d = 30, 40
    X = rng.normal(size=(n, d))
    y = rng.poisson(np.exp(1.5 + 0.3 * X[:, 0])) + 1  # no zero
    estimator = MLPRegressor(family="zero-inflated-poisson", hidden_layer_sizes=(),
                             solver="lbfgs", max_iter=500, alpha=1.0, random_state=0,
                             dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(X, y)
    w = np.ones(n)
    evidence, gamma, rounding = _dense_oracle(estimator, X, y, w)
    got, got_gamma = _row_space_evidence_and_guess(estimator, X, y, w)
    assert got == pytest.approx(evidence, rel=1e-8 + rounding, abs=1e-8)
    assert got_gamma == pytest.approx(gamma, rel=1e-6 + rounding)


def test_a_row_of_weight_zero_counts_for_nothing_in_row_space_too():
    """A row of weight 0 far outside the others (its NLL past float range) adds nothing to
    the evidence, as in probnn.laplace (0 x inf is nan): the row-space evidence equals the
    dense posterior's, and the evidence of the same fit without that row."""
    estimator, X, y, w = _fitted("normal-fixed", 20, 30, (), 2)
    X_far = np.vstack([X, X[:1]])
    y_far = np.append(y, 1e200)
    w_far = np.append(w, 0.0)
    evidence, gamma, rounding = _dense_oracle(estimator, X_far, y_far, w_far)
    got, got_gamma = _row_space_evidence_and_guess(estimator, X_far, y_far, w_far)
    without, _ = _row_space_evidence_and_guess(estimator, X, y, w)
    assert got == pytest.approx(evidence, rel=1e-8, abs=1e-8 + rounding)
    assert got == pytest.approx(without, rel=1e-12)
    assert got_gamma == pytest.approx(gamma, rel=1e-7 + rounding)
