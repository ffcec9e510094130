#!/usr/bin/env bash
# Runs the suite; a run that collects no test is a failure, not a silent pass.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts
.venv/bin/pytest -q --durations=8 "$@"
