"""probnn benchmark suite: speed against the matmul floor, scikit-learn and PyTorch.

Run from the repository root with ``python -m bench``. Each (peer, repeat) measurement runs in a
fresh subprocess (``bench._worker``) so that its peak memory is its own.

Layout: ``bench/`` holds the suite that ``python -m bench`` (``make bench``) runs (the harness,
``scenario2.py`` to ``scenario7.py`` and their shared ``_common``, ``_data``, ``_floor``,
``_worker``; results in ``bench/results/``); ``bench/studies/`` the one-off measurements behind
a default or a claim, each run by hand and each beside its results file where it has one
(``scenario5_search.py`` and ``scenario5_search.md``, ...); ``bench/tools/`` the profiler
(``profile_probnn.py``, which the harness also runs for scenario 1's phases).
"""
