# pyre_nexus
#
# make demo     set up, then run the demo: a Monte Carlo estimate of pi on local crews
# make test     set up, then run the whole test suite
# make bench    set up, then run the benchmarks against the peers

PYTHON ?= python3
# extra options of the benchmarks, e.g. make bench BENCH='--quick' or BENCH='--cases A,B'
BENCH ?=
VENV ?= .venv
BIN = $(VENV)/bin
# the marker of a finished set up; redone when the package metadata changes
READY = $(VENV)/.ready

.PHONY: demo test bench setup clean

demo: $(READY)
	$(BIN)/nexus-demo

test: $(READY)
	$(BIN)/python -m pytest tests

bench: $(READY)
	$(BIN)/pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py $(BENCH)

setup: $(READY)

$(READY): setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(READY)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
