#!/usr/bin/env bash
# Configures and builds ssmc into build/ (Release, Ninja, ccache).
# SSMC_WERROR=ON makes warnings errors (.ci/run sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DSSMC_WERROR="${SSMC_WERROR:-OFF}" >/dev/null
fi
cmake --build build -j "$(nproc)"
