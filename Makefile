# receptorkin: every target builds and reuses .venv by itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: demo test unit-tests wheel-smoke bench bench-brannmark models fuzz clean help report-check docs conformance

help:
	@echo "make demo   - the main job: fit, dosing comparison, SBML export into demo-output/"
	@echo "make test   - the whole test suite (docs examples included), then the wheel smoke test"
	@echo "make wheel-smoke - build the wheel, install it into a fresh venv, run every command from an empty folder"
	@echo "make bench  - speed benchmarks against naive baselines measured in the same run"
	@echo "make bench-brannmark - Brannmark PEtab 20-start fits, default method against scipy least squares, same starts"
	@echo "make conformance - every SBML Test Suite time-course case through the Simulator"
	@echo "make models - rebuild sbml/*.xml from the Antimony sources"
	@echo "make fuzz   - property tests of every parser, 2000 examples each"
	@echo "make docs   - the documentation site with the API reference, into site/"
	@echo "make report-check - open every kind of report.html in headless Chromium (screenshots in report-check-output/)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,interop,dask,tellurium]"
	# PEtab test suite cases (a test dependency): its declared pysb dependency pins sympy < 1.12, which breaks
	# petab's own formula evaluation under numpy 2, and is only needed to regenerate the cases: no deps
	$(PY) -m pip install --quiet --no-deps "petabtests>=0.0.1"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m receptorkin.demo demo-output --force

test: unit-tests wheel-smoke

unit-tests: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile

fuzz: $(STAMP)
	RECEPTORKIN_FUZZ_EXAMPLES=2000 $(PY) -m pytest -q -n $(JOBS) tests/test_fuzz_parsers.py

# the installed package, not the checkout: wheel -> fresh venv -> commands from an empty folder
wheel-smoke: $(STAMP)
	$(PY) .ci/wheel_smoke.py

conformance: $(STAMP)
	RECEPTORKIN_CONFORMANCE=all $(PY) -m pytest -q -n $(JOBS) tests/test_sbml_test_suite.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

# Brannmark 20-start fits, the default method (Fides) and scipy's least squares on the same seeded starts (about 10 min each on 2 idle cores)
bench-brannmark: $(STAMP)
	BENCH_PETAB_METHODS=auto,least_squares $(PY) benchmarks/bench_petab.py

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	$(PY) -m mkdocs build --site-dir site

report-check: $(STAMP)
	$(PY) -m pytest -q -rs tests/test_reports_browser.py

models: $(STAMP)
	$(PY) -m receptorkin.models

clean:
	rm -rf $(VENV) demo-output bench-output report-check-output site .pytest_cache
