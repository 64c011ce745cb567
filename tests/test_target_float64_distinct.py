"""A regression target whose written values float64 cannot tell apart is refused.

Whole numbers beyond 2**53 (int64 or text) are read into float64, whose numbers there lie
2**(e - 52) apart: ``2**62 + 351`` and ``2**62 + 422`` are one float (1,024 apart there).
A model of the rounded column claimed a spread of 0.02 where the written values spread by
100 (mixture-normal network, held-out NLL -2.0 nats, exit 0). Now one line, exit 1.

Oracles: Python's exact integers and their ``float`` (worked by hand: the spacing of float64
at 2**62 is 2**10; 2**62 + k * 1024 are distinct floats).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _cli import run
from probnn.exceptions import DataError
from probnn.families import get_family
from probnn.tables.targets import regression_target

BASE = 2**62


def _spread(n: int = 60, step: int = 1) -> list[int]:
    rng = np.random.default_rng(0)
    return [BASE + step * int(k) for k in rng.integers(0, 200, size=n)]


def test_the_oracle_rounds_these_values_together():
    values = _spread()
    assert len(set(values)) > 50 and len({float(v) for v in values}) <= 2


@pytest.mark.parametrize("as_text", [False, True])
def test_values_float64_merges_are_refused(as_text):
    values = _spread()
    column = pd.Series([str(v) for v in values] if as_text else np.array(values, np.int64),
                       name="y")
    with pytest.raises(DataError, match="float64 tells apart.*subtract an offset"):
        regression_target(column, "y", get_family("normal"))


@pytest.mark.parametrize("column", [
    pd.Series(np.array(_spread(step=1024), dtype=np.int64)),  # every value a float64 of its own
    pd.Series([float(v) for v in _spread()]),  # already floats: nothing left to tell
    pd.Series([str(v - BASE) for v in _spread()]),  # small numbers as text
])  # fmt: skip
def test_values_float64_holds_are_read_as_before(column):
    y = regression_target(column, "y", get_family("normal"))
    np.testing.assert_array_equal(y, [float(v) for v in column])


def test_the_command_line_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    written = [str(BASE + int(500 + 100 * v)) for v in x]
    pd.DataFrame({"x": x, "y": written}).to_csv("t.csv", index=False)
    code, out, err = run(capsys, "fit", "t.csv", "--target", "y", "--family", "normal",
                         "--hidden", "none", "--quiet")  # fmt: skip
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "1024 apart" in err
    assert not (tmp_path / "t.safetensors").exists()


@pytest.mark.parametrize("write", [lambda v: f"{v:,}", lambda v: f"{v}%"],
                         ids=["thousands", "percent"])
def test_values_written_with_separators_or_percent_signs_are_refused_too(write):
    """Hostile trial 10: the check read the column after its text became floats, so "4,611,
    686,018,427,388,255" (or "4611686018427388255%") passed as a float column, merged."""
    column = pd.Series([write(v) for v in _spread()], name="y")
    with pytest.raises(DataError, match="float64 tells apart.*subtract an offset"):
        regression_target(column, "y", get_family("normal"))


def test_separated_values_float64_holds_are_read_as_before():
    values = _spread(step=1024)  # every value a float64 of its own
    column = pd.Series([f"{v:,}" for v in values], name="y")
    y = regression_target(column, "y", get_family("normal"))
    np.testing.assert_array_equal(y, [float(v) for v in values])
