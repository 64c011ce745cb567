"""The options a statistician tunes, the end-of-training line, and the reports of
``fit``, ``evaluate`` and ``compare`` (issue 12).

Each option is checked where it lands: the fitted estimator's parameters in the model file,
or the keyword arguments the command hands to ``TabularModel.fit``. Numbers come from scipy,
hashlib or numpy on the same rows.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _html import read_report
from probnn.cli import build_parser, main, split_rows

FAST = ("--hidden", "4", "--epochs", "3", "--quiet")



def _hash_held_out(n: int, seed: int, fraction: float) -> int:
    """How many of ``n`` rows the row hash holds out, each row asked on its own."""
    import numpy as np

    from probnn.tables.split import TEST, row_parts

    return sum(int(row_parts(np.array([i], dtype=np.uint64), seed, fraction, 0.0)[0] == TEST)
               for i in range(n))  # fmt: skip

def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fit_calls(monkeypatch):
    """Record the keyword arguments of every TabularModel.fit and the fitted estimator."""
    from probnn.tables.model import TabularModel

    calls = []
    original = TabularModel.fit.__func__

    def spy(cls, *args, **kwargs):
        model = original(cls, *args, **kwargs)
        calls.append((kwargs, model.estimator))
        return model

    monkeypatch.setattr(TabularModel, "fit", classmethod(spy))
    return calls


def _two_columns(parser, key) -> dict[str, str]:
    return {r[0]: r[1] for r in parser.tables[key] if r}


# ---------------------------------------------------------------------------- --help
def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    return sub.choices


@pytest.mark.parametrize("command", ["demo", "fit", "predict", "evaluate", "compare", "derive",
                                     "figures"])  # fmt: skip
def test_every_option_says_what_it_does_and_shows_its_default(command):
    parser = _commands()[command]
    assert parser.description  # the command's --help starts with what it does
    formatter = parser._get_formatter()
    for action in parser._actions:
        if "-h" in action.option_strings:
            continue
        assert action.help and len(action.help.split()) >= 2, action.dest
        default = action.default
        if action.option_strings and not (default is None or default is False or default == []):
            assert "default" in formatter._get_help_string(action), action.dest


def test_fit_help_lists_the_training_options_with_defaults(capsys):
    code = main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0
    # a regression family's defaults are MLPRegressor's; a classifier's the table's own
    for option, default in [("--lr RATE", "0.01 for a regression family, 0.001 for a "
                                          "classifier"),
                            ("--average DECAY", "0.995, as MLPRegressor and MLPClassifier"),
                            ("--batch-size N", "auto"), ("--test-size FRACTION", "0.2"),
                            ("--patience N", "a regressor's is about 1,000 minibatch steps, at "
                                             "least 10 epochs; a classifier's 10"),
                            ("--hidden SIZES", "50,50 for a regression family, as MLPRegressor; "
                                               "64,64 for a classifier"),
                            ("--prior {gaussian,laplace,none}", "gaussian"),
                            ("--alpha A", "0.01 for a regression family, 0.0001 for a classifier"),
                            ("--solver {adam,sgd,lbfgs}", "lbfgs for --hidden none in memory, as "
                                                          "--family auto's GLMs; else adam"),
                            ("--ensemble M", "1"), ("--seed SEED", "0")]:
        assert option in text
        after = text[text.index(option, text.index("options:")):]
        assert f"(default: {default})" in after[:400], option
    assert "--family-param NAME=VALUE" in text


def test_evaluate_help_does_not_call_any_file_held_out(capsys):
    main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "every row is scored" in text and "only if the model never saw those rows" in text


# ----------------------------------------------------------------- options reach the fit
def test_training_options_reach_the_saved_estimator(tmp_path, real_csv, capsys):
    from probnn.model_file import load_model

    model = tmp_path / "m.safetensors"
    code, out, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                         "--hidden", "4", "--epochs",
                         "5", "--lr", "0.01", "--batch-size", "16", "--patience", "3", "--prior",
                         "laplace", "--alpha", "0.5", "--test-size", "0.3", "--seed", "7",
                         "--average", "0.99", "--out", model)  # fmt: skip
    assert code == 0, err
    est = load_model(model).estimator
    assert est.learning_rate_init == 0.01 and est.batch_size == 16 and est.ema_decay_ == 0.99
    assert est.n_iter_no_change == 3 and est.prior == "laplace" and est.alpha == 0.5
    assert est.random_state == 7 and est.max_iter == 5
    # the rows the row hash holds out, asked row by row (issue 21: the in-memory fit holds
    # out by the hash, no longer round(0.3 * 80) = 24 of a permutation)
    n_test = _hash_held_out(80, 7, 0.3)
    assert f"training on {80 - n_test} rows, holding out {n_test} for testing" in out
    # and the report's card says so
    card = read_report(tmp_path / "m-report" / "report.html")
    training = {r[0]: r[1:] for r in card.tables["training"] if r}
    assert training["learning rate"] == ["0.01", "--lr"]
    assert training["minibatch size"] == ["16", "--batch-size"]
    assert training["patience (epochs without improvement)"] == ["3", "--patience"]
    assert training["prior on the weights"] == ["laplace", "--prior"]
    assert training["prior strength alpha"] == ["0.5", "--alpha"]
    assert training["weights averaged over the steps (decay per step)"] == ["0.99", "--average"]
    assert f"{80 - n_test} training rows, {n_test} held out (--test-size 0.3, --seed 7)" in _two_columns(
        card, "data")["rows scored"]


@pytest.mark.parametrize("kind", ["regression", "classifier"])
def test_without_options_a_fit_gets_the_estimators_defaults(tmp_path, real_csv, capsys, kind):
    # a regression family: MLPRegressor's own defaults (sized by the data), the ones the UCI
    # benchmark measures; a classifier: the table's settings (defaults.TABLE_CLASSIFIER)
    from probnn.estimators import MLPRegressor
    from probnn.model_file import load_model

    data = real_csv
    if kind == "classifier":
        frame = pd.read_csv(real_csv)
        frame["y"] = np.where(frame["y"] > frame["y"].median(), "high", "low")
        data = tmp_path / "labels.csv"
        frame.to_csv(data, index=False)
    model = tmp_path / "m.safetensors"
    family = "normal" if kind == "regression" else "bernoulli"  # (no selection: one network)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", family, "--quiet",
                       "--out", model)  # fmt: skip
    assert code == 0, err
    est = load_model(model).estimator
    names = ("hidden_layer_sizes", "learning_rate_init", "alpha", "max_iter",
             "n_iter_no_change", "batch_size")  # fmt: skip
    expected = (MLPRegressor().get_params() if kind == "regression" else
                dict(hidden_layer_sizes=(64, 64), learning_rate_init=1e-3, alpha=1e-4,
                     max_iter=200, n_iter_no_change=10, batch_size="auto"))  # fmt: skip
    assert {k: est.get_params()[k] for k in names} == {k: expected[k] for k in names}
    # the report says what "auto" came to, read back from the model file
    card = read_report(tmp_path / "m-report" / "report.html")
    training = {r[0]: r[1:] for r in card.tables["training"] if r}
    if kind == "regression":
        assert training["epoch budget"] == [f"auto: {est.max_iter_}", "--epochs"]
        assert training["minibatch size"] == [f"auto: {est.batch_size_}", "--batch-size"]
        assert est.max_iter_ >= 1 and 1 <= est.batch_size_ <= 64  # 64 training rows
        what = "predicted scales widened by a factor fitted on the validation rows"
        assert training[what] == [f"auto: factor {est.scale_factor_:.4g}", ""]
    averaged = training["weights averaged over the steps (decay per step)"]
    assert averaged == ["auto: 0.995", "--average"]


def test_average_none_keeps_the_last_steps_weights(tmp_path, real_csv, capsys):
    from probnn.model_file import load_model

    model = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       *FAST, "--average", "none",
                       "--out", model)  # fmt: skip
    assert code == 0, err
    est = load_model(model).estimator
    assert est.ema_decay is None and est.ema_decay_ is None


def test_prior_none_is_plain_maximum_likelihood(tmp_path, real_csv, capsys):
    from probnn.model_file import load_model

    model = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       *FAST, "--prior", "none",
                       "--out", model)  # fmt: skip
    assert code == 0, err
    assert load_model(model).estimator.prior is None


@pytest.mark.parametrize("args", [["--lr", "0"], ["--lr", "abc"], ["--batch-size", "0"],
                                  ["--batch-size", "some"], ["--test-size", "1"],
                                  ["--test-size", "0"], ["--alpha", "-1"], ["--alpha", "nan"],
                                  ["--prior", "flat"], ["--patience", "0"],
                                  ["--ensemble", "0"], ["--average", "1"],
                                  ["--average", "off"]])  # fmt: skip
def test_bad_option_values_are_usage_errors(real_csv, capsys, no_training, args):
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal", *FAST, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"probnn: error: fit: argument {args[0]}")


def test_compare_hands_every_option_to_every_family(tmp_path, real_csv, capsys, fit_calls):
    code, out, err = run(capsys, "compare", real_csv, "--target", "y", "--families",
                         "normal,studentt", "--hidden", "4", "--epochs", "4", "--lr", "0.02",
                         "--batch-size", "8", "--patience", "4", "--prior", "laplace",
                         "--alpha", "0.01", "--test-size", "0.25", "--family-param", "df=5",
                         "--quiet", "--report", tmp_path / "cmp")  # fmt: skip
    assert code == 0, err
    assert f"held-out NLL on {_hash_held_out(80, 0, 0.25)} rows" in out  # the row hash (issue 21)
    assert [kw["family"] for kw, _ in fit_calls] == ["normal", "studentt"]
    for kwargs, est in fit_calls:
        params = est.get_params()
        assert params["learning_rate_init"] == 0.02 and params["batch_size"] == 8
        assert params["n_iter_no_change"] == 4 and params["prior"] == "laplace"
        assert params["alpha"] == 0.01
    # df is a parameter of the Student-t only; the normal never sees it
    assert fit_calls[0][1].get_params()["family_params"] in (None, {})
    assert fit_calls[1][1].get_params()["family_params"] == {"df": 5.0}
    assert float(fit_calls[1][1].family_.df) == 5.0


def test_compare_family_param_no_family_takes_is_usage(real_csv, capsys, no_training, tmp_path):
    code, _, err = run(capsys, "compare", real_csv, "--target", "y", "--families",
                       "normal,laplace", *FAST, "--family-param", "df=4",
                       "--report", tmp_path / "cmp")  # fmt: skip
    assert code == 2
    assert "--family-param df: none of the families compared (normal, laplace) takes" in err


# ---------------------------------------------------------------------------- ensemble
def test_ensemble_is_one_model_file_that_predict_and_evaluate_load(tmp_path, real_csv, capsys):
    from probnn.estimators import EnsembleRegressor
    from probnn.model_file import load_model

    model = tmp_path / "e.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", *FAST, "--ensemble", "3",
                       "--family", "normal", "--out", model)  # fmt: skip
    assert code == 0, err
    loaded = load_model(model)
    assert isinstance(loaded.estimator, EnsembleRegressor)
    members = loaded.estimator.estimators_
    assert len(members) == 3 and len({m.random_state for m in members}) == 3
    assert all(m.max_iter == 3 and m.hidden_layer_sizes == (4,) for m in members)
    # the members are EnsembleRegressor's default ones (no per-member widening) but for the options
    assert all(m.recalibrate is False and m.scale_factor_ == 1.0 for m in members)

    # evaluate's NLL is that of the equal mixture of the members' Normals (scipy), on the
    # rows the fit held out of this file (issue 20)
    frame = pd.read_csv(real_csv)
    X = loaded.transform(frame)
    dists = [m.predict_dist(X) for m in members]
    density = np.mean([stats.norm.pdf(frame["y"], np.asarray(d.loc, np.float64),
                                      np.asarray(d.scale, np.float64)) for d in dists], axis=0)
    code, out, err = run(capsys, "evaluate", model, real_csv)
    assert code == 0, err
    nats = float(next(l for l in out.splitlines() if "nats" in l).split()[-1])
    held = split_rows(len(frame), 0)[1]
    assert nats == pytest.approx(-np.mean(np.log(density[held])), abs=1e-4)

    code, out, err = run(capsys, "predict", model, real_csv)
    assert code == 0, err
    table = pd.read_csv(__import__("io").StringIO(out))
    mean = np.mean([np.asarray(d.loc, np.float64) for d in dists], axis=0)
    np.testing.assert_allclose(table["prediction"], mean, rtol=1e-5, atol=1e-6)
    assert np.all(table["lower"] <= table["prediction"]) and np.all(table["prediction"] <= table["upper"])

    card = read_report(tmp_path / "e-report" / "report.html")
    assert _two_columns(card, "network")["ensemble"].startswith("3 networks")


def test_ensemble_of_a_classifier_is_usage(tmp_path, capsys, no_training):
    path = tmp_path / "b.csv"
    pd.DataFrame({"x": np.arange(20.0), "y": ["a", "b"] * 10}).to_csv(path, index=False)
    code, _, err = run(capsys, "fit", path, "--target", "y", *FAST, "--ensemble", "2")
    assert code == 2 and "--ensemble needs a regression family" in err


# ------------------------------------------------------------------- end of training
def test_end_of_training_line_and_no_progress_frames_in_a_redirected_log(tmp_path, real_csv,
                                                                          capsys, monkeypatch):
    import probnn.network.training as training
    from probnn.model_file import load_model

    monkeypatch.setattr(training, "PROGRESS_DELAY_S", 0.0)  # a bar at once, were there one
    model = tmp_path / "m.safetensors"
    code, out, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                         "--hidden", "8", "--epochs",
                         "400", "--lr", "0.05", "--patience", "2", "--out", model)  # fmt: skip
    assert code == 0, err
    assert "\r" not in err  # capsys's stderr is not a terminal
    lines = [l for l in err.splitlines() if not l.startswith("probnn: warning:")]
    assert len(lines) == 1, err
    est = load_model(model).estimator
    best = int(np.argmin(est.validation_scores_))
    from probnn import defaults

    # a regressor's rate drops on the plateaus before the last (issue 22), and the line says so
    assert re.fullmatch(
        rf"training: stopped early at epoch {est.n_iter_} of 400: the validation NLL had not "
        rf"improved for 2 epochs, after {defaults.PLATEAU_DROPS} drops of the learning rate; "
        rf"best validation NLL {est.validation_scores_[best]:.4f} nats "
        rf"per example at epoch {best + 1}, whose weights were kept \(\d+\.\d s\)", lines[0])


def test_budget_exhausted_says_so(tmp_path, real_csv, capsys):
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       "--hidden", "4", "--epochs", "2",
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 0
    line = next(l for l in err.splitlines() if l.startswith("training: "))
    assert line.startswith("training: used the whole budget of 2 epochs")


def test_progress_bar_only_on_a_terminal(tmp_path, real_csv, capsys, monkeypatch, fit_calls):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       "--hidden", "4", "--epochs", "2",
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 0, err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       "--hidden", "4", "--epochs", "2",
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    # (the network's fits; the GLM each is compared with, cli._glm, shows no progress)
    assert [kw["progress"] for kw, _ in fit_calls if kw.get("hidden") != ()] == [True, False]


# ------------------------------------------------------------------------- the reports
def test_fit_report_is_a_model_card_with_the_best_constant_model(tmp_path, capsys):
    import numpy
    from probnn.families import get_family

    rng = np.random.default_rng(4)
    x = rng.normal(size=400)
    real_csv = tmp_path / "data.csv"
    pd.DataFrame({"x": x, "y": 2.0 * x + rng.normal(size=400)}).to_csv(real_csv, index=False)
    code, out, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                         "--hidden", "8", "--epochs", "300", "--lr", "0.02",
                         "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 0, err
    page = read_report(tmp_path / "m-report" / "report.html")
    data = _two_columns(page, "data")
    assert data["SHA-256"] == hashlib.sha256(real_csv.read_bytes()).hexdigest()
    assert data["rows in the file"] == "400" and data["target"] == "y"
    assert _two_columns(page, "family")["why"] == "chosen with --family normal"
    assert _two_columns(page, "network")["layers (inputs → hidden → raw outputs)"] == "1 → 8 → 2"
    assert _two_columns(page, "software")["numpy"] == numpy.__version__
    assert page.pre.strip() == get_family("normal").derivation().strip()
    # the best constant model: a Normal with the training rows' mean and sd, scored on the
    # held-out rows (scipy), and the network's NLL beside it
    frame = pd.read_csv(real_csv)
    train, test = split_rows(len(frame), 0)
    y_train, y_test = frame["y"].to_numpy()[train], frame["y"].to_numpy()[test]
    nll0 = float(np.mean(-stats.norm.logpdf(y_test, y_train.mean(), y_train.std())))
    rows = [r for r in page.tables["baseline"] if r]
    assert rows[0][0].startswith("best constant model") and float(rows[0][1]) == pytest.approx(
        nll0, rel=1e-3)
    nll = float(next(l for l in out.splitlines() if "nats" in l).split()[-1])
    assert float(rows[1][1]) == pytest.approx(nll, abs=1e-3)
    metrics = {r[0] + " " + r[2]: r[1] for r in page.tables["metrics"] if r}
    assert "90% interval coverage fraction of rows" in metrics
    gain = (nll0 - nll) / math.log(2)
    assert gain > 0  # y = 2x + noise: x explains most of y's spread
    # (the printed NLL has 4 decimals: compare the report's figure to that precision)
    said = re.search(r"adds ([\d.]+) bits of information per example",
                     (tmp_path / "m-report" / "report.html").read_text(encoding="utf-8"))
    assert said and float(said.group(1)) == pytest.approx(gain, abs=2e-4)


def test_evaluate_writes_a_report_for_new_data(tmp_path, real_csv, capsys):
    model = tmp_path / "m.safetensors"
    code, _, err = run(capsys, "fit", real_csv, "--target", "y", "--family", "normal",
                       *FAST, "--out", model)
    assert code == 0, err
    new_csv = tmp_path / "new.csv"  # 80 new rows of the same law
    rng = np.random.default_rng(11)
    x = rng.normal(size=80)
    pd.DataFrame({"x": x, "y": 2.0 * x + rng.normal(size=80)}).to_csv(new_csv, index=False)
    code, out, err = run(capsys, "evaluate", model, new_csv, "--report", tmp_path / "ev")
    assert code == 0, err
    page = read_report(tmp_path / "ev" / "report.html")
    data = _two_columns(page, "data")
    assert data["model SHA-256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert data["SHA-256"] == hashlib.sha256(new_csv.read_bytes()).hexdigest()
    assert data["rows scored"].startswith("all 80 rows")
    nats = float(next(l for l in out.splitlines() if "nats" in l).split()[-1])
    shown = next(r for r in page.tables["metrics"] if r and r[2] == "nats per example")
    assert float(shown[1]) == pytest.approx(nats, rel=1e-3)
    assert {p.name for p in (tmp_path / "ev").iterdir()} >= {"report.html", "pit_histogram.png",
                                                              "coverage.png"}  # fmt: skip


def test_evaluate_report_over_the_model_is_refused(tmp_path, real_csv, capsys):
    code, _, err = run(capsys, "evaluate", tmp_path / "m.safetensors", real_csv,
                       "--report", tmp_path)  # fmt: skip
    assert code == 2 and "would write over the data" in err


def test_compare_report_lands_in_the_current_folder_named_after_the_data(tmp_path, real_csv,
                                                                         capsys, monkeypatch):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run(capsys, "compare", real_csv, "--target", "y", "--families",
                         "normal,laplace", "--hidden", "4", "--epochs", "3")  # fmt: skip
    assert code == 0, err
    report = elsewhere / "data-compare-report" / "report.html"
    assert report.is_file() and f"report written to {report.relative_to(elsewhere)}" in out
    page = read_report(report)
    ranked = [r[1] for r in page.tables["comparison"] if r]
    printed = [l.split()[1] for l in out.splitlines() if l.strip()[:1].isdigit()]
    assert ranked == printed
    fits = {r[0]: r[1] for r in page.tables["fits"] if r}
    assert set(fits) == {"normal", "laplace"} and all("epochs" in v for v in fits.values())


def test_compare_report_holding_the_data_is_refused(tmp_path, real_csv, capsys, no_training):
    code, _, err = run(capsys, "compare", real_csv, "--target", "y", *FAST, "--report", tmp_path)
    assert code == 2 and "would write over the data" in err


# ------------------------------------------------------------------------- --dtype
def test_dtype_float64_fits_counts_float32_cannot_resolve(tmp_path, capsys):
    # Poisson counts about 1e12 varying by about a millionth: one float32 step there
    # (np.spacing(np.float32(1e12)) = 65536, before the network's own steps) is a large
    # part of that spread, so a float32 fit asked for is refused, and the refusal names the
    # option; with no --dtype, the fit takes float64 and says so
    from probnn.model_file import load_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    path = tmp_path / "big.csv"
    pd.DataFrame({"x": x, "y": rng.poisson(1e12 * np.exp(0.001 * x))}).to_csv(path, index=False)
    common = [str(path), "--target", "y", "--family", "poisson", "--hidden", "4",
              "--epochs", "2", "--quiet", "--out", str(tmp_path / "m.safetensors")]
    code = main(["fit", *common, "--dtype", "float32", "--report", str(tmp_path / "r32")])
    err = capsys.readouterr().err
    assert code == 1 and "float32" in err and err.count("\n") == 1
    assert "(--dtype float64)" in err and "dtype='float64'" not in err
    for given in (["--dtype", "float64"], []):
        model = tmp_path / "m.safetensors"
        model.unlink(missing_ok=True)
        code = main(["fit", *common, *given, "--report", str(tmp_path / f"r64{len(given)}")])
        err = capsys.readouterr().err
        assert code == 0, err
        assert ("trained in float64, since float32" in err) == (not given)
        assert load_model(model).estimator.dtype == "float64"
    code = main(["fit", *common, "--dtype", "float16", "--report", str(tmp_path / "r16")])
    assert code == 2 and "--dtype" in capsys.readouterr().err
