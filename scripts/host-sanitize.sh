#!/usr/bin/env bash
# The generated kernels under AddressSanitizer and ThreadSanitizer on the CPU,
# a stand-in for compute-sanitizer where there is no GPU: ssmc-codegen-host-run
# (every family's kernels and every registered model's at small shapes,
# against the reference executor) with the kernels built with -fsanitize=SAN
# and SAN's runtime preloaded into the (uninstrumented) harness.
#   address: static shared arrays with redzones, dynamic shared memory at
#            exactly the launch's size, global buffers at their exact sizes:
#            any out-of-bounds access aborts with a report
#   thread:  a block's threads are OS threads and __syncthreads a barrier
#            ThreadSanitizer understands: threads of a block touching the same
#            bytes with no barrier between them, one writing, are reported
# Leak detection is off: the harness (LLVM, MLIR) is not instrumented, and
# leaks of the runtime are checked by scripts/sanitize.sh.
#
# usage: scripts/host-sanitize.sh [--build DIR] [address|thread|both] [HOST-RUN ARGS...]
#   e.g. scripts/host-sanitize.sh thread --case vim_block --dtype bf16
# Exit status: the harness's (0: every run matched and no sanitizer report).
set -euo pipefail
BUILD=build
if [ "${1:-}" = --build ]; then BUILD=$2; shift 2; fi
WHICH=${1:-both}
[ $# -gt 0 ] && shift
HOST_RUN="$BUILD/bin/ssmc-codegen-host-run"
[ -x "$HOST_RUN" ] || { echo "host-sanitize: no $HOST_RUN: build first (scripts/build.sh)" >&2; exit 1; }
command -v "${SSMC_HOST_CXX:-c++}" >/dev/null || { echo "host-sanitize: no host C++ compiler: skipped" >&2; exit 77; }
CXX=${SSMC_HOST_CXX:-c++}
case "$WHICH" in
  both) SANITIZERS=(address thread) ;;
  address|thread) SANITIZERS=("$WHICH") ;;
  *) echo "host-sanitize: '$WHICH': use address, thread or both" >&2; exit 2 ;;
esac
for san in "${SANITIZERS[@]}"; do
  lib=$([ "$san" = address ] && echo libasan.so || echo libtsan.so)
  runtime=$("$CXX" -print-file-name="$lib")
  # 77: ctest's "skipped" (codegen.host_run_*): no runtime, nothing to check with.
  [ -f "$runtime" ] || { echo "host-sanitize: $CXX has no $lib: skipped" >&2; exit 77; }
  # A harness built with -DSSMC_SANITIZE=address already carries ASan's
  # runtime; ThreadSanitizer's cannot join it.
  if [ "$san" = thread ] && ldd "$HOST_RUN" | grep -q libasan; then
    echo "host-sanitize: $HOST_RUN is built with AddressSanitizer: thread skipped (use an uninstrumented build)" >&2
    exit 77
  fi
  echo "=== kernels under -fsanitize=$san"
  # halt_on_error: the first report fails the run (TSan would otherwise go on
  # and only change the exit status at the end). The reference executor runs
  # on one thread: its pool synchronises in code TSan does not see (the
  # harness is not instrumented), which it would report as races.
  env LD_PRELOAD="$runtime" SSMC_HOST_SANITIZE="$san" SSMC_NUM_THREADS=1 \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=0" \
    TSAN_OPTIONS="halt_on_error=1:exitcode=66" \
    "$HOST_RUN" "$@"
done
