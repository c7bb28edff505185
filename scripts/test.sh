#!/usr/bin/env bash
# The test command: lint, type-check, then the whole test suite (real weights, real espeak,
# a private PulseAudio device, real databases and a real browser; see README "Tests").
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check voicesim tests scripts
.venv/bin/mypy voicesim
.venv/bin/python -m pytest "$@"
