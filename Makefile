# Two commands on a fresh machine (Python >= 3.11):
#   make demo   set up .venv and run groundset on the bundled demo corpus (CPU, offline)
#   make test   set up .venv and run the test suite
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test test-any-order bench clean-demo

venv:
	bash scripts/setup-venv.sh

# The demo asks for 25 KEPT rows: the bundled 135M model writes only the questions, for verbatim passages of the
# tutorial (task backtranslate), and generate and gate alternate until 25 pass. Exit 3 (partial) means a budget
# stopped it first; rounds.json says which, with the yield of every reject reason.
demo: venv
	@rc=0; $(BIN)/groundset --workdir demo-work run --config groundset/demo/groundset.toml || rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "demo: stopped before 25 kept rows; demo-work/rounds.json says why, demo-work/report.html shows the rows"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; \
	else echo "demo: 25 kept rows in demo-work/export/qa/, report in demo-work/report.html"; fi

# The suite must pass in any order: `make test` (what CI runs) shuffles it with a fixed seed, so that a failure is
# reproducible; `make test-any-order` shuffles with a new seed each time.
TEST_SEED ?= 20261201

test: venv
	$(BIN)/python -m pytest -q -ra -p randomly -p no:cacheprovider --randomly-seed=$(TEST_SEED)

test-any-order: venv
	$(BIN)/python -m pytest -q -ra -p randomly -p no:cacheprovider

bench: venv
	$(BIN)/python benchmarks/ingest.py

clean-demo:
	rm -rf demo-work
