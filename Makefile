# CNN Classics: set-up and checks. Needs Python 3.11 and make; nothing else.
#   make lab        create .venv, install everything, open the course in JupyterLab
#   make test       install, then lint + unit tests + every notebook under nbval (smoke profile)
#   make notebooks  re-execute every notebook top to bottom in the classroom profile (commit after)
#   make fetch      download MNIST, Fashion-MNIST and CIFAR-10 into the Keras cache (before class)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB ?=

.PHONY: install lab test lint unit nbval notebooks fetch sync clean-venv

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks 00_start_here.ipynb

lint: install
	$(BIN)/ruff check course_utils tests scripts notebooks

test: install lint
	COURSE_PROFILE=smoke $(BIN)/python -m pytest -q --doctest-modules course_utils tests \
		--nbval notebooks --nbval-sanitize-with notebooks/nbval_sanitize.cfg

notebooks: install
	COURSE_PROFILE=classroom $(BIN)/python scripts/run_notebooks.py $(NB)
	$(BIN)/python scripts/sync_course.py

sync: install
	$(BIN)/python scripts/sync_course.py

fetch: install
	$(BIN)/python -m course_utils fetch all

clean-venv:
	rm -rf $(VENV)
