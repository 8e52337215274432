# CNN Classics: set-up and checks. Needs Python 3.11 and make; nothing else.
#   make lab        create .venv, install everything, open the course in JupyterLab
#   make test       install, then lint + unit tests + every notebook under nbval (smoke profile)
#   make notebooks  re-execute every notebook top to bottom in the classroom profile (commit after)
#   make fetch      download MNIST, Fashion-MNIST and CIFAR-10 into the Keras cache (before class)
#   make test-browser  real-browser tests: every notebook run in JupyterLab in headless Chromium
#   make browser-deps  install Debian's chromium (apt-get; sudo when not root) if /usr/bin/chromium is missing
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?=
LAB_ARGS ?=
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install lab test test-browser browser-deps lint unit nbval notebooks fetch sync clean-venv

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(LAB_ARGS) 00_start_here.ipynb

lint: install
	$(BIN)/ruff check course_utils tests tests_browser scripts notebooks

test: install lint
	COURSE_PROFILE=smoke $(BIN)/python -m pytest -q --doctest-modules course_utils tests \
		--nbval notebooks --nbval-sanitize-with notebooks/nbval_sanitize.cfg

# Headless Chromium from Debian (Playwright drives it; it never downloads a browser of its own).
browser-deps:
	@if [ -x $(CHROMIUM) ]; then echo "chromium: $(CHROMIUM) is there"; else \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; fi

test-browser: install browser-deps
	COURSE_PROFILE=smoke CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -q tests_browser

notebooks: install
	COURSE_PROFILE=classroom $(BIN)/python scripts/run_notebooks.py $(NB)
	$(BIN)/python scripts/sync_course.py

sync: install
	$(BIN)/python scripts/sync_course.py

fetch: install
	$(BIN)/python -m course_utils fetch all

clean-venv:
	rm -rf $(VENV)
