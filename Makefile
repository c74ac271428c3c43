# Two commands do all the set-up: `make run` and `make test` (see README.md).
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PYBABEL := $(VENV)/bin/pybabel
STAMP   := $(VENV)/.installed
TSTAMP  := $(VENV)/.installed-test
NPM_E2E := tests/e2e/node_modules/axe-core/axe.min.js

.PHONY: run test test-clock e2e bench lint translations extract-messages system-deps install clean

run: install system-deps
	$(FLASK) lms init --demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-test
	$(PY) -m pytest

# The suite again with the process clock at 20:30 UTC (already tomorrow in Asia/Shanghai) and at
# 03:30 UTC: a test that passes only at some hours of the day fails here.
test-clock: install-test
	$(PY) -m pytest -q --ignore=tests/e2e --utc-clock=20:30
	$(PY) -m pytest -q --ignore=tests/e2e --utc-clock=03:30

e2e: install-test
	$(PY) -m pytest tests/e2e

bench: install-test
	$(PY) bench/run_all.py

# The ruff rules and line length live in pyproject.toml; CI runs this before the tests.
lint: install-test
	$(VENV)/bin/ruff check lms tests bench wsgi.py
	$(VENV)/bin/ruff format --check lms tests bench wsgi.py

install: $(STAMP) translations

install-test: install $(TSTAMP) $(NPM_E2E)

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[prod]'
	touch $@

$(TSTAMP): $(STAMP) setup.cfg
	$(PY) -m pip install --quiet -e '.[test,prod,dev]'
	touch $@

# axe-core (accessibility checks in the browser tests) comes from the npm registry.
$(NPM_E2E): tests/e2e/package.json
	cd tests/e2e && npm install --no-audit --no-fund --silent
	touch $@

# Compiled catalogues are build output (not committed).
translations: $(STAMP)
	$(PYBABEL) -q compile -d lms/translations

extract-messages: $(STAMP)
	$(PYBABEL) -q extract -F lms/translations/babel.cfg -k _l -o lms/translations/messages.pot .
	$(PYBABEL) -q update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching

# WeasyPrint needs Pango, HarfBuzz's subsetter and a CJK font from the system.
system-deps:
	@missing=""; \
	ldconfig -p | grep -q 'libpango-1.0' || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q 'libharfbuzz-subset' || missing="$$missing libharfbuzz-subset0"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk fonts-wqy-microhei"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif sudo -n true 2>/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "Please install these system packages (Debian/Ubuntu names):$$missing"; \
	     echo "PDF certificates need them; everything else works without."; fi

clean:
	rm -rf $(VENV) tests/e2e/node_modules
