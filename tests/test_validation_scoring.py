"""The validation score a training run takes after each epoch (probnn.network._scoring):
targets checked once per run, then the family's kernel on each epoch's raw outputs.

The oracle is the family's public, checked ``nll`` (itself tested against scipy.stats in the
families' tests) at the weights the network holds when the epoch's score is reported
(``on_epoch``): the weighted mean in float64 of the rows' NLL, equal to the bit (the same
arithmetic: ``Family.nll`` is the check, the kernel and the weights).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from probnn.families import FAMILIES, get_family
from probnn.network.mlp import MLP
from probnn.network.training import Trainer

from _targets import targets_for


def _oracle(net, family, chunks) -> float:
    total = weight = 0.0
    for X, y, w in chunks:
        raw = net.forward(X).astype(np.float64)
        yf = y.astype(np.float64) if y.dtype.kind == "f" else y
        total += float(np.sum(family.nll(raw, yf, w), dtype=np.float64))
        weight += X.shape[0] if w is None else float(np.sum(w))
    return total / weight


def _run(family, validation, oracle_chunks, *, epochs=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y = family.check_target(targets_for(family, 60, rng))
    net = MLP([3, 6, family.n_outputs(y)], random_state=seed)
    t = Trainer(net, family, batch_size=16, max_iter=epochs, tol=0, n_iter_no_change=10**6,
                random_state=seed, ema_decay=0.9)
    pairs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.run([(X, y, None)], validation,
              on_epoch=lambda e, loss, score: pairs.append(
                  (score, _oracle(net, family, oracle_chunks))))
    return t, pairs


def _validation_rows(family, n, seed, weighted):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = family.check_target(targets_for(family, n, rng))
    w = rng.uniform(0.0, 2.0, n) if weighted else None
    return X, y, w


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_epochs_score_is_the_familys_nll(name, weighted):
    family = get_family(name)
    rows = _validation_rows(family, 23, 1, weighted)
    t, pairs = _run(family, rows, [rows])
    assert len(pairs) == 4 and t.validation_scores_ == [s for s, _ in pairs]
    for score, expected in pairs:
        assert score == expected


@pytest.mark.parametrize("name", ["normal", "poisson", "categorical"])
def test_a_streamed_validation_is_scored_chunk_by_chunk(name):
    family = get_family(name)
    chunks = [_validation_rows(family, n, seed, True) for n, seed in [(11, 2), (7, 3)]]
    _, pairs = _run(family, lambda: iter(chunks), chunks)
    for score, expected in pairs:
        assert score == expected


def test_bad_validation_targets_are_named_at_the_first_score():
    family = get_family("poisson")
    X, y, _ = _validation_rows(family, 9, 4, False)
    y = y.astype(np.float64)
    y[5] = -1.0  # not a count
    with pytest.raises(ValueError, match="-1"):
        _run(family, (X, y, None), [])
