# pyre_nexus
#
# make demo     set up the package alone, then run the demo: a Monte Carlo estimate of pi on local crews
# make test     set up, start the services of the integration tests (as root), run the whole suite;
#               then make pythons
# make pythons  the core tests on the newer Pythons too, each in a venv of its own (.venv-3.12, ...)
# make services start sshd, the test hosts h1..h3, MPI, Slurm and Grid Engine (as root; see etc/ci/infra.sh)
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
# the newer Pythons the core tests run on as well, each found in pyenv's versions or on PATH
PYTHONS = 3.12 3.13
# the core tests: the crew, its wire and codec, the dispatcher, the teams and the fork recruiters;
# e.g. make pythons CORE=tests/test_wire.py for fewer
CORE = tests/test_crew.py tests/test_wire.py tests/test_codec.py tests/test_dispatcher.py \
	tests/teams/test_staff.py tests/teams/test_pool.py tests/teams/test_promise.py \
	tests/teams/test_executor.py tests/recruiters/test_fork.py tests/recruiters/test_forkserver.py
# their venvs, set up with the tools of the tests as $(VENV) is
NEWER = $(PYTHONS:%=$(VENV)-%/.ready)

.PHONY: demo test pythons $(PYTHONS:%=pythons-%) bench docs setup services clean

demo: $(RUNTIME)
	$(BIN)/nexus-demo

# the newer Pythons are set up first, so a missing one fails before the long run, not after it;
# a failure on one of them does not keep the others from running
test: $(READY) $(NEWER) services
	$(BIN)/python -m pytest tests
	$(MAKE) --keep-going pythons

# under CI's rules, whatever the caller's: a test whose service is missing fails
pythons: $(PYTHONS:%=pythons-%)

$(PYTHONS:%=pythons-%): pythons-%: $(VENV)-%/.ready
	CI=true $(VENV)-$*/bin/python -m pytest $(CORE)

# the integration tests need root for them; without, those tests are skipped, with the reason
services:
	@if [ "$$(id -u)" = 0 ]; then bash etc/ci/infra.sh start; \
	else echo "not root: the ssh, MPI, Slurm and Grid Engine tests will be skipped (run make services as root)"; fi

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

# pyenv's newest of that version if it has one, else the one on PATH (which may be a pyenv shim
# that does not run: it is tried)
$(PYTHONS:%=$(VENV)-%/bin/python): $(VENV)-%/bin/python:
	@python=$$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$*.*/bin/python$* 2>/dev/null \
	    | sort -V | tail -n 1); \
	if [ -z "$$python" ] && python$* -c '' 2>/dev/null; then python=python$*; fi; \
	if [ -z "$$python" ]; then \
	    echo "no Python $*, which the core tests run on, in pyenv's versions or as python$* on PATH:" \
	        "install it (pyenv install $*) or put it on PATH" >&2; \
	    exit 1; \
	fi; \
	echo "$$python -m venv $(VENV)-$*"; \
	"$$python" -m venv $(VENV)-$*

# all of the test extra: every test dependency has wheels for these Pythons
$(NEWER): $(VENV)-%/.ready: setup.py pyproject.toml | $(VENV)-%/bin/python
	$(VENV)-$*/bin/pip --quiet --disable-pip-version-check install --upgrade pip
	$(VENV)-$*/bin/pip --quiet --disable-pip-version-check install -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(PYTHONS:%=$(VENV)-%) build dist *.egg-info .pytest_cache
