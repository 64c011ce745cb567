"""One-off studies: the measurements behind a default or a claim, run by hand.

``python -m bench.studies.NAME``; none is part of ``python -m bench``. Each stands beside its
results file where it writes one (``scenario5_search.py`` / ``scenario5_search.md``,
``scenario5_check``, ``scenario5_recalibrate``); ``scenario6_rates``' results are a section of
``bench/results/scenario6.md``, and ``nb_bike_sharing`` prints its table (issue 10).
"""

import json


def json_lines(*paths) -> list[dict]:
    """The records a study printed as JSON lines into ``paths``, in order (the lines the
    library's own messages printed among them, not starting with ``{``, left out)."""
    return [json.loads(line) for path in paths for line in open(path) if line.startswith("{")]
