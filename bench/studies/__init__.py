"""One-off studies: the measurements behind a default or a claim, run by hand.

``python -m bench.studies.NAME``; none is part of ``python -m bench``. Each stands beside its
results file where it writes one (``scenario5_search.py`` / ``scenario5_search.md``,
``scenario5_check``, ``scenario5_recalibrate``); ``scenario6_rates``' results are a section of
``bench/results/scenario6.md``, and ``nb_bike_sharing`` prints its table (issue 10).
"""
