# pyre_nexus
#
# make demo     set up the package alone, then run the demo: a Monte Carlo estimate of pi on local crews
# make test     set up, start the services of the integration tests (as root), run the whole suite
# make services start sshd, the test hosts h1..h3, MPI and Slurm (as root; see etc/ci/infra.sh)
# make bench    set up, then run the benchmarks against the peers
# make docs     set up, then build the documentation into doc/_build/html (warnings are errors)

PYTHON ?= python3
# extra options of the benchmarks, e.g. make bench BENCH='--quick' or BENCH='--cases A,B'
BENCH ?=
VENV ?= .venv
BIN = $(VENV)/bin
# pip, saying only what goes wrong
PIP = $(BIN)/pip --quiet --disable-pip-version-check
# the markers of finished set ups, redone when the package metadata changes: the package with what
# it needs to run, which is all the demo needs; and with the tools of the tests on top
RUNTIME = $(VENV)/.runtime
READY = $(VENV)/.ready

.PHONY: demo test bench docs setup services clean

demo: $(RUNTIME)
	$(BIN)/nexus-demo

test: $(READY) services
	$(BIN)/python -m pytest tests

# the integration tests need root for them; without, those tests are skipped, with the reason
services:
	@if [ "$$(id -u)" = 0 ]; then bash etc/ci/infra.sh start; \
	else echo "not root: the ssh, MPI and Slurm tests will be skipped (run make services as root)"; fi

bench: $(READY)
	$(PIP) install -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/run.py $(BENCH)

docs: $(READY)
	$(PIP) install -e '.[docs]'
	$(BIN)/sphinx-build -W --keep-going -b html doc doc/_build/html

setup: $(READY)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# editable, so the demo runs the sources here, and the tests add to it
$(RUNTIME): setup.py pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $(RUNTIME)

$(READY): $(RUNTIME)
	$(PIP) install --upgrade pip
	$(PIP) install -e '.[test]'
	touch $(READY)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
