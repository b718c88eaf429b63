#!/usr/bin/env bash
# Keel benchmarks: `bench/run.sh all` runs every scenario and prints the final table.
# See bench/README.md; any argument of bench/run.py works here (e.g. `bench/run.sh create --db postgres`).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python bench/run.py "$@"
