# The two commands a newcomer needs (see README.md):
#   make lab    set everything up and start JupyterLab on the book
#   make test   set everything up and run the whole test suite (this is what .ci/run calls)
#   make check  lint, type check and the fast tests: seconds, for every edit
# Both create and reuse a local virtual environment in .venv; nothing is installed globally.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.chiplab-installed
PORT ?= 8888

.PHONY: lab test check install lint typecheck bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chiplab needs Python 3.11 or newer; found " + sys.version.split()[0] + ". Set PYTHON=/path/to/python3.11 and retry.")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The website's JavaScript (widget renderer, require.js, MathJax), fetched from npm at pinned versions so that the
# built site loads nothing from the network (book/_vendor/fetch_assets.py; needs npm once).
BOOK_JS := book/_static/vendor/.fetched.json
$(BOOK_JS): book/_vendor/fetch_assets.py
	$(PYTHON) book/_vendor/fetch_assets.py

# configurable-http-proxy, JupyterHub's proxy for the hub round-trip test (tests/exercises/test_jupyterhub.py), at the
# version package-lock.json pins, into node_modules/ (not committed; needs npm once, like the book's JavaScript).
HUB_PROXY := node_modules/.bin/configurable-http-proxy
$(HUB_PROXY): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(HUB_PROXY)

install: $(STAMP) $(BOOK_JS) $(HUB_PROXY)

# JupyterLab refuses to run as root unless told; containers and cloud shells often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# Book pages are MyST Markdown notebooks (jupytext): this venv-local settings override makes JupyterLab open them
# as notebooks on a double click (the user's own JupyterLab settings are untouched).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/chiplab-jupytext.json

lab: $(STAMP) $(BOOK_JS)
	install -D -m 644 book/.jupyterlab/overrides.json $(LAB_OVERRIDES)
	$(VENV)/bin/jupyter lab --notebook-dir=book $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP) $(BOOK_JS) $(HUB_PROXY)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check chiplab tests benchmarks exercises

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# The fast tier, for every edit: lint, types, and the tests not marked slow or browser (target: < 30 s on 2 cores;
# tests/conftest.py's SLOW_PATHS lists what else counts as slow). nbmake's plugin is not needed here and costs a
# second to import; two workers use both cores.
check: lint typecheck
	$(PY) -m pytest -q -p no:nbmake -n 2 -m "not slow and not browser" $(PYTEST_ARGS)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) book/_build .pytest_cache .hypothesis .mypy_cache build *.egg-info
