"""A regression target's reading of its commas is recorded in the model (``target_parser``)
and applied to every file it is evaluated on, as the features' ``parsers_`` are.

Fitted on a ``;``-separated file whose targets carry decimal commas (``21,165`` is 21.165),
a model reads the same numbers from a ``,``-separated file that quotes them (whose own
convention would read 21165), one written with points, another ``;`` file, and a tab
file (whose commas say nothing). Fitted on thousands separators, a ``;`` file of decimal
commas is refused in one line. A model file without the record reads each file by its own
separator, as before.

Oracles: the numbers written, Python's ``float`` of the text with its comma made a point.
"""

from __future__ import annotations

import numpy as np
import pytest

from _cli import printed_metric, run
from probnn.exceptions import DataError
from probnn.model_file import load_model, save_model
from probnn.tables.censoring import Censoring
from probnn.tables.model import TabularModel
from probnn.tables.sources import read_table


def _table(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x and y = 20 + 3x + noise, y with 3 decimals, every y from 10 to 99 (so each written
    with a decimal comma, ``21,165``, is also a grouped number)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).round(3)
    return x, np.clip(20 + 3 * x + rng.normal(size=n), 10.5, 98.5).round(3)


def _write(path, x, y_text, sep: str, quote: bool = False):
    q = '"' if quote else ""
    path.write_text(f"x{sep}y\n" + "".join(f"{a}{sep}{q}{b}{q}\n" for a, b in zip(x, y_text)))
    return path


def _commas(y: np.ndarray) -> list[str]:
    return [f"{v:.3f}".replace(".", ",") for v in y]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reading")
    x, y = _table()
    return {
        "semicolon": _write(folder / "semi.csv", x, _commas(y), ";"),
        "comma quoted": _write(folder / "quoted.csv", x, _commas(y), ",", quote=True),
        "comma points": _write(folder / "points.csv", x, [f"{v:.3f}" for v in y], ","),
        "tab": _write(folder / "tab.tsv", x, _commas(y), "\t"),
    }, np.array([float(t.replace(",", ".")) for t in _commas(y)])


@pytest.mark.parametrize("censoring", [None, Censoring(below=12.0)])
def test_a_decimal_comma_target_reads_the_same_numbers_from_every_file(files, censoring, tmp_path):
    paths, written = files
    model = TabularModel.fit(read_table(paths["semicolon"]), "y", family="normal", hidden=(),
                             solver="lbfgs", censoring=censoring)  # fmt: skip
    assert model.target_parser == "decimal"
    model = load_model(save_model(model, tmp_path / "m.probnn"))
    assert model.target_parser == "decimal"
    for name, path in paths.items():
        y = model.encode_target(read_table(path))
        lower = y[:, 0] if censoring is not None else y
        expected = np.where(written <= 12.0, -np.inf, written) if censoring else written
        np.testing.assert_array_equal(lower, expected, err_msg=name)


def test_evaluate_scores_a_quoted_comma_file_as_the_semicolon_file(files, tmp_path, capsys,
                                                                   monkeypatch):  # fmt: skip
    paths, _ = files
    monkeypatch.chdir(tmp_path)
    # trained on other rows: evaluate would know the same rows by their values and score only
    # the fit's held-out ones (tables.copies), which is not what this test compares
    x, y = _table(seed=7)
    training = _write(tmp_path / "other.csv", x, _commas(y), ";")
    code, _, err = run(capsys, "fit", training, "--target", "y", "--family", "normal",
                       "--hidden", "none", "--out", "m.probnn", "--quiet")  # fmt: skip
    assert code == 0, err
    nll = {}
    for name in ("comma quoted", "comma points"):
        code, out, err = run(capsys, "evaluate", "m.probnn", paths[name])
        assert code == 0 and err == "", err
        nll[name] = printed_metric(out, "NLL (nats per example)")
    assert nll["comma quoted"] == nll["comma points"]


def test_a_thousands_target_refuses_a_semicolon_file_of_decimal_commas(tmp_path):
    x, y = _table(40, 1)
    big = np.round(y * 100, 1)  # 1,050.0 to 9,850.0: thousands separators in a ',' file
    grouped = [f"{v:,.1f}" for v in big]
    model = TabularModel.fit(read_table(_write(tmp_path / "t.csv", x, grouped, ",", quote=True)),
                             "y", family="normal", hidden=(), solver="lbfgs")  # fmt: skip
    assert model.target_parser == "thousands"
    np.testing.assert_array_equal(model.encode_target(read_table(tmp_path / "t.csv")), big)
    semi = _write(tmp_path / "s.csv", x, [f"{v:.1f}".replace(".", ",") for v in big], ";")
    with pytest.raises(DataError, match=r"^expected column 'y' written as the model was trained "
                                        r"on it, with thousands separators; found '\d+,\d' at "
                                        r"data rows 1, 2, .*';'-separated file"):  # fmt: skip
        model.encode_target(read_table(semi))


def test_a_model_without_the_record_reads_each_file_by_its_separator(files, tmp_path):
    """A model file from before the record (no ``target_parser``): each file's own
    convention, as then; nor does a plain-number target write one."""
    paths, written = files
    model = TabularModel.fit(read_table(paths["semicolon"]), "y", family="normal", hidden=(),
                             solver="lbfgs")  # fmt: skip
    model.target_parser = None
    model = load_model(save_model(model, tmp_path / "old.probnn"))
    assert model.target_parser is None
    np.testing.assert_array_equal(model.encode_target(read_table(paths["semicolon"])), written)
    np.testing.assert_allclose(model.encode_target(read_table(paths["comma quoted"])),
                               written * 1000, rtol=1e-12)  # fmt: skip
    plain = TabularModel.fit(read_table(paths["comma points"]), "y", family="normal", hidden=(),
                             solver="lbfgs")  # fmt: skip
    assert plain.target_parser is None and "target_parser" not in plain._export_state()[1]


def test_a_model_file_with_an_unknown_target_reading_is_refused(files, tmp_path):
    paths, _ = files
    model = TabularModel.fit(read_table(paths["semicolon"]), "y", family="normal", hidden=(),
                             solver="lbfgs")  # fmt: skip
    arrays, meta = model._export_state()
    with pytest.raises(ValueError, match="expected target_parser 'thousands', 'decimal' or "
                                         "'percent'; found 'comma'"):  # fmt: skip
        TabularModel._from_state(arrays, {**meta, "target_parser": "comma"})
