#!/usr/bin/env bash
# The runtime (every loader and parser of user files, the executor on the
# fake driver, ssmc-rt) and the fuzz targets of its parsers, built with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-sanitize/ (a
# runtime-only build: no LLVM, so it builds in minutes) and run with ctest.
# Any report fails the run. .ci/run calls it after the main suite.
#   scripts/sanitize.sh [ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -f build-sanitize/build.ninja ]; then
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSMC_RUNTIME_ONLY=ON \
    -DSSMC_SANITIZE=address,undefined -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSSMC_WERROR="${SSMC_WERROR:-OFF}" >/dev/null
fi
cmake --build build-sanitize -j "$(nproc)"
cd build-sanitize
# Leaks are errors too (LeakSanitizer is on with ASan); abort on the first
# report so ctest sees a failure.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "$(nproc)" -L "cpu|fuzz" "$@"
