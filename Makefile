# Attention Masks, Step by Step: the two commands are `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BUILD  := _build/html

# Quiet, reproducible TensorFlow in every notebook kernel the build starts.
export TF_CPP_MIN_LOG_LEVEL  := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED        := 0
export IPYTHONDIR            := $(CURDIR)/.ipython

BOOK_SOURCES := _config.yml _toc.yml intro.md pitfalls.md references.md api.md $(wildcard api/*.md) constraints.txt .ipython/profile_default/ipython_kernel_config.py \
                $(wildcard chapters/*.md) $(wildcard lib/*.py) $(wildcard data/*) $(wildcard _ext/*.py) $(wildcard _ext/static/*)

.PHONY: help setup book lint test test-extended test-live test-fast test-determinism test-archive lab serve clean bench \
        versions versions-check
help:
	@echo "make book   set up .venv and build the HTML book into $(BUILD)"
	@echo "make test   set up, build the book (strict) and run every test"
	@echo "make lab    JupyterLab on chapters/ (MyST chapters open as notebooks)"
	@echo "make serve  the built book on http://127.0.0.1:8000"
	@echo "make bench  time the build, notebooks, sliders and page weights (bench/results.md)"
	@echo "make clean  remove the build, the vendored scripts and .venv"

# --- set-up -----------------------------------------------------------------
setup: $(VENV)/.installed _vendor/.stamp

$(VENV)/.installed: requirements.txt requirements-nodeps.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $$(grep -E '^(pip|setuptools)==' constraints.txt)
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	# tf-keras asks for `tensorflow`, not the tensorflow-cpu above: install it without dependencies
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt -c constraints.txt
	touch $@

# constraints.txt: every package resolved from requirements.txt and requirements-nodeps.txt,
# pinned, for Python 3.11. lock-overrides.txt keeps tf-keras's `tensorflow` requirement out.
# Re-run after editing either file; pins already in constraints.txt are kept where possible.
.PHONY: lock
lock: $(VENV)/.installed
	$(BIN)/uv pip compile requirements.txt requirements-nodeps.txt --override lock-overrides.txt \
	  --python-version 3.11 --output-file constraints.txt --no-emit-package attention-masks-lib \
	  --custom-compile-command "make lock  (= uv pip compile requirements.txt requirements-nodeps.txt --override lock-overrides.txt --python-version 3.11)" --quiet

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

_vendor/.stamp: node_modules/.package-lock.json tools/vendor.py $(VENV)/.installed
	$(BIN)/python tools/vendor.py
	touch $@

# --- the book ---------------------------------------------------------------
# A failing cell or any Sphinx warning fails the build (-W --keep-going reports them all first).
# Notebooks run in parallel (one per core, $$BOOK_JOBS to change) and are cached under a hash of
# lib/, data/, constraints.txt and the kernel profile (_ext/execution_cache.py): a notebook runs
# again when its code or any of those changes. Sphinx re-reads only changed pages, except after
# a failed build: then every page is read again, so no warning hides in an unchanged page.
$(BUILD)/.built: $(BOOK_SOURCES) $(VENV)/.installed _vendor/.stamp
	@test -f $@ || rm -rf _build/.doctrees
	@rm -f $@
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	touch $@

book: setup $(BUILD)/.built
	@echo "The book is built: open $(CURDIR)/$(BUILD)/index.html (or run: make serve)"

# --- tests ------------------------------------------------------------------
# ruff (settings in pyproject.toml) lints every Python file; `$(BIN)/ruff check --fix` repairs most.
lint: setup
	$(BIN)/ruff check .

test: setup lint $(BUILD)/.built
	$(BIN)/python -m pytest -m "not archive and not extended and not live"

# The sliders in a live JupyterLab (chapters 2 and 12): a fresh JupyterLab per chapter, with every
# Jupyter folder in a temporary one, Run All, a slider moved, the figure redrawn. Needs only .venv,
# not the built book. Under a minute on a quiet 2-core machine, 5-6 minutes on a busy one, so not in make test; .ci/run calls
# it. (Its flakiness on 2026-11-30, Run All executing no cell, was the test clicking Run All
# before the notebook had a kernel: see tests/test_live_notebook.py.)
test-live: setup
	$(BIN)/python -m pytest -m live

# The build machinery (parallel and cached execution, a failing cell fails the build: small
# books built in temporary folders). About 3 minutes quiet, 5 busy, so not in make test; .ci/run calls it.
test-extended: setup $(BUILD)/.built
	$(BIN)/python -m pytest -m extended

test-determinism: setup $(BUILD)/.built
	$(BIN)/python -m pytest -m determinism

# The notebook archive, unzipped into a fresh venv by its README's command; one chapter runs there.
# A few minutes (TensorFlow installs from pip's cache), so not in make test; .ci/run calls it.
test-archive: setup $(BUILD)/.built
	$(BIN)/python -m pytest -m archive

test-fast: setup lint
	$(BIN)/python -m pytest -m "not build and not browser"

# --- the Keras version matrix (not part of make test; .ci/run runs versions-check after it) --
# Throwaway environments under _build/keras-versions/ for Keras 3.7, 3.8, 3.9, 3.10 and the
# pinned 3.15.1, each with a TensorFlow it accepts; tf-keras is probed in .venv.
versions: setup
	$(BIN)/python tools/keras_versions.py

versions-check: setup
	$(BIN)/python tools/keras_versions.py --check

# --- reading and running ----------------------------------------------------
lab: setup
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --notebook-dir=chapters $(if $(filter 0,$(shell id -u)),--allow-root)

serve:
	@test -f $(BUILD)/index.html || { echo "No book yet: run make book"; exit 1; }
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory $(BUILD)

clean:
	rm -rf _build _vendor node_modules $(VENV) .pytest_cache .hypothesis

# --- benchmark (not part of make test) ----------------------------------------
.PHONY: bench
bench: setup $(BUILD)/.built
	$(BIN)/python bench/run.py $(BENCH_ARGS)
