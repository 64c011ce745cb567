"""The settings' one declarative table (``_parameter_constraints``), checked once at fit.

Oracles: scikit-learn's own ``_parameter_constraints`` of its MLPs (for the settings whose
meaning is the same), and the signatures of the estimators (every setting is in the table).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

from probnn._validation import Interval, Options, check_params
from probnn.estimators import MLPClassifier, MLPRegressor
from probnn.network import MLP, Trainer
from probnn.network.training import TRAINER_CONSTRAINTS
from probnn.families import get_family

ESTIMATORS = [(MLPRegressor, SkRegressor), (MLPClassifier, SkClassifier)]

# settings whose allowed values mean the same in scikit-learn's MLPs and in probnn's
SAME_AS_SKLEARN = ("alpha", "learning_rate_init", "beta_1", "beta_2", "epsilon",
                   "validation_fraction", "tol", "shuffle", "nesterovs_momentum", "warm_start")
PROBES = [-1.0, -0.0, 0.0, 1e-12, 0.5, 0.999, 1.0, 1.5, 2.0, 1e9, math.inf, -math.inf, math.nan,
          True, False, None, "auto", "adam", "0.5"]  # fmt: skip


def _sklearn_accepts(sk_estimator, name, value) -> bool:
    try:
        validate_parameter_constraints(
            {name: sk_estimator._parameter_constraints[name]}, {name: value}, "sk"
        )
    except InvalidParameterError:
        return False
    return True


def _ours_accepts(estimator, name, value) -> bool:
    try:
        check_params({name: value}, estimator._parameter_constraints, "ours")
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("ours, theirs", ESTIMATORS)
@pytest.mark.parametrize("name", SAME_AS_SKLEARN)
def test_shared_settings_accept_what_sklearn_accepts(ours, theirs, name):
    numeric = name not in ("shuffle", "nesterovs_momentum", "warm_start")
    for value in PROBES:
        # one deliberate difference: scikit-learn takes True as the number 1 (alpha=True);
        # probnn refuses a bool where a number is meant
        expected = False if numeric and isinstance(value, bool) else (
            _sklearn_accepts(theirs, name, value))
        assert _ours_accepts(ours, name, value) == expected, value


@pytest.mark.parametrize("ours", [MLPRegressor, MLPClassifier])
def test_every_setting_is_in_the_table_and_every_default_passes(ours):
    names = [p for p in inspect.signature(ours.__init__).parameters if p != "self"]
    assert sorted(set(names) - set(ours._parameter_constraints)) == []
    check_params(ours().get_params(deep=False), ours._parameter_constraints, ours.__name__)


BAD = {
    "alpha": -1.0, "learning_rate_init": 0.0, "beta_1": 1.0, "momentum": 1.5, "epsilon": 0.0,
    "batch_size": 0, "max_iter": 0, "solver": "newton", "learning_rate": "step",
    "activation": "swish", "dropout": 1.0, "hidden_layer_sizes": (10, 0), "prior": "cauchy",
    "prior_scale": -2.0, "dtype": "float16", "family_params": [("scale", 1.0)],
    "warm_start": "yes", "n_iter_no_change": 0, "validation_fraction": 1.0, "tol": -1e-3,
}  # fmt: skip


@pytest.mark.parametrize("ours", [MLPRegressor, MLPClassifier])
@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_setting_is_refused_at_fit_before_the_data_is_read(ours, name):
    value = BAD[name]
    estimator = ours(**{name: value})
    # X is not even an array: the setting is reported first, naming the class and the value
    with pytest.raises(ValueError, match=rf"^{ours.__name__}: {name} must be .*; found "):
        estimator.fit("not an array", None)
    assert not hasattr(estimator, "n_iter_")


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5),
                 st.booleans(), st.none(), st.text(max_size=3)))  # fmt: skip
def test_interval_and_options_agree_with_their_descriptions(value):
    # [0, 1): a number (not a bool or a string) with 0 <= value < 1
    unit = Interval(0.0, 1.0, closed="left")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    assert unit.satisfied_by(value) == (is_number and 0.0 <= value < 1.0)
    count = Interval(1, closed="left", integer=True)
    assert count.satisfied_by(value) == (is_number and math.isfinite(value) and value >= 1
                                         and value == int(value))  # fmt: skip
    # Options compares booleans and None by identity: 1 is not True, 0 is not False
    options = Options("auto", True, None)
    assert options.satisfied_by(value) == (value == "auto" if isinstance(value, str)
                                           else value is True or value is None)  # fmt: skip


def test_trainer_and_mlp_check_their_own_tables_when_built_directly():
    net = MLP([3, 1])
    family = get_family("bernoulli")
    with pytest.raises(ValueError, match=r"^Trainer: momentum must be a finite number >= 0 and "
                                         r"< 1; found 1.5$"):
        Trainer(net, family, momentum=1.5)
    with pytest.raises(ValueError, match=r"^Trainer: beta_2 must be .*; found 1.0$"):
        Trainer(net, family, beta_2=1.0)
    with pytest.raises(ValueError, match=r"^MLP: activation must be .*; found 'swish'$"):
        MLP([3, 2, 1], activation="swish")
    # the estimators reuse the Trainer's entries rather than restating them
    # (or, for a setting they also take as "auto", extend them by that one option)
    for name, allowed in TRAINER_CONSTRAINTS.items():
        if name in MLPClassifier._parameter_constraints:
            entries = MLPClassifier._parameter_constraints[name]
            if entries is not allowed:
                assert name == "ema_decay" and entries[0] == Options("auto")
                assert len(entries) == len(allowed) + 1
                assert all(a is b for a, b in zip(entries[1:], allowed))


def test_the_regressors_auto_settings_pass_its_table_and_the_classifiers_do_not():
    for name in ("max_iter", "n_iter_no_change", "early_stopping"):
        check_params({name: "auto"}, MLPRegressor._parameter_constraints, "MLPRegressor")
        with pytest.raises(ValueError, match=rf"^MLPClassifier: {name} must be"):
            check_params({name: "auto"}, MLPClassifier._parameter_constraints, "MLPClassifier")
    X, y = np.ones((3, 2)), np.arange(3.0)
    with pytest.raises(ValueError, match=r"^MLPRegressor: max_iter must be 'auto' or an integer"):
        MLPRegressor(max_iter="many").fit(X, y)
