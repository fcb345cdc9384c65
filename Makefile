# Two commands on a fresh machine (Python >= 3.11):
#   make demo   set up .venv and run groundset on the bundled demo corpus (CPU, offline)
#   make test   set up .venv and run the test suite
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo test test-any-order bench clean-demo

venv:
	bash scripts/setup-venv.sh

# Exit 3 (partial) is the demo's usual outcome: the bundled 135M model mostly writes answers its sources do not
# support, and the gate rejecting them is what the demo shows. Anything else non-zero is a real failure.
demo: venv
	@rc=0; $(BIN)/groundset --workdir demo-work run --config groundset/demo/groundset.toml || rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "demo: finished; exit 3 (partial) is expected with the bundled 135M model, see demo-work/report.html"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

# The suite must pass in any order: `make test` (what CI runs) shuffles it with a fixed seed, so that a failure is
# reproducible; `make test-any-order` shuffles with a new seed each time (`-p randomly -p no:cacheprovider`).
TEST_SEED ?= 20261201

test: venv
	$(BIN)/python -m pytest -q -ra -p randomly -p no:cacheprovider --randomly-seed=$(TEST_SEED)

test-any-order: venv
	$(BIN)/python -m pytest -q -ra -p randomly -p no:cacheprovider

bench: venv
	$(BIN)/python benchmarks/ingest.py

clean-demo:
	rm -rf demo-work
