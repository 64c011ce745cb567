"""Parallel work through joblib (loky processes and a dask.distributed cluster), and dask-ml.

The oracle everywhere is the sequential run in this process: ``compare --jobs 2`` and
``compare --scheduler`` give the per-row NLLs, ranking and printed table of ``--jobs 1`` bit for
bit; an ensemble's members are the same networks whatever ``--jobs``; ``GridSearchCV`` and
``cross_val_score`` with ``nll_scorer`` score every split as ``n_jobs=1`` does; dask-ml's
``Incremental`` gives the model of ``partial_fit`` called on the same blocks in order.

The cluster tests share one ``LocalCluster`` (2 worker processes, 1 thread each), started and
closed by a module fixture; they form one xdist group (the Makefile runs ``--dist loadgroup``),
so a parallel test run starts one cluster, not one per test process. They need the extra
``probnn[dask]`` and fail, not skip, without it under ``PROBNN_STRICT_EXTRAS=1``.
"""

from __future__ import annotations

import contextlib
import io
import pickle

import numpy as np
import pandas as pd
import pytest

from probnn import cli, compare
from probnn.estimators import MLPClassifier, MLPRegressor, nll_scorer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
on_the_cluster = pytest.mark.xdist_group("dask-cluster")

FAST = ["--epochs", "15", "--hidden", "8"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """A CSV of 200 rows: y = 2 x + Student-t noise, a useless column, and a text column."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=200),
                          "kind": rng.choice(["a", "b"], size=200),
                          "y": 2.0 * x + rng.standard_t(3, size=200)})  # fmt: skip
    path = tmp_path_factory.mktemp("parallel") / "data.csv"
    frame.to_csv(path, index=False)
    return path


def run_compare(path, report, *options):
    """``probnn compare``'s stdout (the report path masked) and the per-row NLLs it ranked."""
    ranked = {}
    real = compare.paired_standard_errors

    def spy(nll_rows):
        ranked.update({f: np.array(rows, copy=True) for f, rows in nll_rows.items()})
        return real(nll_rows)

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):  # fmt: skip
        mp.setattr(compare, "paired_standard_errors", spy)
        # poisson cannot model real targets: skipped between two fitted families
        code = cli.main(["compare", str(path), "--target", "y", "--report", str(report),
                         "--families", "normal,poisson,laplace,studentt", *FAST, *options])
    assert code == 0, err.getvalue()
    return out.getvalue().replace(str(report), "REPORT"), ranked


@pytest.fixture(scope="module")
def sequential(table, tmp_path_factory):
    return run_compare(table, tmp_path_factory.mktemp("seq") / "report")


def assert_same_comparison(got, expected):
    (text, ranked), (text0, ranked0) = got, expected
    assert list(ranked) == list(ranked0) == ["normal", "laplace", "studentt"]
    for family in ranked0:
        np.testing.assert_array_equal(ranked[family], ranked0[family], err_msg=family)
    # the lines "fitting ...", ranking, figures, verdict, skipped families, in the same order
    assert text == text0
    assert "fitting laplace ...\nfitting studentt ...\n" in text and "skipped poisson" in text


def test_worker_processes_get_cores_over_n_blas_threads_and_warn_here(monkeypatch):
    """Even when OMP_NUM_THREADS is set (joblib alone would give it to every worker)."""
    import os
    import warnings

    from probnn._parallel import parallel_map, worker_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    names = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]
    from joblib import cpu_count  # the cores this process may use (affinity, cgroup quota)

    limit = str(max(1, cpu_count() // 2))
    assert worker_threads(2) == int(limit)
    assert list(parallel_map(os.getenv, names, n_jobs=2)) == [limit] * 3
    # a warning raised in a worker process is raised again here, in this process's filters
    with pytest.warns(UserWarning) as caught:
        assert list(parallel_map(warnings.warn, ["first", "second"], n_jobs=2)) == [None, None]
    assert sorted(str(w.message) for w in caught) == ["first", "second"]


def test_compare_with_two_worker_processes_equals_sequential(table, sequential, tmp_path):
    assert_same_comparison(run_compare(table, tmp_path / "report", "--jobs", "2"), sequential)


def fit_ensemble(path, folder, *options):
    """The members of ``probnn fit --ensemble 3``, read back from the model file."""
    from probnn.model_file import load_model

    out = folder / "model.safetensors"
    code = cli.main(["fit", str(path), "--target", "y", "--family", "normal", "--ensemble", "3",
                     "--out", str(out),
                     "--report", str(folder / "report"), "--quiet", *FAST, *options])
    assert code == 0
    return load_model(out).estimator.estimators_


@pytest.fixture(scope="module")
def sequential_members(table, tmp_path_factory):
    return fit_ensemble(table, tmp_path_factory.mktemp("members"))


def assert_same_members(members, expected):
    seeds = [m.random_state for m in expected]
    assert [m.random_state for m in members] == seeds and len(set(seeds)) == 3
    for a, b in zip(members, expected):
        np.testing.assert_array_equal(a._network.params, b._network.params)


def test_ensemble_members_do_not_depend_on_jobs(table, sequential_members, tmp_path):
    assert_same_members(fit_ensemble(table, tmp_path, "--jobs", "2"), sequential_members)


@pytest.mark.parametrize("argv, expected", [
    (["fit", "{data}", "--target", "y", "--family", "normal", "--jobs", "2", "--out",
      "{tmp}/m.safetensors"], "--jobs spreads a selection's families (--family auto) or an "),
    (["fit", "{data}", "--target", "y", "--family", "normal", "--posterior", "laplace",
      "--jobs", "2", "--out",
      "{tmp}/m.safetensors"], "a single network trains in one process"),
    (["fit", "{data}", "--target", "y", "--scheduler", "tcp://127.0.0.1:9", "--out",
      "{tmp}/m.safetensors"], "--scheduler an ensemble's"),
    (["compare", "{data}", "--target", "y", "--jobs", "0"], "--jobs: expected a positive "
                                                            "integer, or -1"),
    (["compare", "{data}", "--target", "y", "--jobs", "two"], "--jobs: expected a positive"),
])  # fmt: skip
def test_bad_parallel_options_exit_2_before_training(table, tmp_path, capsys, no_training, argv,
                                                    expected):  # fmt: skip
    code = cli.main([a.format(data=table, tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1


def test_fit_selects_with_workers_as_in_one_process(table, tmp_path, capsys):
    # fit --family auto --jobs 2: the selection's families in two worker processes, the
    # same candidates' scores, choice and held-out metrics as --jobs 1 (the oracle)
    printed = []
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        out.mkdir()
        code = cli.main(["fit", str(table), "--target", "y", *FAST, "--jobs", jobs, "--quiet",
                         "--out", str(out / "m.safetensors")])  # fmt: skip
        text, err = capsys.readouterr()
        assert code == 0, err
        printed.append(text.replace(str(out), "OUT"))
    assert "chose " in printed[0] and printed[1] == printed[0]


def test_unreachable_scheduler_is_one_line(table, tmp_path, capsys, monkeypatch, no_training):
    pytest.importorskip("distributed")
    monkeypatch.setattr(cli.options, "CONNECT_TIMEOUT_S", 1)
    code = cli.main(["compare", str(table), "--target", "y", "--report", str(tmp_path / "r"),
                     "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "--scheduler tcp://127.0.0.1:9: no Dask scheduler answered" in err
    code = cli.main(["compare", str(table), "--target", "y", "--report", str(tmp_path / "r"),
                     "--scheduler", "not an address"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--scheduler expects a scheduler address such as tcp://" in err


def _classes_data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = np.array(["low", "mid", "high"])[np.digitize(X[:, 0] + 0.5 * rng.normal(size=n),
                                                     [-0.5, 0.5])]  # fmt: skip
    return X, y


def test_cross_val_score_with_two_workers_equals_sequential():
    from sklearn.model_selection import cross_val_score

    X, y = _classes_data()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    one = cross_val_score(clf, X, y, scoring=nll_scorer, cv=3, n_jobs=1)
    two = cross_val_score(clf, X, y, scoring=nll_scorer, cv=3, n_jobs=2)
    np.testing.assert_array_equal(two, one)
    assert np.all(one < 0) and np.all(np.isfinite(one))


def _pickled(est, tmp_path):
    return pickle.loads(pickle.dumps(est))


def _read_only_memmap(est, tmp_path):
    """As joblib hands large arrays to its workers: read-only memory maps."""
    import joblib

    joblib.dump(est, tmp_path / "est.joblib")
    return joblib.load(tmp_path / "est.joblib", mmap_mode="r")


@pytest.mark.parametrize("round_trip", [_pickled, _read_only_memmap], ids=["pickle", "memmap"])
@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
def test_partial_fit_goes_on_after_a_round_trip(estimator, round_trip, tmp_path):
    """The optimiser's state travels with the estimator (Incremental moves it between workers)."""
    X, labels = _classes_data(120)
    if estimator is MLPClassifier:
        y, first = labels, {"classes": ["high", "low", "mid"]}
    else:
        y, first = X[:, 0] + X[:, 1], {}
    here, there = (estimator(hidden_layer_sizes=(8,), random_state=0) for _ in range(2))
    for est in (here, there):
        est.partial_fit(X[:60], y[:60], **first)
    there = round_trip(there, tmp_path)
    for _ in range(2):
        for est in (here, there):
            est.partial_fit(X[60:], y[60:])
    np.testing.assert_array_equal(there._network.params, here._network.params)
    assert there.t_ == here.t_ and there.n_iter_ == here.n_iter_


# ------------------------------------------------------------- on a dask.distributed cluster
@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes with 1 thread each, and a Client (the default)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        yield client


@on_the_cluster
def test_compare_on_a_local_cluster_equals_sequential(table, sequential, client, tmp_path):
    got = run_compare(table, tmp_path / "report", "--scheduler",
                      client.scheduler_info()["address"])
    assert_same_comparison(got, sequential)


@on_the_cluster
def test_ensemble_on_a_local_cluster_has_the_sequential_members(table, sequential_members,
                                                                client, tmp_path):  # fmt: skip
    members = fit_ensemble(table, tmp_path, "--scheduler", client.scheduler_info()["address"])
    assert_same_members(members, sequential_members)


@on_the_cluster
def test_grid_search_on_a_local_cluster_equals_sequential(client):
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV

    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 3))
    y = X[:, 0] + np.exp(0.5 * X[:, 1]) * rng.normal(size=150)
    grid = {"family": ["normal", "laplace", "studentt"]}
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    sequential = GridSearchCV(est, grid, scoring=nll_scorer, cv=3).fit(X, y)
    with parallel_config(backend="dask"):  # the README's way: the default Client's cluster
        on_cluster = GridSearchCV(est, grid, scoring=nll_scorer, cv=3, n_jobs=2).fit(X, y)
    assert on_cluster.best_params_ == sequential.best_params_
    for key in [f"split{k}_test_score" for k in range(3)] + ["mean_test_score", "rank_test_score"]:
        np.testing.assert_array_equal(on_cluster.cv_results_[key], sequential.cv_results_[key])
    np.testing.assert_array_equal(on_cluster.best_estimator_._network.params,
                                  sequential.best_estimator_._network.params)


@on_the_cluster
def test_incremental_on_a_dask_array_is_partial_fit_block_by_block(client):
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(240, 3))
    y = 3.0 + X[:, 0] + 0.5 * rng.normal(size=240)
    template = MLPRegressor(hidden_layer_sizes=(8,), batch_size=20, random_state=0)
    inc = wrappers.Incremental(template, shuffle_blocks=False)
    inc.fit(da.from_array(X, chunks=(60, 3)), da.from_array(y, chunks=60))
    by_hand = MLPRegressor(hidden_layer_sizes=(8,), batch_size=20, random_state=0)
    for start in range(0, 240, 60):
        by_hand.partial_fit(X[start:start + 60], y[start:start + 60])
    np.testing.assert_array_equal(inc.estimator_._network.params, by_hand._network.params)
    assert inc.estimator_.target_shift_ == by_hand.target_shift_  # the first block's
    predicted = inc.predict(da.from_array(X, chunks=(60, 3))).compute()
    np.testing.assert_array_equal(predicted, by_hand.predict(X))


@on_the_cluster
def test_incremental_classifier_on_a_dask_dataframe_passes_classes(client):
    dd = pytest.importorskip("dask.dataframe")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, y = _classes_data(240)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(label=y)
    ddf = dd.from_pandas(frame, npartitions=4, sort=False)
    classes = ["high", "low", "mid"]
    template = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    inc = wrappers.Incremental(template, shuffle_blocks=False)
    inc.fit(ddf[["a", "b", "c", "d"]], ddf["label"], classes=classes)
    by_hand = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    for k in range(ddf.npartitions):
        block = ddf.partitions[k].compute()
        by_hand.partial_fit(block[["a", "b", "c", "d"]], block["label"], classes=classes)
    np.testing.assert_array_equal(inc.estimator_._network.params, by_hand._network.params)
    assert list(inc.estimator_.classes_) == classes
    assert list(inc.estimator_.feature_names_in_) == ["a", "b", "c", "d"]
    predicted = inc.predict(ddf[["a", "b", "c", "d"]]).compute()
    np.testing.assert_array_equal(np.asarray(predicted), by_hand.predict(frame[["a", "b", "c", "d"]]))


@on_the_cluster
def test_the_readme_cluster_example_runs_and_scores_as_one_process(client):
    """``examples/dask_cluster.py`` (the README shows it whole; tests/test_readme_commands.py
    runs it as a script, with its own LocalCluster): its functions on the module's cluster.
    The grid search's scores are those of one process, as the README says."""
    import runpy
    from pathlib import Path

    from joblib import parallel_config

    pytest.importorskip("dask_ml")
    script = Path(__file__).resolve().parents[1] / "examples" / "dask_cluster.py"
    if not script.exists():
        pytest.skip("examples/ is not beside the tests (installed package, not a checkout)")
    example = runpy.run_path(str(script), run_name="example")  # the __main__ part stays idle
    rng = np.random.default_rng(0)  # the script's own data
    X = rng.normal(size=(500, 4))
    y = X[:, 0] + rng.standard_t(3, size=500)
    search = example["grid_search"](X, y)
    assert search.best_params_["family"] in ("normal", "laplace", "studentt")
    assert np.isfinite(search.best_score_) and search.best_score_ < 0  # minus an NLL
    with parallel_config(backend="sequential"):
        alone = example["GridSearchCV"](
            example["MLPRegressor"](hidden_layer_sizes=(16,), max_iter=30, random_state=0),
            {"family": ["normal", "laplace", "studentt"]}, scoring=example["nll_scorer"], cv=3)
        alone.fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  alone.cv_results_["mean_test_score"])
    probs = np.asarray(example["fit_by_blocks"](X, y).compute())
    assert probs.shape == (500, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
