# receptorkin: every target builds and reuses .venv by itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: demo test bench models clean help conformance

help:
	@echo "make demo   - the main job: fit, dosing comparison, SBML export into demo-output/"
	@echo "make test   - the whole test suite (docs examples included)"
	@echo "make bench  - speed benchmarks against naive baselines measured in the same run"
	@echo "make conformance - every SBML Test Suite time-course case through the Simulator"
	@echo "make models - rebuild sbml/*.xml from the Antimony sources"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,interop,dask]"
	# PEtab test suite cases (a test dependency): its declared pysb dependency pins sympy < 1.12, which breaks
	# petab's own formula evaluation under numpy 2, and is only needed to regenerate the cases: no deps
	$(PY) -m pip install --quiet --no-deps "petabtests>=0.0.1"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m receptorkin.demo demo-output --force

test: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile

conformance: $(STAMP)
	RECEPTORKIN_CONFORMANCE=all $(PY) -m pytest -q -n $(JOBS) tests/test_sbml_test_suite.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

models: $(STAMP)
	$(PY) -m receptorkin.models

clean:
	rm -rf $(VENV) demo-output bench-output .pytest_cache
