#!/usr/bin/env bash
# Set up (Debian packages, .venv, Python deps) and run the demo on the simulated lab.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
exec "$ROOT/.venv/bin/camaudit" demo "$@"
