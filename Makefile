# CNN Classics: set-up and checks. Needs Python 3.11 (with its venv module) and make; nothing else.
#   make lab        create .venv, install everything (requirements-dev.txt), open the course in JupyterLab
#   make test       install, then lint + unit tests + every notebook under nbval (smoke profile)
#   make notebooks  re-execute every notebook top to bottom in the classroom profile (commit after)
#   make bench      the benchmark suite (benchmarks/run.py), each figure a ratio against a reference measured
#                   in the same run; results/<profile>/benchmarks/*.json. One or a few: make bench NAME=lenet
#                   (NAME="lenet models"); COURSE_PROFILE=smoke make bench for a quick check that it runs
#   make gpu-check  on a GPU machine: each training notebook's networks in the gpu and full profiles, a few timed
#                   steps each (step time, images/s, peak GPU memory): results/<profile>/benchmarks/gpu_check.json
#   make fetch      download MNIST, Fashion-MNIST and CIFAR-10 into the Keras cache (before class)
#   make site       the course as a book site in build/site (open build/site/index.html): Sphinx with myst-nb and
#                   sphinx-book-theme (requirements-dev.txt) on a processed copy of the notebooks, committed outputs,
#                   nothing executed; search, Binder/Colab buttons, references, reveal.js slides per notebook. MathJax
#                   and reveal.js come from npm (pinned below, into build/npm): the site loads nothing from elsewhere
#   make test-browser  every notebook run in JupyterLab in headless Chromium, widgets moved, launch paths
#                      (CI runs it after make test; installs chromium with browser-deps first)
#   make test-colab    every notebook in smoke, run as on Colab: Python 3.12 with Colab's versions (ci/colab-versions.txt),
#                      course_utils installed by pip (not editable), notebooks run outside the checkout, and the
#                      explorers driven with Colab's ipywidgets 7.7.1 (CI runs it)
#   make test-keras-oldest  the Keras adapter's tests on the oldest Keras pyproject.toml allows (keras>=3.3), in
#                      a venv of its own under build/ (CI runs it after make test)
#   make browser-deps  Debian's chromium (apt-get, sudo when not root) unless $(CHROMIUM) exists;
#                      elsewhere: make test-browser CHROMIUM=/path/to/chrome
#   make lab LAB_ARGS="--port=9999 --no-browser"   extra JupyterLab options
#   make PYTHON=/path/to/python3.12 lab             another interpreter (Python 3.10 to 3.13)
# The first of python3.11, 3.12, 3.13, 3.10, python3 found on PATH (3.11 is the version the notebooks were run with).
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3.10 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# JupyterLab settings overrides (binder/overrides.json: no news pop-up, no update check) in the venv's lab
LAB_SETTINGS := $(VENV)/.lab-settings-installed
NB ?=
NAME ?=
LAB_ARGS ?=
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
R2D := build/repo2docker/bin/repo2docker
REPO2DOCKER_VERSION := 2026.4.0
# make site: the JavaScript the site serves (MathJax 3, reveal.js), from the npm registry into build/npm
SITE_NPM_PINS := mathjax@3.2.2 reveal.js@5.2.1
SITE_NPM := build/npm/.installed

# The oldest Keras (and a TensorFlow it runs on) that pyproject.toml declares: keras>=3.3, tensorflow>=2.16
KERAS_OLDEST := build/keras-oldest/bin/python
KERAS_OLDEST_PINS := keras==3.3.3 tensorflow-cpu==2.16.2 "numpy<2" pytest==8.3.5

# Colab's Python (ci/colab-versions.txt names it): the first python3.12 that runs (pyenv keeps it in versions/)
COLAB_PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v "$$p"; break; }; done)
COLAB := build/colab/bin/python

.PHONY: install lab test test-browser test-colab test-keras-oldest browser-deps lint unit nbval notebooks fetch sync site clean-venv check-python gpu-check

install: $(STAMP) $(LAB_SETTINGS)

# Stops with what to install when $(PYTHON) is missing, is not Python 3.10-3.13, or lacks venv/ensurepip
# (Debian and Ubuntu ship those separately: python3.X-venv). Runs before any venv is created.
define check_python
@if [ -z "$(PYTHON)" ] || ! command -v "$(PYTHON)" >/dev/null 2>&1; then \
	echo "error: no Python found (looked for python3.11, 3.12, 3.13, 3.10, then python3, on PATH)." \
		"Install Python 3.11 (3.10-3.13 work), or run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; fi
@version=$$("$(PYTHON)" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); \
if [ -z "$$version" ]; then \
	echo "error: $(PYTHON) did not run as Python. Install Python 3.11 (3.10-3.13 work), or run:" \
		"make PYTHON=/path/to/python3.11 ..." >&2; exit 1; \
else case "$$version" in 3.10|3.11|3.12|3.13) ;; *) \
	echo "error: $(PYTHON) is Python $$version; the course needs Python 3.10 to 3.13 (3.11 preferred)." \
		"Install one, or run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1;; esac; fi
@"$(PYTHON)" -c 'import venv, ensurepip' 2>/dev/null || { \
	echo "error: $(PYTHON) has no venv module (or no ensurepip), so it cannot create a virtual environment." \
		"On Debian/Ubuntu: sudo apt-get install" \
		"python$$("$(PYTHON)" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv" >&2; exit 1; }
endef

check-python:
	$(check_python)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(check_python)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(LAB_SETTINGS): binder/overrides.json scripts/install_lab_settings.py $(STAMP)
	$(BIN)/python scripts/install_lab_settings.py
	touch $(LAB_SETTINGS)

lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS) notebooks/00_start_here.ipynb

lint: install
	$(BIN)/ruff check course_utils tests tests_browser scripts notebooks benchmarks

# TEST_WORKERS pytest-xdist processes share the suite; --dist loadscope keeps each notebook (one kernel, cells in
# order) and each test module on one worker. TEST_WORKERS=0: one process, as before.
TEST_WORKERS ?= 2
test: install lint $(SITE_NPM)
	COURSE_PROFILE=smoke $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope --durations=10 \
		--doctest-modules course_utils tests --nbval notebooks --nbval-sanitize-with notebooks/nbval_sanitize.cfg

# The adapter to Keras internals (course_utils/keras_internals.py) on the oldest Keras the package supports; the
# test loads that one module by its path, so nothing else of the course needs to run on the old versions.
$(KERAS_OLDEST):
	$(check_python)
	$(PYTHON) -m venv build/keras-oldest
	build/keras-oldest/bin/python -m pip install --quiet $(KERAS_OLDEST_PINS)

test-keras-oldest: $(KERAS_OLDEST)
	$(KERAS_OLDEST) -c 'import keras; print("keras", keras.__version__)'
	$(KERAS_OLDEST) -m pytest -q --noconftest -p no:cacheprovider tests/test_keras_internals.py

# The Colab-like environment: Colab's preinstalled versions first, then course_utils as its first cell installs it
# (pip, from the checkout, with its dependencies, not editable). -c keeps Colab's versions, as there: pip picks the
# other packages to fit them, where on Colab they are preinstalled and fit already.
$(COLAB): ci/colab-versions.txt
	@[ -n "$(COLAB_PYTHON)" ] || { echo "error: no Python 3.12 found for the Colab-like check;" \
		"install it, or run: make test-colab COLAB_PYTHON=/path/to/python3.12" >&2; exit 1; }
	rm -rf build/colab
	$(COLAB_PYTHON) -m venv build/colab
	$(COLAB) -m pip install --quiet --upgrade pip
	$(COLAB) -m pip install --quiet -r ci/colab-versions.txt nbclient ipykernel

test-colab: $(COLAB)
	$(COLAB) -m pip install --quiet --force-reinstall --no-deps --no-cache-dir . && $(COLAB) -m pip install --quiet . -c ci/colab-versions.txt
	$(COLAB) -I -c 'import course_utils, keras, tensorflow as tf; print("Colab-like:", tf.__version__, keras.__version__, course_utils.__file__)'
	$(COLAB) scripts/run_colab_check.py
	$(COLAB) -I tests/test_widgets.py  # the explorers driven with Colab's ipywidgets 7.7.1 (no pytest there)

# Headless Chromium from Debian (Playwright drives it; it never downloads a browser of its own).
browser-deps:
	@if [ -x $(CHROMIUM) ]; then echo "chromium: $(CHROMIUM) is there"; else \
		$(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			chromium fonts-dejavu-core; fi

# repo2docker is a test tool, not a course dependency: its own venv under build/ (gitignored). Without a
# Docker engine it can still check binder/ (--no-build writes the Dockerfile it would build).
$(R2D):
	$(check_python)
	$(PYTHON) -m venv build/repo2docker
	build/repo2docker/bin/python -m pip install --quiet jupyter-repo2docker==$(REPO2DOCKER_VERSION)

test-browser: install browser-deps $(R2D) $(SITE_NPM)
	COURSE_PROFILE=smoke CHROMIUM=$(CHROMIUM) REPO2DOCKER=$(R2D) $(BIN)/python -m pytest -q -n $(TEST_WORKERS) tests_browser

notebooks: install
	COURSE_PROFILE=classroom $(BIN)/python scripts/run_notebooks.py $(NB)
	$(BIN)/python scripts/sync_course.py

sync: install
	$(BIN)/python scripts/sync_course.py

# The site's JavaScript from the npm registry (needs node and npm), pinned, into build/npm (gitignored); reinstalled
# when this Makefile changes (a new pin)
$(SITE_NPM): Makefile
	@command -v npm >/dev/null || { echo "error: make site needs npm (Debian: apt-get install npm)" >&2; exit 1; }
	rm -rf build/npm && mkdir -p build/npm
	npm install --prefix build/npm --no-save --no-package-lock --no-audit --no-fund $(SITE_NPM_PINS)
	touch $@

site: install $(SITE_NPM)
	$(BIN)/python scripts/make_site.py

bench: install
	COURSE_PROFILE=$${COURSE_PROFILE:-classroom} $(BIN)/python benchmarks/run.py $(NAME)

# On a machine with a GPU (and TensorFlow's GPU build: README, GPU): every training notebook's networks in the gpu
# and full profiles, STEPS timed training steps each; results/<profile>/benchmarks/gpu_check.json
STEPS ?= 20
gpu-check: install
	$(BIN)/python scripts/gpu_check.py --steps $(STEPS)

fetch: install
	$(BIN)/python -m course_utils fetch all

clean-venv:
	rm -rf $(VENV)
