# Two commands on a fresh machine (Python >= 3.11):
#   make demo   set up .venv and run groundset on the bundled demo corpus (CPU, offline)
#   make test   set up .venv and run the test suite
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test bench clean-demo

venv:
	bash scripts/setup-venv.sh

demo: venv
	$(BIN)/groundset --workdir demo-work run --config groundset/demo/groundset.toml

test: venv
	$(BIN)/python -m pytest -q -ra

bench: venv
	$(BIN)/python benchmarks/ingest.py

clean-demo:
	rm -rf demo-work
