# Two commands for a newcomer:
#   make run    set everything up, build the site, serve it on http://127.0.0.1:8000/
#               with rebuild on change (and the comment intake beside it)
#   make test   set everything up and run the whole test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup html publish clean benchmark

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/colloquy dev

html: setup
	$(BIN)/pelican -s pelicanconf.py

# The published site: built into a fresh folder and swapped in only if the build succeeds.
publish: setup
	$(BIN)/colloquy --settings publishconf.py build

test: setup
	scripts/ensure-chromium
	$(BIN)/python -m pytest

benchmark: setup
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/intake.py

clean:
	rm -rf output cache
