#!/usr/bin/env bash
# Set up (Debian packages, .venv, Python deps) and run the whole test suite:
# ruff (lint + format check), mypy, the data self-test, then pytest (unit + lab tests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
PY="$ROOT/.venv/bin/python"
export QT_QPA_PLATFORM=offscreen CAMAUDIT_LAB_ONLY=1
echo "== ruff"; "$PY" -m ruff check . && "$PY" -m ruff format --check .
echo "== mypy"; "$PY" -m mypy .
echo "== pytest"; "$PY" -m pytest "$@"
