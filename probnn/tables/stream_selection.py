"""Family and capacity by held-out likelihood for a streamed table (``probnn fit --stream``).

:func:`probnn.selection.select_model` needs its rows in memory; a streamed table does not
fit there. :class:`SampleSelection` keeps, during :func:`~probnn.tables.streaming.fit_stream`'s
values pass, a sample of at most :data:`SELECTION_ROWS` of the rows not held out for testing,
chooses family and capacity on it with ``select_model``, and says how the stream trains the
choice (:meth:`SampleSelection.training`).

The sample is the rows of smallest *key*, a hash of the row number and the seed
(``splitmix64`` as :func:`probnn.tables.split.row_parts`, with a key of its own, so the sample
is independent of which rows early stopping scores): reproducible, a uniform draw of the
non-test rows, the same however the table is cut into batches or files, and never a test
row. A table with fewer non-test rows than :data:`SELECTION_ROWS` gives all of them, in
row order: the rows ``probnn fit --stream no`` selects on, so both choose alike. Memory: the
sample and one batch, never the table.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from probnn.tables.sources import Batch
from probnn.tables.split import TEST, sample_keys

__all__ = ["SELECTION_ROWS", "SampleSelection", "sample_keys", "stream_capacity"]

# Rows of the sample a streamed table's family and capacity are chosen on. Above
# selection.LARGE_TABLE (5,000) select_model scores on one split: 20,000 rows hold out 4,000
# (a paired standard error of a few thousandths of a nat between candidates) and train on
# 16,000, of which its screening (SCREEN_ROWS = 4,000) fits every constant and GLM on 4,000
# and the close ones again on all 16,000 (a GLM of tens of weights is pinned long before);
# one network (NETWORK_FAMILIES["split"]) trains on 16,000 rows, enough to rank a network
# against the GLMs. Its cost is that one network and the L-BFGS fits, whatever the table's
# size; below 5,000 rows the same selection would cost 5 folds' networks.
SELECTION_ROWS = 20_000
def stream_capacity(capacity: str, hidden: Sequence[int] | None) -> tuple[Sequence[int] | None, bool]:
    """How a streamed fit trains a chosen capacity: ``(hidden, constant)``.

    ``network``: the caller's ``hidden`` (None: the family's default network). ``glm``: no
    hidden layer, trained by the stream's minibatches (L-BFGS, the in-memory GLM's solver,
    needs every row at each step). ``constant``: no hidden layer with every input at 0, its
    input weights 0 after training (as ``TabularModel.fit(constant=True)``, by minibatches):
    the family's best constant model, which the stream fits as well as any GLM.
    """
    if capacity == "network":
        return hidden, False
    return (), capacity == "constant"


class SampleSelection:
    """The sample of a streamed table's non-test rows, and the selection on it.

    Parameters
    ----------
    target : str
    seed : int
        The sample's key and the selection's seed.
    size : int, default=SELECTION_ROWS
        Rows the sample holds at most.
    say : callable, optional
        The selection's progress lines.
    **select_params
        Further arguments of :func:`probnn.selection.select_model` (``impute``, ``levels``,
        ``n_jobs``, the network's ``hidden``, ``solver``, ``epochs`` and estimator
        parameters).

    Attributes
    ----------
    selection : probnn.selection.Selection or None
        After :meth:`choose`.
    line : str
        After :meth:`choose`: the choice, the sample's size and why, in one line.
    """

    def __init__(self, target: str, seed: int, *, size: int = SELECTION_ROWS,
                 say: Callable[[str], None] | None = None, **select_params):  # fmt: skip
        if int(size) < 1:
            raise ValueError(f"size must be >= 1; found {size!r}")
        self.target, self.seed, self.size = target, int(seed), int(size)
        self.say, self.select_params = say, select_params
        self._frames: list[pd.DataFrame] = []
        self._keys = np.empty(0, dtype=np.uint64)
        self.selection = None
        self.line = ""
        # the columns whose digests key the table's copies (fit_stream sets them where its
        # rows hold copies): the selection's folds then keep a row's copies on one side
        self.group_columns: list[str] | None = None

    def __len__(self) -> int:
        return int(self._keys.size)

    def add(self, batch: Batch, parts: np.ndarray) -> None:
        """Offer a batch's rows that are not test rows (``parts != TEST``); the sample keeps
        the :attr:`size` of smallest key among all rows offered so far."""
        keep = np.asarray(parts) != TEST
        keys = sample_keys(batch.rows, self.seed)
        if self._keys.size >= self.size:  # full: only a key below the largest kept enters
            keep &= keys < self._keys.max()
        if not np.any(keep):
            return
        frame = batch.frame[keep]  # (a copy: the batch is not kept)
        frame.index = pd.Index(batch.rows[keep].astype(np.int64))  # rows in the table
        self._frames.append(frame)
        self._keys = np.concatenate([self._keys, keys[keep]])
        if self._keys.size > self.size:
            self._shrink()

    def _shrink(self) -> None:
        whole = pd.concat(self._frames) if len(self._frames) > 1 else self._frames[0]
        smallest = np.sort(np.argpartition(self._keys, self.size - 1)[: self.size])
        self._frames, self._keys = [whole.iloc[smallest]], self._keys[smallest]

    def frame(self) -> pd.DataFrame:
        """The sample in row order, indexed by row number in the table (0-based)."""
        if not self._frames:
            return pd.DataFrame()
        whole = pd.concat(self._frames) if len(self._frames) > 1 else self._frames[0]
        return whole.sort_index(kind="stable")

    def choose(self, n_fit: int, kinds: tuple | None = None, classes=None) -> str:
        """Select family and capacity on the sample (:func:`probnn.selection.select_model`).

        Parameters
        ----------
        n_fit : int
            The table's non-test rows, which the sample was drawn from (for the line).
        kinds : (kinds, why), optional
            The target's kinds over every row of the table (``TargetScan.kinds``): the
            candidates are the families whose support holds the held-out values too.
        classes : ndarray, optional
            A class target's classes over every row of the table
            (:func:`~probnn.tables.targets.scan_classes`): the class models know a label
            that only held-out rows hold (``select_model``'s ``classes``, as in memory).

        Returns
        -------
        str
            The chosen family.
        """
        from sklearn.exceptions import ConvergenceWarning

        from probnn.exceptions import DataWarning, SeparationWarning
        from probnn.tables.columns import unsaid
        from probnn.selection import CAPACITY_WORDS, select_model

        sample = self.frame()
        groups = {}
        if self.group_columns is not None:  # (as select_model's groups in memory)
            from probnn.tables.copies import row_digests

            groups = {"groups": row_digests(sample, self.group_columns)}
        with warnings.catch_warnings(), unsaid():
            # the model select_model fits last (the choice, on the sample) is not the one
            # the stream trains: its warnings (an L-BFGS budget) would speak of another fit
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", SeparationWarning)
            # the sample's data warnings (an identifier, float64 taken): the stream's own
            # passes and fit say them for the whole table
            warnings.simplefilter("ignore", DataWarning)
            # point_mass="density": a streamed fit trains exact targets only, so its choice
            # is scored as it will be trained; ensemble=1: the stream trains its own model
            self.selection = select_model(sample.drop(columns=[self.target]),
                                          sample[self.target], seed=self.seed, say=self.say,
                                          point_mass="density", ensemble=1, kinds=kinds,
                                          classes=classes, **groups,
                                          **self.select_params)  # fmt: skip
        chosen = f"chose {self.selection.family} {CAPACITY_WORDS[self.selection.capacity]}"
        rows = (f"all {n_fit:,} training rows" if len(sample) >= n_fit else
                f"a sample of {len(sample):,} of the {n_fit:,} training rows")  # fmt: skip
        line = self.selection.line
        rest = line[len(chosen):] if line.startswith(chosen) else f": {line}"
        self.line = f"{chosen} on {rows}{rest}"
        return self.selection.family

    def training(self, hidden: Sequence[int] | None) -> tuple[Sequence[int] | None, bool]:
        """``(hidden, constant)`` of the streamed fit of the chosen capacity
        (:func:`stream_capacity`)."""
        return stream_capacity(self.selection.capacity, hidden)
