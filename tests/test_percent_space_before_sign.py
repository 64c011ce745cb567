"""A percentage written with one space before the sign ("12.3 %", or the no-break / narrow
no-break space French and German typography use) is its number, as "12.3%" is: it stayed
text. In memory and streamed alike, as a feature and as a target. Oracles: Python's ``float``
of the digits before the space; the same column written without the space.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn.families import get_family
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource, read_table
from probnn.tables.targets import TargetScan, regression_target


def _scanned(path, columns, batch_rows: int) -> Preprocessor:
    from _scan import scan_stream

    return scan_stream(TableSource(path, batch_rows=batch_rows), columns)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(values=st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=3, max_size=20,
                        unique=True),
       space=st.sampled_from([" ", "\u00a0", "\u202f"]))  # fmt: skip
def test_a_space_before_the_sign_reads_as_without_it(tmp_path_factory, values, space):
    digits = [f"{v:.2f}" for v in values]
    folder = tmp_path_factory.mktemp("pct")
    frames = {}
    for name, sep in (("spaced", space), ("plain", "")):
        text = [f"{d}{sep}%" for d in digits]
        path = folder / f"{name}.csv"
        path.write_text("x,y\n" + "".join(f"{t},{t}\n" for t in text), encoding="utf-8")
        frames[name] = (path, read_table(path))
    oracle = np.array([float(d) for d in digits])
    path, frame = frames["spaced"]
    np.testing.assert_array_equal(regression_target(frame["y"], "y", get_family("normal")), oracle)
    scan = TargetScan(max_distinct=1000, name="y")
    for step in ("observe", "add"):
        for batch in TableSource(path, batch_rows=4).batches(["y"]):
            getattr(scan, step)(batch.frame["y"])
    assert scan.comma_reading() == "percent"
    if np.unique(oracle).size > 1:
        pre = Preprocessor().fit(frame[["x"]])
        assert pre.parsers_ == {"x": "percent"} and pre.range_ == [(oracle.min(), oracle.max())]
        assert _scanned(path, ["x"], 3).to_meta() == pre.to_meta()
        assert pre.to_meta() == Preprocessor().fit(frames["plain"][1][["x"]]).to_meta()


@pytest.mark.parametrize("values", [["12 %", "3  %", "4 %"], ["12,5%", "3%", "4%"]])
def test_two_spaces_or_a_decimal_comma_stay_text(tmp_path, values):
    path = tmp_path / "t.csv"
    path.write_text("v,k\n" + "".join(f'"{v}",a\n' for v in values))
    pre = Preprocessor().fit(read_table(path)[["v"]])
    assert pre.numeric_ == [] and pre.categories_ == {"v": sorted(set(values))}
    assert _scanned(path, ["v"], 1).to_meta() == pre.to_meta()
