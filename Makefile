# One command to install and start, one to install and test (see README.md).
# Paths from the Makefile's own directory: `make -C <dir> run` or `make -f <dir>/Makefile run`
# work from anywhere (the server reads .streamlit/config.toml beside app.py: loopback only).
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
VENV ?= $(ROOT)/.venv
PY := $(VENV)/bin/python
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export NUMBA_CACHE_DIR ?= $(ROOT)/.numba_cache

.PHONY: run demo test lint bench fuzz install install-dev

$(VENV)/.installed: $(ROOT)/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -r $(ROOT)/requirements.txt
	touch $@

$(VENV)/.installed-dev: $(ROOT)/requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install -q -r $(ROOT)/requirements-dev.txt
	touch $@

# Compile the Numba kernels into NUMBA_CACHE_DIR during installation (again only when a
# kernel source changes): the first start then loads them instead of compiling for ~1 min.
KERNEL_SOURCES := $(wildcard $(ROOT)/core/*kernels.py) $(ROOT)/core/jit.py
$(VENV)/.compiled: $(VENV)/.installed $(KERNEL_SOURCES)
	cd $(ROOT) && $(PY) -m explorer.warmup
	touch $@

install: $(VENV)/.installed $(VENV)/.compiled
install-dev: $(VENV)/.installed-dev $(VENV)/.compiled

run: install
	cd $(ROOT) && $(PY) -m streamlit run $(ROOT)/app.py

demo: install
	$(PY) -m explorer unlearn --model relu --forget 3

lint: install-dev
	$(VENV)/bin/ruff check .

test: install-dev lint
	$(PY) -m pytest -q

# The fuzz battery's long profile (tests/test_fuzz.py; `make test` runs its one-minute
# profile): about 60,000 generated inputs; the table lands in test-artifacts/fuzz_long.md.
fuzz: install-dev
	HYPOTHESIS_PROFILE=long $(PY) -m pytest tests/test_fuzz.py -q -p no:cacheprovider

bench: install-dev
	$(PY) -m pip install -q torch==2.13.0 || true
	$(PY) benchmarks/bench_train.py
