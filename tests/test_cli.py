"""The ``probnn`` command end to end.

Bad inputs run in-process through ``probnn.cli.main`` (fast) and a few through
the installed command in a subprocess (to see the real stderr: one line, no
traceback). The fit -> predict -> evaluate round trips run the real command.
"""

from __future__ import annotations

import importlib.util
import io
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
import pandas as pd
import pytest

from _intervals import count_interval
from probnn.cli import main, split_rows

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
needs_network = pytest.mark.skipif(
    importlib.util.find_spec("probnn.network") is None,
    reason="probnn.network (the training engine) is not in this checkout yet",
)


def probnn(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run the command as a user would, in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "probnn", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )  # fmt: skip


def run_inprocess(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def counts_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 150
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "x": x,
            "shop": rng.choice(["north", "south"], n),
            "visits": rng.poisson(np.exp(0.8 * x + 1.0)),
        }
    )
    path = tmp_path / "counts.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def classes_csv(tmp_path):
    rng = np.random.default_rng(1)
    n = 150
    x = rng.normal(size=(n, 2))
    label = np.array(["cat", "dog", "eel"])[np.argmax(np.c_[x, -x.sum(1)] + rng.normal(size=(n, 3)), 1)]
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "pet": label})
    path = tmp_path / "pets.csv"
    frame.to_csv(path, index=False)
    return path


# --------------------------------------------------------------- bad inputs
def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


BAD_DATA = {
    "missing file": (lambda t: ["fit", t / "absent.csv", "--target", "y"], "found nothing"),
    "ragged csv": (lambda t: ["fit", _write(t, "r.csv", "x,y\n1,2\n3,4,5\n"), "--target", "y"],
                   "readable CSV"),
    "empty file": (lambda t: ["fit", _write(t, "e.csv", ""), "--target", "y"], "empty"),
    "header only": (lambda t: ["fit", _write(t, "h.csv", "x,y\n"), "--target", "y"], "header"),
    "unknown target": (lambda t: ["fit", _write(t, "u.csv", "x,y\n1,2\n"), "--target", "z"],
                       "target column 'z'"),
    "text in numeric column": (
        lambda t: ["fit", _write(t, "n.csv", "x,y\n1,0\n2,1\nabc,0\n4,1\n5,0\n6,1\n"), "--target", "y"],
        r"numbers in column 'x'.*abc at data row 3"),
    "target outside support": (
        lambda t: ["fit", _write(t, "p.csv", "x,y\n1,3\n2,-1\n3,4\n4,5\n5,6\n6,7\n"), "--target", "y",
                   "--family", "poisson"],
        r"'y'.*-1 at data row 2"),
    "missing values": (
        lambda t: ["fit", _write(t, "m.csv", "x,y\n1,0\n,1\n3,0\n,1\n5,0\n6,1\n"), "--target", "y"],
        r"'x' \(2\).*--impute"),
    "infinite value": (
        lambda t: ["fit", _write(t, "i.csv", "x,y\n1,0\ninf,1\n3,0\n4,1\n5,0\n6,1\n"), "--target", "y"],
        r"finite.*'x'.*data row 2"),
    "too few rows": (lambda t: ["fit", _write(t, "f.csv", "x,y\n1,0\n2,1\n"), "--target", "y"],
                     "at least 5"),
    "not a model file": (
        lambda t: ["predict", _write(t, "model.safetensors", "x,y\n1,2\n"), _write(t, "d.csv", "x\n1\n")],
        "model file"),
    "model is a folder": (lambda t: ["evaluate", t, _write(t, "d.csv", "x\n1\n")], "folder"),
    "unknown drop column": (
        lambda t: ["fit", _write(t, "d.csv", "x,y\n1,2\n"), "--target", "y", "--drop", "nope"],
        "'nope'"),
}  # fmt: skip

BAD_USAGE = {
    "unknown option": ["fit", "d.csv", "--target", "y", "--colour", "red"],
    "missing target": ["fit", "d.csv"],
    "bad hidden sizes": ["fit", "d.csv", "--target", "y", "--hidden", "64,x"],
    "bad family": ["fit", "d.csv", "--target", "y", "--family", "no-such-family"],
    "bad coverage": ["predict", "m", "d.csv", "--coverage", "1.5"],
    "unknown command": ["train", "d.csv"],
    "derive unknown family": ["derive", "no-such-family"],
    "compare unknown family": ["compare", "d.csv", "--target", "y", "--families", "normal,no-such-family"],
    "drop the target": ["fit", "d.csv", "--target", "y", "--drop", "y"],
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_data_exits_1_with_one_line(tmp_path, capsys, case):
    make_args, pattern = BAD_DATA[case]
    code, out, err = run_inprocess(capsys, *make_args(tmp_path))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("probnn: error: ")
    assert re.search(pattern, lines[0]), lines[0]


@pytest.mark.parametrize("case", list(BAD_USAGE))
def test_bad_usage_exits_2_with_one_line(tmp_path, capsys, case):
    _write(tmp_path, "d.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n")
    args = [tmp_path / a if a == "d.csv" else a for a in BAD_USAGE[case]]
    code, out, err = run_inprocess(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("probnn: error: ")


def test_real_process_prints_one_line_no_traceback(tmp_path):
    bad = _write(tmp_path, "n.csv", "x,y\n1,0\n2,1\nabc,0\n4,1\n5,0\n6,1\n")
    for args, code in [(["fit", bad, "--target", "y"], 1), (["fit", bad, "--hidden", "0,0"], 2),
                       (["evaluate", bad, bad], 1)]:  # fmt: skip
        result = probnn(*args)
        assert result.returncode == code, result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("probnn: error: ")


# ------------------------------------------------------------ help, derive
def test_help_and_derive(capsys):
    assert main(["--help"]) == 0
    assert "compare" in capsys.readouterr().out
    from probnn.families import get_family

    code, out, _ = run_inprocess(capsys, "derive", "bernoulli")
    assert code == 0 and get_family("bernoulli").derivation() in out
    code, out, _ = run_inprocess(capsys, "derive", "normal", "--latex")
    assert code == 0 and get_family("normal").derivation(latex=True) in out


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from probnn.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "main(['derive', 'poisson'])\n"
        "heavy = [m for m in ('matplotlib', 'sklearn', 'pandas') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "HEAVY ['pandas']" in out or "HEAVY []" in out


def test_the_parser_imports_no_family_and_no_numpy():
    # building the parser (every --help) must not import the registry: that pulls in numpy
    # and scipy, a second of start-up where argparse alone takes a tenth
    code = (
        "import sys; from probnn.cli import main\n"
        "for args in (['--help'], ['fit', '--help'], ['compare', '--help']):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print('LOADED', [m for m in ('numpy', 'scipy', 'probnn.families') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "LOADED []" in out, out


# ---------------------------------------------------------------- round trips
@needs_network
def test_fit_predict_evaluate_counts(tmp_path, counts_csv):
    from scipy import stats

    model = tmp_path / "m.safetensors"
    fit = probnn("fit", counts_csv, "--target", "visits", "--hidden", "16", "--epochs", "30",
                 "--family", "poisson", "--out", model, "--report", tmp_path / "rep", "--quiet")  # fmt: skip
    assert fit.returncode == 0, fit.stderr
    assert model.is_file() and (tmp_path / "rep" / "report.html").is_file()

    pred = probnn("predict", model, counts_csv, "--out", tmp_path / "p.csv", "--coverage", "0.8")
    assert pred.returncode == 0, pred.stderr
    table = pd.read_csv(tmp_path / "p.csv")
    assert list(table.columns) == ["prediction", "rate", "lower", "upper"]
    # the interval is the Poisson's 10% and 90% quantiles (scipy's ppf is the same
    # "smallest y with cdf(y) >= q" definition), with the tail mass one end leaves unspent
    # given to the other end (tests/_intervals.py)
    lower, upper, _ = count_interval(stats.poisson(table["rate"].to_numpy()), 0.8)
    np.testing.assert_array_equal(table["lower"], lower)
    np.testing.assert_array_equal(table["upper"], upper)

    # evaluate's NLL is the mean of -log Poisson(y | rate) over the rows (scipy); on the file
    # the model was fitted on, over the rows its fit held out (issue 20)
    ev = probnn("evaluate", model, counts_csv)
    assert ev.returncode == 0, ev.stderr
    y = pd.read_csv(counts_csv)["visits"]
    held = split_rows(len(y), 0)[1]
    nll = -np.mean(stats.poisson.logpmf(y[held], table["rate"][held]))
    nats = float(next(l for l in ev.stdout.splitlines() if "nats" in l).split()[-1])
    bits = float(next(l for l in ev.stdout.splitlines() if "bits" in l).split()[-1])
    assert nats == pytest.approx(nll, abs=1e-4)
    assert bits == pytest.approx(nll / math.log(2), abs=1e-4)
    # the coverage line says the model's own mass of its 90% intervals beside the coverage:
    # a count law's interval holds its ends' whole masses, F(hi) - F(lo - 1) (scipy)
    line = next(l for l in ev.stdout.splitlines() if "coverage of the 90% interval" in l)
    rate, seen = table["rate"][held].to_numpy(), y[held].to_numpy()
    lo, hi, mass = count_interval(stats.poisson(rate), 0.9)
    mass = np.mean(mass)
    said = re.search(r"interval +([\d.]+) \(the model's own mass of those intervals: ([\d.]+)\)$",
                     line)  # fmt: skip
    assert said, line
    assert float(said.group(1)) == pytest.approx(np.mean((lo <= seen) & (seen <= hi)), abs=1e-4)
    assert float(said.group(2)) == pytest.approx(mass, abs=1e-4)

    # a second predict from the same file gives the very same numbers
    again = probnn("predict", model, counts_csv, "--coverage", "0.8")
    # (the CSV holds 17 significant digits, so the numbers read back bit for bit)
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(again.stdout)), table, check_exact=True)


@needs_network
def test_fit_auto_categorical_from_parquet(tmp_path, classes_csv, capsys):
    from sklearn.metrics import log_loss

    parquet = tmp_path / "pets.parquet"
    frame = pd.read_csv(classes_csv)
    frame.to_parquet(parquet)
    model = tmp_path / "pets.safetensors"
    code, out, err = run_inprocess(capsys, "fit", parquet, "--target", "pet", "--hidden", "8",
                                   "--epochs", "20", "--out", model, "--report", tmp_path / "r")
    assert code == 0, err
    # (a target of text labels: selection among the class families, said with the kind)
    assert "chose categorical" in out and "3 distinct text labels" in out
    code, out, err = run_inprocess(capsys, "predict", model, parquet)
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    proba = table[["p(cat)", "p(dog)", "p(eel)"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    proba /= proba.sum(axis=1, keepdims=True)  # float32 rounding; log_loss wants exact sums
    code, out, err = run_inprocess(capsys, "evaluate", model, parquet)
    assert code == 0, err
    # the file the model was fitted on: scored on the rows its fit held out (issue 20)
    held = split_rows(len(frame), 0)[1]
    nats = float(next(l for l in out.splitlines() if "nats" in l).split()[-1])
    assert nats == pytest.approx(log_loss(frame["pet"].iloc[held], proba[held],
                                          labels=["cat", "dog", "eel"]), abs=1e-4)  # fmt: skip
    accuracy = float(next(l for l in out.splitlines() if "accuracy" in l).split()[-1])
    assert accuracy == pytest.approx(np.mean(table["prediction"].iloc[held] == frame["pet"].iloc[held]),
                                     abs=1e-4)  # fmt: skip


@needs_network
def test_compare_ranks_and_skips(tmp_path, capsys):
    rng = np.random.default_rng(4)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"x": x, "y": 1.5 * x + rng.standard_t(3, size=120)})
    path = tmp_path / "r.csv"
    frame.to_csv(path, index=False)
    code, out, err = run_inprocess(capsys, "compare", path, "--target", "y", "--families",
                                   "normal,laplace,poisson", "--hidden", "8", "--epochs", "10",
                                   "--quiet", "--report", tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "cmp" / "report.html").is_file()
    rows = [l.split() for l in out.splitlines() if l.strip()[:1].isdigit()]
    assert sorted(r[1] for r in rows) == ["laplace", "normal"]
    nats = [float(r[2]) for r in rows]
    assert nats == sorted(nats) and float(rows[0][4]) == 0.0
    assert float(rows[1][4]) == pytest.approx(nats[1] - nats[0], abs=2e-4)
    assert float(rows[0][3]) == pytest.approx(nats[0] / math.log(2), abs=2e-4)
    assert "skipped poisson" in out


def test_compare_keeps_its_columns_apart_at_any_size(tmp_path, capsys):
    # three huge outliers: a normal family's held-out NLL is about 1e7 nats, whose four
    # decimals ran into the next columns ("12058502.4746 17396741.720712058500.3030...")
    rng = np.random.default_rng(3)
    x = rng.normal(size=300)
    y = x + rng.normal(size=300)
    y[:3] = [1e6, -1e6, 5e5]
    path = tmp_path / "o.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    code, out, err = run_inprocess(capsys, "compare", path, "--target", "y", "--families",
                                   "normal,studentt", "--hidden", "none", "--solver", "lbfgs",
                                   "--quiet", "--report", tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    rows = [l.split() for l in out.splitlines() if l.strip()[:1].isdigit()]
    assert [len(r) for r in rows] == [8, 8] and rows[1][1] == "normal"
    nats, bits, minus = (float(rows[1][i]) for i in (2, 3, 4))
    assert bits == pytest.approx(nats / math.log(2), rel=1e-4)
    assert minus == pytest.approx(nats - float(rows[0][2]), rel=1e-4)
    float(rows[1][5]), float(rows[1][6]), float(rows[1][7])  # SE, CRPS, CRPS SE: numbers


@given(st.floats(min_value=-1e300, max_value=1e300), st.sampled_from([9, 12, 14]))
@settings(max_examples=200, deadline=None)
def test_a_compare_cell_is_a_number_with_a_space_before_it(value, width):
    from probnn.cli.compare import _cell

    text = _cell(value, width)
    assert len(text) == width and text[0] == " "
    # at least 2 significant digits (9 characters hold "-1.2e+300" only as "-1e+300")
    rel = 0.06 if width > 9 or abs(value) < 1e99 else 0.5
    assert float(text) == pytest.approx(value, rel=rel, abs=5e-5)


@pytest.mark.skipif(not (DATA / "bike-sharing" / "hour.csv").exists(),
                    reason="../shared/data/bike-sharing/hour.csv is not available")  # fmt: skip
@needs_network
def test_bike_sharing_fit_with_poisson(tmp_path):
    table = pd.read_csv(DATA / "bike-sharing" / "hour.csv").sample(2000, random_state=0)
    path = tmp_path / "hour.csv"
    table.to_csv(path, index=False)
    result = probnn("fit", path, "--target", "cnt", "--drop", "instant,dteday,casual,registered",
                    "--epochs", "3", "--hidden", "16", "--out", tmp_path / "bike.safetensors",
                    "--report", tmp_path / "rep", "--family", "poisson")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "family poisson" in result.stdout
    assert (tmp_path / "bike.safetensors").is_file()


@needs_network
def test_demo_writes_no_progress_frames_into_a_redirected_log(tmp_path, capsys):
    code, out, err = run_inprocess(capsys, "demo", "--out", tmp_path / "demo")
    assert code == 0, err
    assert "\r" not in err and "epochs:" not in err


def test_demo_prints_metrics_and_writes_report(tmp_path, capsys):
    code, out, err = run_inprocess(capsys, "demo", "--out", tmp_path / "demo", "--quiet")
    assert code == 0, err
    for word in ("nats", "bits", "accuracy", "Brier", "ECE"):
        assert word in out
    assert (tmp_path / "demo" / "report.html").is_file()
    assert str(tmp_path / "demo") in out


def test_the_coverage_line_adds_the_models_own_mass_only_where_it_is_not_the_nominal(capsys):
    from probnn.cli._common import _print_metrics

    _print_metrics({"nll_nats": 1.5, "coverage": 0.88, "coverage_expected": 0.9}, 0.9)
    continuous = capsys.readouterr().out.splitlines()
    assert continuous[1].split() == ["coverage", "of", "the", "90%", "interval", "0.8800"]
    assert len(continuous) == 2  # no line of its own
    _print_metrics({"coverage": 0.96, "coverage_expected": 0.9512, "pit_ks": 0.01}, 0.9)
    counts = capsys.readouterr().out.splitlines()
    assert counts[0].endswith("0.9600 (the model's own mass of those intervals: 0.9512)")
    assert len(counts) == 2
