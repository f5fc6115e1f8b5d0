# drs-book: two commands do everything.
#   make book          set up, execute every notebook in _toc.yml at paper scale, build _build/html
#   make book QUICK=1  the same with each notebook's small quick parameters (_build/quick-book/_build/html)
#   make test          set up, run the library's tests, nbval on the quick-mode notebooks, then
#                      build the quick-mode book and check every page in headless Chromium
#   make check-book    only the last step: quick-mode book + page check (screenshots in _build/screenshots)
#   make test-portability  the tests and quick notebooks under other CPU kernels (tools/check_portability.py)
#   make publish       push the paper-scale book to the gh-pages branch (ghp-import)
#
# Setup: a .venv in the checkout from the pinned lock (requirements.txt). Inside an activated
# conda env made from environment.yml (name drs-book), that env is used instead.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv

ifeq ($(CONDA_DEFAULT_ENV),drs-book)
  BIN :=
  SETUP_STAMP := .cache/conda-env.stamp
else
  BIN := $(abspath $(VENV))/bin/
  SETUP_STAMP := $(VENV)/.installed
  # papermill's kernel and jupyter-book must come from the same environment.
  export PATH := $(abspath $(VENV))/bin:$(PATH)
endif
PY := $(BIN)python
# drs_book (the book's machinery: claims, style, report, params, cache, regime, plotting) is not
# installed: the checkout's root on PYTHONPATH gives it to the tools, papermill's kernels and pytest.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

MODE := $(if $(filter-out 0,$(QUICK)),quick,full)
# Notebooks are listed once, in _toc.yml, as book/executed/<name> (the root page included).
NOTEBOOKS := $(shell sed -n -e 's|^root: *book/executed/\([A-Za-z0-9_]*\) *$$|\1|p' \
                            -e 's|^ *- *file: *book/executed/\([A-Za-z0-9_]*\) *$$|\1|p' _toc.yml)
LIB_SOURCES := $(shell find drs_lib drs_book -name '*.py' -not -path '*/__pycache__/*')
EXECUTED_FULL := $(NOTEBOOKS:%=_build/executed/full/%.ipynb)
EXECUTED_QUICK := $(NOTEBOOKS:%=_build/executed/quick/%.ipynb)
EXECUTED := $(if $(filter quick,$(MODE)),$(EXECUTED_QUICK),$(EXECUTED_FULL))
BOOK_SOURCES := _config.yml _toc.yml CITATION.cff $(wildcard book/*.md book/*.bib) tools/drs_book_sphinx.py tools/book_provenance.py tools/book_static/drs-book.css tools/book_static/drs-book.js
# The runner and what it applies to every executed notebook (reader view, run facts).
RUNNER := tools/execute_notebook.py tools/reader_view.py tools/run_facts.py
# Each mode builds its own HTML (and Sphinx environment), so a quick build never passes for a full one.
HTML_FULL := _build/html
HTML_QUICK := _build/quick-book/_build/html
HTML := $(if $(filter quick,$(MODE)),$(HTML_QUICK),$(HTML_FULL))

.PHONY: help setup book notebooks test test-lib test-install test-notebooks test-portability check-book publish benchmark sweep sweep-switched clean

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

setup: $(SETUP_STAMP)

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

.cache/conda-env.stamp: requirements.txt pyproject.toml
	@mkdir -p .cache
	python -c "import drs_lib, drs_book, papermill, jupyter_book, nbval" || { echo "error: the drs-book conda env lacks packages; run: conda env update -f environment.yml" >&2; exit 1; }
	touch $@

# Each executed notebook also depends on the drs_lib modules it imports (generated list).
_build/deps.mk: _toc.yml $(wildcard notebooks/*.md) $(LIB_SOURCES) tools/notebook_deps.py
	@mkdir -p _build
	$(PYTHON) tools/notebook_deps.py $(NOTEBOOKS) > $@.tmp && mv $@.tmp $@
ifeq ($(filter help clean,$(MAKECMDGOALS)),)
include _build/deps.mk
endif

# The runner prints one line as each notebook starts and one as it ends (seconds; models read
# from the cache or trained).
_build/executed/full/%.ipynb: notebooks/%.md $(RUNNER) $(SETUP_STAMP)
	@$(PY) tools/execute_notebook.py $< $@ --mode full

_build/executed/quick/%.ipynb: notebooks/%.md $(RUNNER) $(SETUP_STAMP)
	@$(PY) tools/execute_notebook.py $< $@ --mode quick

# Claims pages (00_*: the landing page and the claims summary) read every chapter's
# results/claims/*.csv, so they are executed after all the other notebooks of the same mode.
CLAIMS_PAGES := $(filter 00_%,$(NOTEBOOKS))
CHAPTERS := $(filter-out $(CLAIMS_PAGES),$(NOTEBOOKS))
$(CLAIMS_PAGES:%=_build/executed/full/%.ipynb): $(CHAPTERS:%=_build/executed/full/%.ipynb)
$(CLAIMS_PAGES:%=_build/executed/quick/%.ipynb): $(CHAPTERS:%=_build/executed/quick/%.ipynb)

notebooks: $(EXECUTED)

# The book is built from copies of the executed notebooks (cp -p keeps their times, so
# Sphinx rebuilds only pages whose notebook changed); Jupyter Book never executes anything.
# $(1): the executed notebooks, $(2): jupyter-book's --path-output.
define build_book
	mkdir -p book/executed
	rm -f $(filter-out $(NOTEBOOKS:%=book/executed/%.ipynb),$(wildcard book/executed/*.ipynb))
	cp -p $(1) book/executed/
	$(BIN)jupyter-book build . --path-output $(2) --warningiserror --keep-going --quiet
endef

$(HTML_FULL)/index.html: $(EXECUTED_FULL) $(BOOK_SOURCES) $(SETUP_STAMP)
	$(call build_book,$(EXECUTED_FULL),.)
	touch $@

$(HTML_QUICK)/index.html: $(EXECUTED_QUICK) $(BOOK_SOURCES) $(SETUP_STAMP)
	$(call build_book,$(EXECUTED_QUICK),_build/quick-book)
	touch $@

book: $(HTML)/index.html
	@echo "book: $(HTML)/index.html ($(MODE) mode)"

test-lib: $(SETUP_STAMP)
	$(PY) -m pytest tests

# Only the install tests (part of test-lib too): each install line of the README into a fresh
# virtual environment, as a user installs it (tests/test_install.py; needs PyPI or pip's cache).
test-install: $(SETUP_STAMP)
	$(PY) -m pytest tests/test_install.py

test-notebooks: $(EXECUTED_QUICK)
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider $(EXECUTED_QUICK)

# Every page of the quick-mode book in headless Chromium at 1400 and 400 px (tools/check_pages.py);
# known failures are listed in tools/check_pages_expected.txt (the list may only shrink).
check-book: $(HTML_QUICK)/index.html $(SETUP_STAMP)
	bash tools/ensure_chromium.sh
	$(PY) tools/check_pages.py $(HTML_QUICK) --screenshots _build/screenshots --expected tools/check_pages_expected.txt

test: test-lib test-notebooks check-book

# The tests under three other CPU kernels (OpenBLAS Prescott, torch's generic vector kernels, MKL's
# compatible matmuls), then every quick notebook under all three with no model cache, compared
# with the native quick run (tools/check_portability.py says what and why).
test-portability: $(EXECUTED_QUICK) $(SETUP_STAMP)
	$(PY) tools/check_portability.py

# As Jupyter Book documents it: the built HTML goes to the gh-pages branch of the `origin`
# remote (needs push rights; not exercised here, where there is no remote).
publish: $(HTML_FULL)/index.html
	$(BIN)ghp-import --no-jekyll --push --force $(HTML_FULL)

benchmark: $(SETUP_STAMP)
	$(PY) benchmarks/run_all.py

# The 25-Gaussian GAN regime sweep (about an hour on 2 cores); the appendix reads its CSV.
# Settings already in the CSV are kept: delete it to rerun everything.
sweep: $(SETUP_STAMP)
	$(PY) tools/sweep_mixture.py --out book/data/regime_sweep.csv

# The chosen setting re-trained as on another CPU (the selection rule requires its regime there too).
# Up to the snapshot after the chosen one (enough to judge it; a constant-rate run's snapshots are the same).
SWITCHED_UNTIL ?= $(shell $(PY) -c "from drs_book import regime; p = regime.gan_preset('paper_regime'); s = regime.SWEEP_SETTINGS[p['setting']]; print(p['budget_step'] + s['eval_every'])")
SWITCHED_SETTINGS ?= $(shell $(PY) -c "from drs_book import regime; print(regime.gan_preset('paper_regime')['setting'])")
sweep-switched: $(SETUP_STAMP)
	env -u OPENBLAS_CORETYPE MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=default $(PY) tools/sweep_mixture.py \
	  --out book/data/regime_sweep.csv --numerics switched --only "$(SWITCHED_SETTINGS)" --until $(SWITCHED_UNTIL)

# The appendix reads the committed sweep CSV.
_build/executed/full/A1_gan_regime.ipynb _build/executed/quick/A1_gan_regime.ipynb: book/data/regime_sweep.csv
# The claims page and the landing page mark the verdicts that moved in a build under other CPU kernels.
_build/executed/full/00_claims.ipynb _build/executed/full/00_intro.ipynb: $(wildcard book/data/verdicts_other_kernels.csv)

clean:
	rm -rf _build book/executed
