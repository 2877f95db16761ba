#!/usr/bin/env bash
# Builds ssmc and runs every test: unit (GoogleTest), lit/FileCheck, golden
# (the CLI against the reference tensors). GPU tests skip without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
