"""One table of training defaults (``probnn.defaults``, issue 21).

The estimators' signatures, their numpydoc docstrings and the command line's help texts each
state the defaults to a reader; these tests hold every one of them to what a fit really uses,
so none can drift from the table.
"""

from __future__ import annotations

import ast
import inspect
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from probnn import defaults
from probnn.cli import main
from probnn.estimators import EnsembleRegressor, MLPClassifier, MLPRegressor
from probnn.estimators.ensemble import default_member

ESTIMATORS = {MLPRegressor: defaults.REGRESSOR, MLPClassifier: defaults.CLASSIFIER}


def _signature_defaults(cls) -> dict:
    return {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
            if p.default is not inspect.Parameter.empty}  # fmt: skip


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_entry_of_the_table_is_a_parameter_with_that_default(cls):
    table = ESTIMATORS[cls]
    signature = _signature_defaults(cls)
    assert set(table) <= set(signature), set(table) - set(signature)
    assert {k: signature[k] for k in table} == dict(table)
    assert cls().get_params()["learning_rate_init"] == table["learning_rate_init"]


def test_the_ensembles_defaults_are_the_tables():
    assert EnsembleRegressor().n_members == defaults.ENSEMBLE_MEMBERS
    member = default_member()
    assert {k: member.get_params()[k] for k in defaults.ENSEMBLE_MEMBER} == dict(
        defaults.ENSEMBLE_MEMBER)


@pytest.mark.parametrize("cls", [MLPRegressor, MLPClassifier, EnsembleRegressor],
                         ids=lambda c: c.__name__)  # fmt: skip
def test_the_docstrings_defaults_are_the_signatures(cls):
    # numpydoc's "name : type, default=VALUE" lines are read by people; each must be the value
    # the signature (the table) gives
    stated = dict(re.findall(r"^    (\w+) : [^\n]*?default=([^\n]+?)\s*$", cls.__doc__, re.M))
    assert len(stated) >= 3, stated
    signature = _signature_defaults(cls)
    for name, text in stated.items():
        assert ast.literal_eval(text) == signature[name], (name, text)


def _help(capsys) -> str:
    assert main(["fit", "--help"]) == 0
    return " ".join(capsys.readouterr().out.split())  # argparse's line breaks undone


def _classifier_fit():
    """A classifier fitted as ``probnn fit`` fits it without options (one epoch: only its
    settings are read)."""
    from probnn.tables.model import TabularModel

    warnings.simplefilter("ignore")  # one epoch does not converge, and need not
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=60), "y": np.repeat(["a", "b"], 30)})
    return TabularModel.fit(frame, "y", epochs=1).estimator


def test_the_help_states_the_defaults_a_fit_uses(capsys):
    text = _help(capsys)
    regressor, classifier = MLPRegressor(), _classifier_fit()

    def stated(option: str) -> tuple[str, str]:
        found = re.search(re.escape(option) + r" [A-Z]+ .*?default: (\S+) for a regression "
                          r"family(?:, as MLPRegressor)?[;,] (\S+) for a classifier\)", text)
        assert found, option
        return found.groups()

    for option, name in (("--lr", "learning_rate_init"), ("--alpha", "alpha")):
        reg, cls = stated(option)
        assert float(reg) == regressor.get_params()[name], option
        assert float(cls) == classifier.get_params()[name], option
    reg, cls = stated("--hidden")
    assert tuple(int(s) for s in reg.split(",")) == regressor.hidden_layer_sizes
    assert tuple(int(s) for s in cls.split(",")) == classifier.hidden_layer_sizes
    patience = re.search(r"--patience N .*?a classifier's (\d+)\)", text).group(1)
    assert int(patience) == classifier.n_iter_no_change
    decay = re.search(r"--average DECAY .*?\(default: ([0-9.]+),", text).group(1)
    assert float(decay) == classifier.ema_decay_
