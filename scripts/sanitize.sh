#!/usr/bin/env bash
# The whole tree (compiler, runtime, tests) built with AddressSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/ (-O1, line tables), then
# the suites CI runs under them (.ci/run calls this after the main suite):
# every unit test, lit, the golden tests of the small and reduced cases (of
# vim_tiny and mambaout_femto the final output only, not after every pass),
# the fuzz smoke runs, the timm and example checks and the generated kernels
# under ASan (codegen.host_run_address). Left to the main build, where the
# same code paths run on every model and each would take minutes more under
# ASan: the whole host run, residual_in_fp32, the NVRTC check, the
# performance ratchets and calibration, clang-tidy. Any report fails the
# run; leaks too.
#   scripts/sanitize.sh [--runtime-only] [ctest arguments]
#   --runtime-only: the runtime, ssmc-rt and their fuzz targets only (no
#                   LLVM needed; build-sanitize-rt/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DIR=build-sanitize
CONFIG=(-DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir)
SELECT=(-E '^(codegen\.(host_run|host_run_thread|residual_in_fp32|nvrtc)|perf\.(ratchet|Calibration|Sampler).*|style\..*|golden\.(vim_tiny|mambaout_femto)\..*)$')
if [ "${1:-}" = --runtime-only ]; then
  DIR=build-sanitize-rt
  CONFIG=(-DSSMC_RUNTIME_ONLY=ON)
  SELECT=(-L "cpu|fuzz")
  shift
fi
if [ ! -f "$DIR/build.ninja" ]; then
  cmake -S . -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" "${CONFIG[@]}" \
    -DSSMC_SANITIZE=address,undefined -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DSSMC_WERROR="${SSMC_WERROR:-OFF}" >/dev/null
fi
cmake --build "$DIR" -j "$(nproc)"
cd "$DIR"
# abort_on_error: the first report fails the test. Every binary also ignores
# manual poisoning (runtime/Support/AsanDefaults.cpp).
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --output-on-failure -j "$(nproc)" "${SELECT[@]}" "$@"
