# One command to install and start, one to install and test (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: run demo test bench install install-dev

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) -m streamlit run app.py

demo: install
	$(PY) -m core.cli unlearn --model relu --forget 3

test: install-dev
	$(PY) -m pytest -q

bench: install-dev
	$(PY) -m pip install -q torch==2.13.0 || true
	$(PY) benchmarks/bench_train.py
