"""The README's gap example, ``docs/laplace_gap.py``, loaded for the tests that check it.

Imported as ``from _gap import fitted_gap`` (pytest puts ``tests/`` on ``sys.path``); skips
where the docs are not beside the tests (an installed package, not a checkout).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "laplace_gap.py"


def fitted_gap():
    """``docs/laplace_gap.py``'s ``fitted_gap()``: (LaplaceApproximation, x, y)."""
    if not SCRIPT.exists():
        pytest.skip("docs/laplace_gap.py is not beside the tests (installed package)")
    spec = importlib.util.spec_from_file_location("laplace_gap", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with warnings.catch_warnings():  # 300 epochs: the budget, not convergence, ends training
        warnings.simplefilter("ignore")
        return module.fitted_gap()
