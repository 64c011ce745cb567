"""Training rows in chunks for a streamed fit (:func:`probnn.tables.streaming.fit_stream`).

* :class:`ShuffleBuffer`: rows in, the same rows out in a random order, at most its size held
  (TensorFlow's ``shuffle(buffer_size)``), so an epoch's chunks mix rows from across the table;
* :class:`_Rechunk`: pieces of any size re-cut into chunks of a fixed number of rows;
* :func:`prefetch`: an iterator's items produced in a second thread, a few ahead, so reading
  and preprocessing overlap training;
* :func:`with_pseudo_rows`: an epoch's chunks, the first with the add-1/2 pseudo-rows of a
  class model whose training rows miss a class (as ``TabularModel.fit``'s ``classes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from probnn.tables.model import _with_every_class

__all__ = ["ShuffleBuffer", "prefetch", "PREFETCH_BATCHES", "with_pseudo_rows"]


# ----------------------------------------------------------- shuffle buffer
class ShuffleBuffer:
    """Rows in, the same rows out in a random order, holding at most ``size`` rows.

    Until full the buffer only fills. Then each incoming chunk of ``m`` rows takes the
    places of ``m`` rows drawn at random from the buffer, which go out as one chunk
    (TensorFlow's ``shuffle(buffer_size)``, a chunk at a time). ``flush`` empties it in
    a random order. ``size=0`` passes chunks through unchanged.

    Parameters
    ----------
    size : int
    random_state : int or numpy Generator
    """

    def __init__(self, size: int, random_state):
        self.size = int(size)
        self._rng = np.random.default_rng(random_state)
        self._X = self._y = None
        self._n = 0

    def push(self, X: np.ndarray, y: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Chunks ready to train on after adding rows ``X`` (n, d) and ``y`` (n, ...)."""
        if self.size == 0:
            yield X, y
            return
        if self._X is None:
            self._X = np.empty((self.size, *X.shape[1:]), dtype=X.dtype)
            self._y = np.empty((self.size, *y.shape[1:]), dtype=y.dtype)
        i = 0
        while i < len(X):
            if self._n < self.size:  # filling
                take = min(self.size - self._n, len(X) - i)
                self._X[self._n:self._n + take] = X[i:i + take]
                self._y[self._n:self._n + take] = y[i:i + take]
                self._n += take
                i += take
                continue
            take = min(self.size, len(X) - i)
            places = self._rng.choice(self.size, size=take, replace=False)
            out = self._X[places], self._y[places]
            self._X[places] = X[i:i + take]
            self._y[places] = y[i:i + take]
            i += take
            yield out

    def flush(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """What the buffer holds, in a random order, as one chunk (nothing if empty)."""
        if self.size == 0 or self._n == 0:
            return
        order = self._rng.permutation(self._n)
        out = self._X[order], self._y[order]
        self._n = 0
        yield out


class _Rechunk:
    """Rows in pieces of any size out as chunks of exactly ``rows`` rows (the last: fewer)."""

    def __init__(self, rows: int):
        self.rows = int(rows)
        self._parts: list[tuple[np.ndarray, np.ndarray]] = []
        self._n = 0

    def push(self, X, y):
        if len(X):
            self._parts.append((X, y))
            self._n += len(X)
        while self._n >= self.rows:
            yield self._take(self.rows)

    def flush(self):
        if self._n:
            yield self._take(self._n)

    def _take(self, n):
        X = np.concatenate([p[0] for p in self._parts]) if len(self._parts) > 1 else self._parts[0][0]
        y = np.concatenate([p[1] for p in self._parts]) if len(self._parts) > 1 else self._parts[0][1]
        rest = (X[n:], y[n:])
        self._parts = [rest] if len(rest[0]) else []
        self._n = len(rest[0])
        return X[:n], y[:n]


# ----------------------------------------------------------------- prefetch
PREFETCH_BATCHES = 2  # batches read and preprocessed ahead of the training


def prefetch(items: Iterator, depth: int = PREFETCH_BATCHES) -> Iterator:
    """The items of ``items``, produced in a background thread at most ``depth`` ahead.

    Reading Parquet, NumPy's loops and BLAS release the GIL, so reading and preprocessing
    the next batches overlaps training on this one. The items come in their order; an
    exception in the producer is raised here, where the item would have come; leaving the
    loop early stops the producer (and closes ``items``).
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=max(1, int(depth)))
    stop = threading.Event()
    end = object()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put((end, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="probnn-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = q.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item
    finally:
        stop.set()
        worker.join()


# ----------------------------------------------------------- pseudo-rows
def with_pseudo_rows(chunks: Iterable[tuple], n_classes: int) -> Iterator[tuple]:
    """One epoch's training chunks ``(X, y)``, the first with the add-1/2 pseudo-rows:
    one row per class at ``x = 0`` of weight :data:`~probnn.tables.model.JEFFREYS_COUNT`
    after its rows, the others weighing 1 (``(X, y, sample_weight)``, as
    :meth:`fit_chunks <probnn.estimators.MLPClassifier.fit_chunks>` takes it).

    A class model whose training rows miss one of its ``n_classes`` classes learns with half
    a pseudo-count of every class, as :meth:`TabularModel.fit
    <probnn.tables.model.TabularModel.fit>` does in memory
    (``tables.model._with_every_class``): with one chunk of all the training rows the same
    rows and weights, so the same fit; with several, the pseudo-rows are trained on once an
    epoch, as in memory, and the first chunk also starts the network (the output layer at
    its weighted constant model, finite for every class).
    """
    it = iter(chunks)
    try:
        first = next(it, None)
        if first is None:
            return
        # every chunk misses the class (no training row holds it): the rows are always added
        yield _with_every_class(first, n_classes)
        yield from it
    finally:  # left early (the first chunk only starts the network): the reader closed now
        close = getattr(it, "close", None)
        if close is not None:
            close()
