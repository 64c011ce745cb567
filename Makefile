# Quick start on a fresh machine with only Python 3 and pip:
#   make demo    create .venv, install probnn, run the main job on bundled data
#   make test    install the test extras, run the suite
#   make bench   install the benchmark extras (PyTorch CPU), run bench/
#   make docs    install the docs extra (Sphinx, numpydoc, myst-parser) and build the API
#                reference and the README's tour into docs/_build/html; warnings are errors
# CI (.ci/run) runs `make test TEST_EXTRAS=test,oracle,fast,dask STRICT_EXTRAS=1`: the oracle extra
# adds PyTorch (CPU, pinned) for the tests that compare with torch, dask the Dask cluster tests
# (tests/test_parallel.py), and STRICT_EXTRAS turns a test skipped for a missing import into a
# failure, so no oracle or Dask test silently skips in CI. --dist loadgroup keeps the tests that
# share one Dask LocalCluster (xdist_group "dask-cluster") in one test process: one cluster per run.
#   make test-min  the suite in a second virtualenv (.venv-min, Python 3.11) holding every runtime
#                  dependency at exactly its declared floor (pyproject.toml's ">=", read by
#                  .ci/min_constraints.py): the floors are tested, not only declared. CI runs it
#                  after `make test`; the optional oracles (torch, numba, dask) are not installed
#                  there, so their tests skip in this job only.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_WORKERS ?= 2
TEST_EXTRAS    ?= test
STRICT_EXTRAS  ?=

PYTHON_MIN ?= python3.11
VENV_MIN   := .venv-min
BIN_MIN    := $(VENV_MIN)/bin

.PHONY: demo test test-min bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-$(TEST_EXTRAS): pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[$(TEST_EXTRAS)]'
	touch $@

$(VENV)/.installed-docs: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/probnn demo

test: $(VENV)/.installed-$(TEST_EXTRAS)
	PROBNN_STRICT_EXTRAS=$(STRICT_EXTRAS) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -p no:cacheprovider

$(BIN_MIN)/python:
	$(PYTHON_MIN) -m venv $(VENV_MIN)
	$(BIN_MIN)/python -m pip install --quiet --upgrade pip

# The constraints pin each runtime dependency (and pyarrow, the Parquet path's) to its floor;
# pip moves an existing .venv-min to new pins whenever pyproject.toml changes.
$(VENV_MIN)/.installed: pyproject.toml .ci/min_constraints.py | $(BIN_MIN)/python
	$(BIN_MIN)/python .ci/min_constraints.py parquet > $(VENV_MIN)/constraints.txt
	$(BIN_MIN)/python -m pip install --quiet -c $(VENV_MIN)/constraints.txt -e '.[test]'
	touch $@

test-min: $(VENV_MIN)/.installed
	$(BIN_MIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -p no:cacheprovider

# -W: a docstring numpydoc or docutils cannot read fails the build; docs/generated holds
# autosummary's pages, made afresh each time
docs: $(VENV)/.installed-docs
	rm -rf docs/generated docs/_build
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(VENV_MIN) build *.egg-info .pytest_cache .hypothesis docs/_build docs/generated
