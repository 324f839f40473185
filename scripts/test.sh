#!/usr/bin/env bash
# Installs what is missing, builds hito (dev preset, warnings as errors) and runs the whole
# ctest suite: unit, vectors, fuzz smoke, simulation and end-to-end tests.
# Extra arguments go to ctest, e.g. ./scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset dev
cmake --build --preset dev -j "$(nproc)"
ctest --preset dev -j "$(nproc)" "$@"
