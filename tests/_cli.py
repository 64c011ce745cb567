"""The command line run from a test: ``run`` (exit code, stdout, stderr) and ``printed_metric``
(one held-out figure as ``fit`` / ``evaluate`` print it).

Imported as ``from _cli import run, printed_metric`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import re

from probnn.cli import main


def run(capsys, *args) -> tuple[int, str, str]:
    """``probnn ARGS`` in this process: exit code, stdout and stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def printed_metric(out: str, label: str) -> float:
    """The number printed beside ``label`` in a held-out metrics block."""
    return float(re.search(rf"^  {re.escape(label)}\s+(\S+)$", out, re.M).group(1))
