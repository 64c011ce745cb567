"""The selection's screening of a large table (:mod:`probnn.selection`): on one split with more
than :data:`SCREEN_ROWS` training rows the constants and GLMs are fitted on that many of them
(``_screen_split``), and only those that could be chosen fitted again on all the training rows
(``_refit_screened``); the compiled kernels loaded first where the networks will load them
anyway (``_load_compiled_kernels``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from probnn._selection_notes import CAPACITY_WORDS
from probnn._selection_scores import _capacity_params, _run, _Scores
from probnn.compare import paired_standard_errors

# On one split with more training rows than this, the constants and GLMs are screened:
# fitted on this many of the training rows (a GLM has tens of parameters: a few thousand
# rows pin it down), scored on all the held-out rows; only those within SCREEN_SE paired
# standard errors (plus SCREEN_NATS, what fewer rows can cost a fit) of the best candidate
# are fitted again on all the training rows and scored, the others are recorded as
# screened out with their screened NLL.
SCREEN_ROWS = 4000
SCREEN_SE = 3.0
SCREEN_NATS = 0.05


def _load_compiled_kernels() -> None:
    """Load the compiled kernels (numba, engine ``auto``, their machine code in numba's cache)
    before the constants and GLMs of a large table, whose network's compiled step loads them
    anyway: the full-batch fits then take the families' compiled losses
    (:func:`probnn.network._fast.lbfgs_loss_for`; the same weights, 0.2 s less for the
    mixture-normal GLM on 4,000 rows)."""
    from probnn.network import _fast

    if _fast.engine_choice() == "auto" and _fast.numba_available() and _fast._cache_warm():
        _fast.kernels()


def _screen_split(folds: Sequence, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """One split's screening fold: :data:`SCREEN_ROWS` of its training rows (drawn by
    ``seed``, in order) and all its held-out rows; None under K folds or on fewer rows."""
    if len(folds) != 1 or folds[0][0].size <= SCREEN_ROWS:
        return None
    train, test = folds[0]
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(train, size=SCREEN_ROWS, replace=False)), test


def _refit_screened(X, y, scores: _Scores, screened: _Scores, network: Mapping, common: dict,
                    say: Callable[[str], None] | None) -> None:  # fmt: skip
    """Fit again on all the split's training rows the screened constants and GLMs that
    could be chosen: those within :data:`SCREEN_SE` paired standard errors plus
    :data:`SCREEN_NATS` of the best candidate (screened, or a network scored on the split),
    and those that failed on the subsample. The others keep their screened scores (fitted
    on the subsample; never within one SE of the best, so never chosen) and say so."""
    rows = {**screened.complete(), **scores.complete()}
    keep: dict[str, list[str]] = {"constant": [], "glm": []}
    for c in screened.status:  # (a mixture's component collapsed on fewer rows, ...)
        keep[c[1]].append(c[0])
    if rows:
        best, se = paired_standard_errors(rows)
        mean = {c: float(np.mean(r)) for c, r in rows.items()}
        n = screened.folds[0][0].size
        for c in screened.complete():
            if mean[c] - mean[best] <= SCREEN_SE * se[c] + SCREEN_NATS:
                keep[c[1]].append(c[0])
            else:
                scores.rows[c] = dict(screened.rows[c])
                scores.seconds[c] = screened.seconds[c]
                scores.models[c] = screened.models[c]
                scores.notes[c] = f"screened out: fitted on {n:,} of the training rows"
    for capacity, families in keep.items():
        if families:
            if say is not None:
                say(f"refitting the {CAPACITY_WORDS[capacity]}s of {', '.join(families)} on "
                    f"all {scores.folds[0][0].size:,} training rows")
            _run(X, y, scores, families, capacity, [0], _capacity_params(capacity, network),
                 common)  # fmt: skip
