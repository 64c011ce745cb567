"""Independent fits in parallel through joblib, so that any joblib backend runs them.

``parallel_map(function, items, n_jobs)`` is ``map`` through ``joblib.Parallel``: the
results come back in the order of the items, whatever order the workers finish in, and
the backend is whichever one is active (joblib's default, loky's worker processes, or
one chosen with ``joblib.parallel_config``, e.g. ``backend="dask"`` for a
``dask.distributed`` cluster). With ``n_jobs=1`` (and no other backend active) the items
run one after the other in this process, exactly as a plain loop would.

Two things a plain ``Parallel(n_jobs)(...)`` gets wrong are handled here:

- Thread oversubscription. N local worker processes each running a BLAS with one thread
  per core make N x cores threads fight over the cores. joblib's loky backend gives each
  worker ``cores // N`` threads, but not when ``OMP_NUM_THREADS`` (or a sibling) is set in
  the environment, which then applies to every worker; here the loky workers get
  ``cores // N`` threads in every case, unless ``parallel_config(inner_max_num_threads=)``
  says otherwise. (``dask.distributed`` workers start with one BLAS thread, distributed's
  ``pre-spawn-environ`` setting, unless ``OMP_NUM_THREADS`` and its siblings are set where
  the workers start: then those apply, to every worker.)
- Warnings. A warning raised in a worker process would be printed there, in the default
  format, past any filter or ``warnings.showwarning`` of this process (the command line's
  one-line format). Here the worker records its warnings and they are issued again in
  this process, as each result arrives, under this process's filters.
"""

from __future__ import annotations

import os
import socket
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["parallel_map", "worker_threads"]


def _where() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


def _call(function: Callable, item: Any, parent: tuple[str, int]):
    """``function(item)`` and the warnings it raised, when it runs in another process."""
    if _where() == parent:  # sequential or threads: warnings go their usual way
        return function(item), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # this process's filters decide, on reissue
        result = function(item)
    return result, [(w.message, w.category, w.filename, w.lineno) for w in caught]


def _reissue(message, category, filename: str, lineno: int) -> None:
    """Issue a worker's warning here, as if raised at the same place in this process.

    The registry of the module that raised it makes the "default" action show it once
    per place, as it would have been in a sequential run.
    """
    module = next((m for m in list(sys.modules.values())
                   if getattr(m, "__file__", None) == filename), None)  # fmt: skip
    registry = None if module is None else vars(module).setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, category, filename, lineno,
                           module=None if module is None else module.__name__,
                           registry=registry)  # fmt: skip


def worker_threads(n_workers: int) -> int:
    """BLAS threads for each of ``n_workers`` processes on this machine: ``cores // n``, >= 1."""
    from joblib import cpu_count

    return max(1, cpu_count() // max(1, int(n_workers)))


def _backend(n_jobs: int | None, n_items: int):
    """``(backend, n_jobs)`` for ``Parallel``: the loky backend with a thread limit per worker
    and no more workers than items, or ``(None, n_jobs)`` for the active backend as it is."""
    from joblib import effective_n_jobs
    from joblib._parallel_backends import LokyBackend
    from joblib.parallel import get_active_backend

    if n_jobs is None:
        return None, n_jobs  # joblib's configuration (parallel_config) decides
    active, _ = get_active_backend()
    if (not isinstance(active, LokyBackend) or active.inner_max_num_threads is not None
            or (active.nesting_level or 0) > 0):
        # another backend (dask, threads, ...), a limit the user chose, or inside a worker
        # already (joblib's own choice for nested calls stands)
        return None, n_jobs
    workers = min(n_items, effective_n_jobs(n_jobs))
    if workers <= 1:
        return None, 1  # runs sequentially here
    return LokyBackend(inner_max_num_threads=worker_threads(workers)), workers


def parallel_map(function: Callable, items: Iterable, n_jobs: int | None = None) -> Iterator:
    """``function(item)`` for every item through ``joblib.Parallel``, in the items' order.

    Parameters
    ----------
    function : callable
        A module-level function (worker processes import it by name).
    items : iterable
        The arguments, one call each; they travel to the workers by pickle.
    n_jobs : int or None, default=None
        joblib's ``n_jobs``: None or 1 runs the calls one by one in this process (unless
        ``joblib.parallel_config`` chose another backend or ``n_jobs``), -1 uses every core.
        A ``dask.distributed`` backend spreads the calls over its workers whatever this is.

    Returns
    -------
    iterator
        ``function(item)`` for each item, in the order of ``items``. The calls run ahead of
        the consumer as workers are free (sequentially: each when its result is asked for);
        an exception in a call is raised when its result is reached.
    """
    from joblib import Parallel, delayed

    items = list(items)  # the backend is chosen now, in the caller's joblib configuration
    backend, n_jobs = _backend(n_jobs, len(items))
    parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
    here = _where()
    results = parallel(delayed(_call)(function, item, here) for item in items)

    def reissued():
        for result, caught in results:
            for record in caught:
                _reissue(*record)
            yield result

    return reissued()
