# Two commands do all the set-up on a fresh machine (Python 3.11 with venv):
#   make run    install the workflow in .venv and run it on the synthetic cohort
#   make test   install the workflow and its test tools, then run the tests
CORES ?= 2
PYTHON ?= python3
VENV := .venv

.PHONY: run test test-data config-reference

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/snakemake --cores $(CORES)

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest

# The real resting-state run some tests use (66 MB, from the rapidtide 2.4.0
# wheel on PyPI, checked by SHA-256); the tests fetch it themselves when absent.
test-data: $(VENV)/.installed
	$(VENV)/bin/python tests/testdata.py

# config/README.md, rendered from the config's schema (a test checks it is current).
config-reference: $(VENV)/.installed
	$(VENV)/bin/python tools/config_reference.py
