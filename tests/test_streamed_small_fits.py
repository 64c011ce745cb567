"""A streamed fit (``probnn fit --stream yes``, ``fit_stream``) of what a fit in memory fits
by a rule of its own: a tiny table's epochs by folds (``estimators._folds``) and a chosen
hurdle constant's zero part by the Krichevsky-Trofimov rule
(``tables._model_classes._constant_at_reference``).

Oracles: the fit in memory on the same rows (``--stream no``: the two paths must agree;
neither is taken as right by the other's code) and the KT rule worked by hand, ``P(0) =
(1/2) / (n + 1)`` for ``n`` training rows without a zero (a held-out zero at ``log(2n + 2)``
nats), ``(n + 1/2) / (n + 1)`` for only zeros.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

from probnn.cli import main  # noqa: E402
from probnn.families import get_family  # noqa: E402
from probnn.model_file import load_model  # noqa: E402
from probnn.tables.sources import TableSource  # noqa: E402
from probnn.tables.streaming import fit_stream  # noqa: E402


# ------------------------------------------------------------ a tiny table's folds
def test_a_tiny_table_streamed_is_fitted_as_in_memory(tmp_path, capsys):
    """6 rows (4 training, none for validation): in memory the folds choose the epochs;
    streamed the whole budget was trained with nothing held out (held-out NLL 1.3e6 nats a
    row on the first such table found, in memory 2.78)."""
    rng = np.random.default_rng(3)
    x, z = rng.normal(size=6), rng.normal(size=6)
    frame = pd.DataFrame({"x": x, "z": z, "y": x + 0.3 * rng.normal(size=6)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    # both fits read the one file, and are scored on the numbers as read (pandas 2.0's CSV
    # parser, the runtime floor's, reads some floats an ulp from the frame written)
    frame = pd.read_csv(tmp_path / "t.csv")
    models = {}
    for stream, data in (("no", "t.csv"), ("yes", "t.csv")):
        out = tmp_path / f"{stream}.probnn"
        code = main(["fit", str(tmp_path / data), "--target", "y", "--family", "normal",
                     "--stream", stream, "--hidden", "4", "--epochs", "40", "--quiet",
                     "--out", str(out)])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        models[stream] = load_model(out)
    assert models["no"].estimator.fold_members_  # (the rule under test: folds in memory)
    np.testing.assert_array_equal(models["yes"].nll_rows(frame), models["no"].nll_rows(frame))
    assert len(models["yes"].estimator.fold_members_) == len(models["no"].estimator.fold_members_)


# ------------------------------------------------------- a chosen hurdle constant
def _chosen(family: str):
    """``select_model`` stood in for by a choice of ``family``'s constant model."""
    def select_model(X, y, **kwargs):
        return types.SimpleNamespace(family=family, capacity="constant", model=None, notes=[],
                                     line=f"chose {family} constant model: a test's choice")
    return select_model


@pytest.mark.parametrize("family", ["hurdle-poisson", "hurdle-negative-binomial"])
def test_a_streamed_hurdle_constant_scores_a_zero_by_kt(tmp_path, monkeypatch, family):
    monkeypatch.setattr("probnn.selection.select_model", _chosen(family))
    rng = np.random.default_rng(1)
    y = rng.poisson(4.0, size=60) + 1  # no zero
    pd.DataFrame({"x": rng.normal(size=60), "y": y}).to_csv(tmp_path / "t.csv", index=False)
    model, info = fit_stream(TableSource(tmp_path / "t.csv"), "y", select=True, seed=0,
                             epochs=20)  # fmt: skip
    n = info.rows["train"]
    assert model.family == family
    zero = pd.DataFrame({"x": [0.0], "y": [0.0]})
    # was 20.0 nats (P(0) = sigmoid(-20), the fit's start for an infinite logit)
    np.testing.assert_allclose(model.nll_rows(zero), [math.log(2 * n + 2)], rtol=1e-5)
    assert info.train_zeros == 0


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["hurdle-poisson", "hurdle-negative-binomial",
                        "zero-inflated-poisson", "zero-inflated-negative-binomial"]),
       st.lists(st.integers(0, 30), min_size=2, max_size=40),
       st.sampled_from(["as drawn", "no zero", "only zeros"]))  # fmt: skip
def test_the_counted_reference_is_the_reference_of_the_rows(family, counts, side):
    """``counted_reference`` (a tally: rows and zeros) applied to the constant's MLE is
    ``reference_raw`` of the rows themselves; where they hold no zero (or only zeros) the
    zero part is the KT share by hand."""
    y = np.asarray(counts, dtype=np.float64)
    y = y + 1 if side == "no zero" else y * 0 if side == "only zeros" else y
    head = get_family(family)
    n, zeros = y.size, int(np.count_nonzero(y == 0))
    counted = head.counted_reference(head.constant_raw(y), n, zeros)
    np.testing.assert_allclose(counted, head.reference_raw(y), rtol=1e-12, atol=0)
    if zeros == n or (zeros == 0 and family.startswith("hurdle")):
        p0 = math.exp(-float(head.nll(counted[None, :], [0.0])[0]))
        expected = 0.5 / (n + 1) if zeros == 0 else (n + 0.5) / (n + 1)
        np.testing.assert_allclose(p0, expected, rtol=1e-9)
