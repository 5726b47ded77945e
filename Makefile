# Two commands for a newcomer: `make run` starts the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8501

.PHONY: run test sample bench chromium libreoffice clean

$(VENV)/.runtime: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.test: $(VENV)/.runtime requirements-test.txt pyproject.toml
	$(PIP) install --quiet -r requirements-test.txt -c constraints.txt
	$(PIP) install --quiet --no-deps -e .  # `analysis` importable from any folder, as the notebooks need
	touch $@

data/cache/manifest.json: | $(VENV)/.runtime
	$(PY) -m analysis sample

sample: $(VENV)/.runtime ## rebuild the embedded sample cache
	$(PY) -m analysis sample

run: $(VENV)/.runtime data/cache/manifest.json
	$(PY) -m streamlit run app/main.py --server.headless true --server.port $(PORT)

chromium:
	@bash .ci/ensure-chromium

libreoffice:
	@bash .ci/ensure-libreoffice

test: $(VENV)/.test chromium libreoffice data/cache/manifest.json
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: $(VENV)/.test
	$(PY) -m bench.query
	$(PY) -m bench.scope
	$(PY) -m bench.anomalies
	$(PY) -m bench.forecast
	$(PY) -m bench.concurrency
	$(PY) -m bench.pages
	$(PY) -m bench.report
	$(PY) -m bench.workbook
	$(PY) -m bench.cur_conversion

clean:
	rm -rf $(VENV) data/cache
