# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run    create .venv, install, run the quick profile of the main job (runs/quick/report.md)
#   make test   create .venv, install, lint, run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU wheel kept on the project's machines; override (e.g. TORCH=torch) elsewhere.
TORCH ?= torch==2.13.0
# Data sets are found without it (../shared/data beside a checkout, else the user cache, filled
# by a verified download); set DATA_DIR=/path to use a folder holding mnist/ and fashion-mnist/.
DATA_DIR ?=
DATA_ENV := $(if $(DATA_DIR),NEUROACT_DATA_DIR=$(abspath $(DATA_DIR)))
OUT ?= runs/quick
PROFILE ?= quick
# the test suite on two processes, each test file kept on one (its fixtures are built once)
PYTEST_WORKERS ?= 2

.PHONY: install run full figures data test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/neuroact run --profile $(PROFILE) --out $(OUT)

full: install
	$(DATA_ENV) $(BIN)/neuroact run --profile full --out runs/full

# Download MNIST and Fashion-MNIST into the user cache ahead of a full run (verified).
data: install
	$(BIN)/neuroact data fetch

# Redraw the full run's figures from its tables and refresh the committed copies: the figures in
# figures/, the tables small enough to commit (under 240 kB) in results/full/, then the claims and
# the report (report.md, report.html) of results/full/ from those tables and figures.
figures: install
	$(BIN)/neuroact figures runs/full
	cd runs/full && find . -name '*.png' -not -path '*/jobs/*' -exec cp --parents {} ../../figures/ \;
	cd runs/full && find . \( -name '*.csv' -o -name '*.json' \) -not -path '*/jobs/*' -size -240k \
		-exec cp --parents {} ../../results/full/ \;
	$(BIN)/python -c 'from neuroact.report import write_report; \
		write_report("results/full", "full", figures="figures")'

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(DATA_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
