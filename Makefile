# Quick start on a fresh machine with only Python 3 and pip:
#   make demo    create .venv, install probnn, run the main job on bundled data
#   make test    install the test extras, run the suite
#   make bench   install the benchmark extras (PyTorch CPU), run bench/
# CI (.ci/run) runs `make test TEST_EXTRAS=test,oracle,fast,dask STRICT_EXTRAS=1`: the oracle extra
# adds PyTorch (CPU, pinned) for the tests that compare with torch, dask the Dask cluster tests
# (tests/test_parallel.py), and STRICT_EXTRAS turns a test skipped for a missing import into a
# failure, so no oracle or Dask test silently skips in CI. --dist loadgroup keeps the tests that
# share one Dask LocalCluster (xdist_group "dask-cluster") in one test process: one cluster per run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_WORKERS ?= 2
TEST_EXTRAS    ?= test
STRICT_EXTRAS  ?=

.PHONY: demo test bench clean

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

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/probnn demo

test: $(VENV)/.installed-$(TEST_EXTRAS)
	PROBNN_STRICT_EXTRAS=$(STRICT_EXTRAS) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -p no:cacheprovider

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
