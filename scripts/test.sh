#!/usr/bin/env bash
# Builds ssmc and runs every test: unit (GoogleTest), lit/FileCheck, golden
# (the CLI against the reference tensors). GPU tests skip without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
status=0
ctest --output-on-failure -j "$(nproc)" "$@" || status=$?
# Say why a skipped test was skipped (ctest only records it in its log).
grep -h '^SKIP ' Testing/Temporary/LastTest.log 2>/dev/null | sort -u || true
exit $status
