"""A streamed fit keeps a row's copies on one side of its split as a fit in memory does
(``tables.copies.CopyScan`` deciding batch by batch, the split keyed by the rows' digests),
and records its rows by content as a fit in memory does (``tables.copies.ContentScan``).

Before, ``probnn fit --stream`` split a table of copied rows by row number: copies of its
training rows were held out and scored (the in-memory fit of the same file held out whole
groups). The oracles: the tables written by hand with known copies (each group of copies is
one distinct ``x``, so a group is on one side exactly when its ``x`` is), and the in-memory
path's result on the same file (its warning line, held-out rows, NLL and model file record).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _cli import run

FAST = ("--family", "normal", "--hidden", "4", "--epochs", "3", "--quiet")
pytestmark = pytest.mark.filterwarnings("ignore:training used all")


def nats(out: str) -> float:
    return float(next(line for line in out.splitlines() if "nats" in line).split()[-1])


def copied(n_distinct: int = 60, times: int = 5, seed: int = 0) -> pd.DataFrame:
    """``n_distinct`` draws of a continuous law, each row written ``times`` times."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n_distinct)
    base = pd.DataFrame({"x": x, "g": rng.choice(["a", "b"], n_distinct),
                         "y": np.sin(2 * x) + 0.3 * rng.normal(size=n_distinct)})  # fmt: skip
    return pd.concat([base] * times, ignore_index=True)


def test_a_streamed_fit_holds_out_whole_groups_of_copies_as_the_fit_in_memory(tmp_path, capsys):
    from probnn.model_file import load_model

    data = tmp_path / "rep.csv"
    copied().to_csv(data, index=False)
    outs, records = {}, {}
    for stream in ("no", "yes"):
        model = tmp_path / f"{stream}.safetensors"
        code, out, err = run(capsys, "fit", data, "--target", "y", "--out", model,
                             "--stream", stream, *FAST)  # fmt: skip
        assert code == 0, err
        outs[stream], records[stream] = out, load_model(model).training_data
    lines = {s: [line for line in out.splitlines() if "repeat another row" in line]
             for s, out in outs.items()}  # fmt: skip
    assert lines["yes"] == lines["no"] == [
        "warning: 240 rows repeat another row exactly (every column, the target's continuous "
        "values too), copies rather than draws: each row is kept on one side of the split, and "
        "of the folds, with its copies"]  # fmt: skip
    held = {s: int(out.split("held-out metrics (")[1].split()[0]) for s, out in outs.items()}
    assert held["yes"] == held["no"] and held["no"] % 5 == 0
    # the training rows fit in the buffer: the in-memory fit, step for step
    assert nats(outs["yes"]) == pytest.approx(nats(outs["no"]), abs=1e-6)
    assert records["yes"].keys() == records["no"].keys()
    for key, value in records["no"].items():
        assert np.array_equal(records["yes"][key], value), key
    for stream in ("no", "yes"):  # evaluate re-derives the same held-out rows, either way
        code, out, err = run(capsys, "evaluate", tmp_path / "yes.safetensors", data,
                             "--stream", stream)  # fmt: skip
        assert code == 0, err
        assert out.splitlines()[0].endswith(f"scoring only its {held['no']} held-out rows")
        assert nats(out) == pytest.approx(nats(outs["yes"]), abs=1e-4)


def test_fit_stream_keeps_every_group_of_copies_on_one_side(tmp_path):
    from probnn.tables.sources import TableSource
    from probnn.tables.streaming import fit_stream

    data = tmp_path / "rep.csv"
    frame = copied(40, 4, seed=3)
    frame.to_csv(data, index=False)
    said = []
    _, info = fit_stream(TableSource(data), "y", family="normal", hidden=(3,), epochs=2,
                         announce=said.append)  # fmt: skip
    assert said[0].startswith("warning: 120 rows repeat another row exactly")
    assert set(info.test_sample.groupby("x").size()) == {4}  # whole groups held out
    assert set(info.train_sample.groupby("x").size()) == {4}
    assert info.rows["test"] + info.rows["train"] + info.rows["validation"] == 160


def test_a_table_without_copies_streams_as_before(tmp_path):
    """No repeated rows: the split by row number, nothing said (and a count target's ties
    are ties of its law: the same)."""
    from probnn.tables.sources import TableSource
    from probnn.tables.split import TEST, row_parts
    from probnn.tables.streaming import fit_stream

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.integers(0, 3, 200)})
    frame["y"] = rng.poisson(np.exp(0.3 * frame["x"]))
    data = tmp_path / "counts.csv"
    frame.to_csv(data, index=False)
    said = []
    _, info = fit_stream(TableSource(data), "y", family="poisson", hidden=(3,), epochs=2,
                         announce=said.append)  # fmt: skip
    assert not any("repeat" in line for line in said)
    held = row_parts(np.arange(200, dtype=np.uint64), 0, 0.2, 0.0) == TEST
    assert info.rows["test"] == int(held.sum())
    assert info.content["copies"] is False and "copy_key" not in info.content


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.lists(st.integers(1, 4), min_size=1, max_size=25),
       st.sampled_from(["real", "integer", "ties"]), st.integers(1, 3), st.integers(0, 2**31))
def test_the_streamed_decision_is_the_in_memory_decision(n, times, kind, levels, seed):
    from probnn.tables.copies import CopyScan, copy_groups, row_digests

    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, n).astype(float)
    y = {"real": rng.normal(size=n), "integer": rng.integers(0, 5, n).astype(float),
         "ties": np.round(rng.normal(size=n), 1)}[kind]  # fmt: skip
    base = pd.DataFrame({"x": x, "y": y})
    frame = base.iloc[np.repeat(np.arange(n), (times * n)[:n])].reset_index(drop=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    columns = ["x", "y"]
    expected = copy_groups(frame, "y", columns, row_digests(frame, columns)) is not None
    scan = CopyScan("y", columns)
    cuts = np.sort(rng.integers(0, len(frame) + 1, 3))
    for piece in np.split(np.arange(len(frame)), cuts):  # in batches of any sizes
        scan.add(frame.iloc[piece])
    assert scan.copies == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-3, 3), st.floats(-5, 5, allow_nan=False)), min_size=2,
                max_size=20))  # fmt: skip
def test_a_continuous_target_is_one_the_registry_calls_continuous(values):
    """``_continuous`` (a streamed fit's check, batch by batch) says what ``target_kinds``
    and the registry's ``DISCRETE_KINDS`` say of a numeric column."""
    from probnn.families import DISCRETE_KINDS
    from probnn.tables.copies import _continuous
    from probnn.tables.targets import target_kinds

    column = pd.Series(values, dtype=float, name="y")
    if column.nunique() < 2:
        return
    fraction, several = _continuous(column.to_numpy())
    assert (fraction and several) == (target_kinds(column)[0][0] not in DISCRETE_KINDS)


def test_beyond_its_cap_the_scan_estimates_on_the_smallest_digests():
    from probnn.tables.copies import CopyScan

    rng = np.random.default_rng(5)
    x = rng.normal(size=3000)
    distinct = pd.DataFrame({"x": x, "y": x + rng.normal(size=3000)})
    twice = pd.concat([distinct] * 2, ignore_index=True)
    for frame, copies in ((twice, True), (distinct, False)):
        scan = CopyScan("y", ["x", "y"], cap=256)
        for start in range(0, len(frame), 1000):
            scan.add(frame.iloc[start:start + 1000])
        assert scan.copies is copies
    # heights by sex: many equal features, few whole copies (ties of the law): no copies
    sex = rng.choice([0.0, 1.0], 4000)
    ties = pd.DataFrame({"sex": sex, "h": np.round(rng.normal(65 + 5 * sex, 3), 1)})
    scan = CopyScan("h", ["sex", "h"], cap=64)
    scan.add(ties)
    assert not scan.copies
    scan = CopyScan("y", ["x", "y"], cap=256)
    scan.add(twice)
    line = scan.warning()
    assert line.startswith("warning: about ")
    assert int(line.split()[2].replace(",", "")) == pytest.approx(3000, rel=0.25)


def test_an_older_model_file_keyed_by_first_copies_is_re_derived_so(tmp_path, capsys):
    """A model file written when a fit keyed copies by their first copy's row number (no
    ``copy_key``): evaluate holds out the rows that rule held out, streamed or not."""
    from probnn.model_file import load_model, save_model
    from probnn.tables.split import TEST, row_parts

    data, model = tmp_path / "rep.csv", tmp_path / "m.safetensors"
    frame = copied(50, 4, seed=7)
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--out", model, *FAST)
    assert code == 0, err
    old = load_model(model)
    old.training_data = {k: v for k, v in old.training_data.items() if k != "copy_key"}
    older = tmp_path / "old.safetensors"
    save_model(old, older)
    first = np.tile(np.arange(50), 4)  # each row's first copy, by construction
    held = int(np.sum(row_parts(first.astype(np.uint64), 0, 0.2, 0.0) == TEST))
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "evaluate", older, data, "--stream", stream)
        assert code == 0, err
        assert out.splitlines()[0].endswith(f"scoring only its {held} held-out rows")
