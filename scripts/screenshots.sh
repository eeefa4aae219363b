#!/usr/bin/env bash
# Regenerate the README screenshots: the demo scan of the simulated lab, in a real X window
# on a virtual screen (Xvfb), saved by `camaudit demo --scan --screenshot`.  Root (the lab).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh
mkdir -p docs
DB="$(mktemp -d)/demo.sqlite"
xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$ROOT/.venv/bin/camaudit" demo --scan --screenshot docs/screenshot-devices.png --db "$DB"
echo "docs/screenshot-devices.png, -summary.png, -history.png updated"
