#!/usr/bin/env bash
# Builds ssmc and runs every test: unit (GoogleTest), lit/FileCheck, golden
# (the CLI against the reference tensors), perf (the performance report's
# calibration and ratchets). GPU tests skip without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
status=0
ctest --output-on-failure -j "$(nproc)" "$@" | tee ctest-output.log || status=$?
# Say why a skipped test was skipped (ctest only records it in its log),
# then repeat ctest's closing line so it stays the last one.
grep -h '^SKIP ' Testing/Temporary/LastTest.log 2>/dev/null | sort -u || true
# GoogleTest skips (the gpu label without a GPU): the reason, once, with a count.
awk '/: Skipped$/ { getline reason; print reason }' Testing/Temporary/LastTest.log 2>/dev/null |
  sort | uniq -c | sed 's/^ *\([0-9]*\) /SKIP (\1 GoogleTest tests) /' || true
grep -E '^[0-9]+% tests passed' ctest-output.log | tail -n 1 || true
exit $status
