"""No work or file lost, whatever happens around a run (issue 20, part 2, and the file errors
of part 5): a report goes only into a new, empty or previous report folder; a failure after
training keeps the model; SIGTERM cleans up as Ctrl-C does; a full disk is one line."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn.cli import main

REPO = Path(__file__).resolve().parents[1]
FAST = ("--hidden", "4", "--epochs", "3", "--quiet")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    lines = [l for l in err.strip().splitlines() if not l.startswith("probnn: warning: ")]
    assert len(lines) == 1, err
    assert lines[0].startswith("probnn: error: "), err
    assert "internal error" not in lines[0] and "Traceback" not in err, err
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Temporary files and folders of probnn._io / the staged report, anywhere below."""
    return [str(p) for p in folder.rglob(".*.tmp")]


# ------------------------------------------------------------- report folders
@pytest.mark.parametrize("command", ["fit", "evaluate", "compare", "demo"])
def test_report_into_a_folder_of_the_users_files_is_refused_before_training(
        tmp_path, real_csv, capsys, no_training, monkeypatch, command):  # fmt: skip
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.html").write_text("my own report")
    (mine / "coverage.png").write_bytes(b"my own figure")
    model = tmp_path / "m.safetensors"
    args = {"fit": ["fit", real_csv, "--target", "y", "--family", "normal",
        *FAST, "--out", model, "--report", mine],
            "evaluate": ["evaluate", model, real_csv, "--report", mine],
            "compare": ["compare", real_csv, "--target", "y", *FAST, "--report", mine],
            "demo": ["demo", "--quiet", "--out", mine]}[command]  # fmt: skip
    if command == "demo":  # the demo trains an MLPClassifier, not a TabularModel
        import probnn.estimators

        def refuse(*a, **k):
            raise AssertionError("the demo trained before checking --out")

        monkeypatch.setattr(probnn.estimators.MLPClassifier, "fit", refuse)
    code, _, err = run(capsys, *args)
    line = error_line(err)
    assert code == 2, err
    assert "report.html" in line and "not a probnn report" in line and "new or empty" in line
    assert (mine / "report.html").read_text() == "my own report"
    assert (mine / "coverage.png").read_bytes() == b"my own figure"


def test_report_goes_into_new_empty_or_previous_report_folders(tmp_path, real_csv, capsys):
    from probnn.report import REPORT_MARKER

    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "new", empty, tmp_path / "new"):  # the last: a previous report
        code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal", *FAST,
                           "--out", tmp_path / "m.safetensors", "--report", folder)  # fmt: skip
        assert code == 0, err
        assert (folder / "report.html").is_file() and (folder / REPORT_MARKER).is_file()


def test_write_report_refuses_a_folder_of_the_users_files(tmp_path):
    from probnn.distributions import Bernoulli
    from probnn.report import write_report

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="notes.txt"):
        write_report(tmp_path, title="t", task="classification", y_true=np.array([0, 1]),
                     dist=Bernoulli(probs=np.array([0.3, 0.6])))  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# ------------------------------------------- a failure after training keeps the model
def test_dollar_class_labels_fit_and_report(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    labels = np.where(x > 0.4, "$50k_$100k", np.where(x > -0.4, "$0_$50k", "none"))
    data = tmp_path / "income.csv"
    pd.DataFrame({"x": x, "z": rng.normal(size=120), "income": labels}).to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "income", *FAST,
                       "--out", tmp_path / "m.safetensors", "--report", tmp_path / "rep")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "rep" / "report.html").is_file()
    from probnn.model_file import load_model

    assert sorted(load_model(tmp_path / "m.safetensors").classes) == ["$0_$50k", "$50k_$100k", "none"]


def test_scoring_that_fails_after_training_keeps_the_model(tmp_path, real_csv, capsys,
                                                          monkeypatch):  # fmt: skip
    from probnn.model_file import load_model
    from probnn.tables.model import TabularModel

    def broken(self, *args, **kwargs):
        raise FloatingPointError("scoring broke")

    monkeypatch.setattr(TabularModel, "evaluate", broken)
    model = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       *FAST, "--out", model)
    line = error_line(err)
    assert code == 1 and f"the model is saved in {model}" in line and "scoring broke" in line
    assert load_model(model).target == "y"


# ---------------------------------------------------------------- a full disk
def test_full_disk_while_saving_the_model_is_one_line_and_leaves_nothing(tmp_path, real_csv,
                                                                         capsys, monkeypatch):  # fmt: skip
    import probnn.model_file

    def full(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"half a model")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write(2) reports it

    monkeypatch.setattr(probnn.model_file, "save_file", full)
    model = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       *FAST, "--out", model,
                       "--report", tmp_path / "rep")  # fmt: skip
    line = error_line(err)
    assert code == 1
    assert "No space left on device" in line and str(model) in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_full_disk_reported_by_safetensors_is_one_line(tmp_path, fitted_estimator, monkeypatch):
    import probnn.model_file
    from safetensors import SafetensorError

    def full(tensors, filename, metadata=None):
        raise SafetensorError('Error while serializing: IoError(Os { code: 28, kind: '
                              'StorageFull, message: "No space left on device" })')

    monkeypatch.setattr(probnn.model_file, "save_file", full)
    with pytest.raises(OSError) as caught:
        probnn.model_file.save_model(fitted_estimator, tmp_path / "m.safetensors")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_while_writing_predictions(tmp_path, real_csv, capsys, monkeypatch):
    model = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       *FAST, "--out", model)
    assert code == 0, err
    import probnn._io

    real_open = open

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(probnn._io, "open", lambda f, mode="r", *a, **k: Full(real_open(f, mode))
                        if "w" in mode else real_open(f, mode, *a, **k), raising=False)  # fmt: skip
    out = tmp_path / "p.csv"
    code, _, err = run(capsys, "predict", model, real_csv, "--out", out)
    line = error_line(err)
    assert code == 1 and "No space left on device" in line and str(out) in line
    assert not out.exists() and leftovers(tmp_path) == []


@pytest.fixture
def fitted_estimator():
    from probnn.estimators import GaussianGenerativeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    return GaussianGenerativeClassifier().fit(X, (X[:, 0] > 0).astype(int))


# ------------------------------------------------------------------- SIGTERM
_SLOW = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {repo!r})
    import {module} as target
    def slow(*args, **kwargs):
        print("writing", flush=True)
        time.sleep(60)
    setattr(target, {name!r}, slow)
    from probnn.cli import main
    sys.exit(main({argv!r}))
""")


def _terminate_while_writing(tmp_path, module: str, name: str, argv: list[str]):
    """Run ``probnn argv`` with ``module.name`` replaced by a slow write; SIGTERM it there."""
    script = _SLOW.format(repo=str(REPO), module=module, name=name, argv=[str(a) for a in argv])
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for line in proc.stdout:
            if line.strip() == "writing":
                break
        else:
            pytest.fail(f"never reached the write: {proc.stderr.read()}")
        proc.send_signal(signal.SIGTERM)
        # past one more patched 60 s write: once in a CI run (a fresh clone) the process outlived
        # a 60 s wait, as if a second write reached the patched function on the way out; the
        # assertions (exit code, message, no temporary left) are what this test checks
        _, err = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


def test_sigterm_during_a_file_write_removes_the_temporary(tmp_path):
    out = tmp_path / "figs"
    out.mkdir()
    code, err = _terminate_while_writing(tmp_path, "os", "fsync", ["figures", "--out", out])
    assert code == 128 + signal.SIGTERM, err
    assert "terminated" in error_line(err)
    assert leftovers(tmp_path) == [] and list(out.iterdir()) == []


def test_sigterm_while_drawing_the_report_removes_its_temporary_folder(tmp_path, real_csv):
    model, report = tmp_path / "m.safetensors", tmp_path / "rep"
    code, err = _terminate_while_writing(
        tmp_path, "probnn.report.plots", "figure_to_png",
        ["fit", real_csv, "--target", "y", "--family", "normal",
            *FAST, "--out", model, "--report", report])  # fmt: skip
    assert code == 128 + signal.SIGTERM, err
    assert "terminated" in error_line(err)
    assert leftovers(tmp_path) == [] and not report.exists()
    assert model.is_file()  # trained and saved before the report began


# --------------------------------------------------- model files: whatever they say
@pytest.fixture(scope="module")
def tabular_model_file(tmp_path_factory):
    """A fitted TabularModel file (numbers, a category, a date column) and its data."""
    import warnings

    from probnn.model_file import save_model
    from probnn.tables.model import TabularModel

    rng = np.random.default_rng(5)
    n = 60
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "c": rng.choice(["a", "b"], size=n),
                          "d": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
                          "y": 2 * x + rng.normal(size=n)})  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(frame, "y", hidden=(3,), epochs=2)
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save_model(model, path)
    return path, frame


def _rewrite(path: Path, out: Path, model_json: str) -> Path:
    """``path`` with its model description replaced (and the checksum made to match, as
    anyone editing a file can)."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    import probnn.model_file as mf

    arrays = load_file(path)
    with safe_open(str(path), framework="numpy") as fh:
        meta = dict(fh.metadata())
    meta["model"] = model_json
    meta["sha256"] = mf._checksum(model_json, arrays)
    save_file(arrays, str(out), metadata=meta)
    return out


def _description(path: Path) -> dict:
    import json

    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as fh:
        return json.loads(fh.metadata()["model"])


@pytest.mark.parametrize("sizes", [[3, 8000, 8000, 1], [3, 100_000, 100_000, 2], [3, 10**12, 2]])
def test_declared_layer_sizes_are_checked_against_the_tensors_before_allocating(
        tabular_model_file, tmp_path, sizes):  # fmt: skip
    import json
    import tracemalloc

    from probnn.exceptions import DataError
    from probnn.model_file import load_model

    path, _ = tabular_model_file
    meta = _description(path)
    meta["estimator"]["layer_sizes"] = sizes
    bad = _rewrite(path, tmp_path / "big.safetensors", json.dumps(meta))
    assert bad.stat().st_size < 20_000
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="parameters; a network of layer sizes"):
            load_model(bad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, peak  # nothing of the declared size (>= 256 MB) was allocated


@pytest.mark.parametrize("depth", [2_000, 100_000])
@pytest.mark.parametrize("where", ["model", "header"])
def test_json_nested_deep_is_a_clear_error(tabular_model_file, tmp_path, capsys, depth, where):
    import json
    import struct

    path, frame = tabular_model_file
    deep = "[" * depth + "]" * depth
    if where == "model":
        bad = _rewrite(path, tmp_path / "deep.safetensors", '{"kind": "tabular", "x": ' + deep + "}")
    else:
        header = ('{"__metadata__": {"format": "probnn-model", "x": ' + deep + "}}").encode()
        bad = tmp_path / "deep.safetensors"
        bad.write_bytes(struct.pack("<Q", len(header)) + header)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "predict", bad, data)
    line = error_line(err)
    assert code == 1 and str(bad) in line, line
    json.loads("[]")  # (the json module still works after the refusal)


@pytest.mark.parametrize("model_json, expected", [
    ("{", "to be JSON"),
    ("[1, 2]", "to be a JSON object"),
    ('{"kind": "tabular"}', "KeyError"),
    ('{"kind": "spaceship"}', "model kind"),
])  # fmt: skip
def test_model_description_that_does_not_parse(tabular_model_file, tmp_path, capsys,
                                                model_json, expected):  # fmt: skip
    path, frame = tabular_model_file
    bad = _rewrite(path, tmp_path / "bad.safetensors", model_json)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "predict", bad, data)
    line = error_line(err)
    assert code == 1 and expected in line and str(bad) in line, line


def test_unknown_column_parser_in_the_model_file(tabular_model_file, tmp_path, capsys):
    import json

    path, frame = tabular_model_file
    meta = _description(path)
    assert meta["preprocessing"]["parsers"], meta["preprocessing"]  # the date column's
    meta["preprocessing"]["parsers"] = [[meta["preprocessing"]["parsers"][0][0], "date:%Q"]]
    bad = _rewrite(path, tmp_path / "bad.safetensors", json.dumps(meta))
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "predict", bad, data)
    line = error_line(err)
    assert code == 1 and "'date:%Q'" in line and str(bad) in line, line


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


_WRONG = st.sampled_from(["x", "", 7, -1, 0, 0.5, 1e308, 10**30, None, True, [], [1], {},
                          {"a": 1}, [[1, 2]], [["x", "y"]]])  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_any_value_of_the_wrong_type_in_the_model_file_is_one_line(tabular_model_file, tmp_path,
                                                                   data):  # fmt: skip
    """Replace any value of the model description by one of another type: loading and
    predicting either work or raise ValueError (DataError at load: one line, exit 1),
    never another exception (the command line's 'internal error')."""
    import copy
    import json
    import warnings

    from probnn.exceptions import DataError
    from probnn.model_file import load_model

    path, frame = tabular_model_file
    meta = _description(path)
    where = data.draw(st.sampled_from(list(_paths(meta))[1:]), label="where")
    value = data.draw(_WRONG, label="value")
    edited = copy.deepcopy(meta)
    node = edited
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    bad = _rewrite(path, tmp_path / "fuzz.safetensors", json.dumps(edited))
    try:
        model = load_model(bad)
    except DataError as exc:
        assert str(bad) in str(exc)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.predict_table(frame.drop(columns=["y"]))
        except ValueError:
            pass


# ------------------------------------------------- networks that do not fit in memory
def test_hidden_layer_too_large_for_memory_is_refused_by_the_command(tmp_path, real_csv, capsys):
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       "--hidden", "100000000",
                       "--quiet", "--out", tmp_path / "m.safetensors")  # fmt: skip
    line = error_line(err)
    assert code == 2, err
    assert "--hidden" in line and "GiB" in line and "[1, 100000000, 2]" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_network_too_large_is_refused_before_allocating(monkeypatch):
    import tracemalloc

    import probnn.network.mlp as mlp
    from probnn.estimators import MLPClassifier
    from probnn.exceptions import NetworkTooLargeError
    from probnn.network import MLP

    with pytest.raises(NetworkTooLargeError, match=r"\[2, 1000000, 1000000, 1\].*GiB"):
        MLP([2, 10**6, 10**6, 1])  # 8 TB of weights and gradient
    # training needs more than the weights: Adam's moments, the average, a batch's
    # activations. 200 rows x 5 buffers x 300 units x 4 bytes = 1.2 MB > a 1 MiB budget
    monkeypatch.setattr(mlp, "memory_budget", lambda: 2**20)
    X = np.random.default_rng(0).normal(size=(400, 2))
    y = (X[:, 0] > 0).astype(int)
    tracemalloc.start()
    try:
        with pytest.raises(NetworkTooLargeError, match="for training"):
            MLPClassifier(hidden_layer_sizes=(300,), max_iter=2).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    MLPClassifier(hidden_layer_sizes=(30,), max_iter=2).fit(X, y)  # 0.12 MB: fits


def test_memory_budget_is_the_machines_memory_or_less():
    from probnn.network.mlp import memory_budget

    budget = memory_budget()
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert budget is not None and 0 < budget <= physical


# ------------------------------------------------------------ files that are not tables
def test_gzipped_csv_is_read_as_the_csv(tmp_path, real_csv, capsys):
    import gzip

    from probnn.tables.sources import TableSource
    from probnn.tables.sources import read_table

    packed = tmp_path / "data.csv.gz"
    packed.write_bytes(gzip.compress(real_csv.read_bytes()))
    plain = pd.read_csv(real_csv)
    pd.testing.assert_frame_equal(read_table(packed), plain)
    pd.testing.assert_frame_equal(TableSource(packed, batch_rows=7).read_all(), plain)
    code, _, err = run(capsys, "fit", packed, "--target", "y", *FAST, "--out",
                       tmp_path / "m.safetensors", "--stream", "yes")  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize("content, what", [
    (lambda text: __import__("bz2").compress(text), "bzip2-compressed"),
    (lambda text: __import__("lzma").compress(text), "xz-compressed"),
    (lambda text: b"PK\x03\x04" + text, "zip archive"),
    (lambda text: b"PAR1" + text, "Parquet file"),
    (lambda text: text[:20] + b"\x00\x01\x02" + text[20:], "NUL byte at byte 21"),
    (lambda text: __import__("gzip").compress(b"\x00\xff" * 50), "NUL byte at byte 1"),
])  # fmt: skip
@pytest.mark.parametrize("stream", ["no", "yes"])
def test_binary_or_compressed_data_is_one_line_naming_the_file(tmp_path, real_csv, capsys,
                                                               no_training, content, what,
                                                               stream):  # fmt: skip
    bad = tmp_path / "data2.csv"
    bad.write_bytes(content(real_csv.read_bytes()))
    code, _, err = run(capsys, "fit", bad, "--target", "y", *FAST, "--stream", stream,
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    line = error_line(err)
    assert code == 1 and what in line and str(bad) in line, line


def _long_line_file(path: Path, line_bytes: int, at: int = 5) -> Path:
    rows = [f"{i},{2 * i}" for i in range(10)]
    rows[at - 2] = "1," + "9" * line_bytes  # file line `at` (line 1 is the header)
    path.write_text("x,y\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("stream", [True, False])
def test_a_line_longer_than_its_bound_is_refused_without_reading_it_whole(tmp_path, monkeypatch,
                                                                          stream):  # fmt: skip
    import tracemalloc

    import probnn.tables.sources
    from probnn.exceptions import DataError
    from probnn.tables.sources import TableSource
    from probnn.tables.sources import read_table

    monkeypatch.setattr(probnn.tables.sources, "MAX_FIELD_BYTES", 1024)  # 2 columns: 2 KiB a line
    data = _long_line_file(tmp_path / "long.csv", 20 * 2**20)
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as caught:
            if stream:
                TableSource(data, batch_rows=4).read_all()
            else:
                read_table(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert "line 5 of" in message and str(data) in message and "2,048 bytes" in message, message
    assert peak < 4 * 2**20, peak  # not the 20 MiB line
    # a line at the bound is read
    assert len(read_table(_long_line_file(tmp_path / "ok.csv", 2048 - 2))) == 10


def test_a_header_line_longer_than_its_bound_is_refused(tmp_path, monkeypatch, capsys):
    import probnn.tables.sources

    monkeypatch.setattr(probnn.tables.sources, "MAX_HEADER_BYTES", 4096)
    data = tmp_path / "wide.csv"
    data.write_text("y," + "a" * 5000 + "\n1,2\n")
    for stream in ("no", "yes"):
        code, _, err = run(capsys, "fit", data, "--target", "y", "--stream", stream)
        line = error_line(err)
        assert code == 1 and "header line of at most 4,096 bytes" in line, line


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(0, 40), min_size=1, max_size=12),
       final_newline=st.booleans(), crlf=st.booleans(),
       limit=st.integers(1, 30), header_limit=st.integers(1, 60))
def test_bounded_lines_name_the_first_line_past_its_bound(tmp_path_factory, lengths,
                                                          final_newline, crlf, limit,
                                                          header_limit):  # fmt: skip
    from probnn._io import LineTooLongError, open_text_table

    end = b"\r\n" if crlf else b"\n"
    lines = [bytes([97 + i % 26]) * n for i, n in enumerate(lengths)]
    data = end.join(lines) + (end if final_newline else b"")
    path = tmp_path_factory.mktemp("lines") / "t.csv"
    path.write_bytes(data)
    # the oracle: the file split at its newlines (a CR counts as a byte of its line)
    counted = [len(l) + (1 if crlf and i < len(lines) - 1 or crlf and final_newline else 0)
               for i, l in enumerate(lines)]  # fmt: skip
    expected = next((i for i, n in enumerate(counted, 1)
                     if n > (header_limit if i == 1 else limit)), None)  # fmt: skip
    try:
        with open_text_table(path, line_limit=limit, header_limit=header_limit) as fh:
            assert fh.read() == data
        found = None
    except LineTooLongError as exc:
        found = exc.line
    assert found == expected
