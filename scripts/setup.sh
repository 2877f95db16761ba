#!/usr/bin/env bash
# Installs everything ssmc needs to build and test (Debian 12). Safe to run twice:
# it installs only what is missing.
set -euo pipefail

packages=(cmake ninja-build ccache g++ python3
          llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
          libfmt-dev nlohmann-json3-dev libgtest-dev libgmock-dev
          libjpeg62-turbo-dev libpng-dev libsqlite3-dev sqlite3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x /usr/local/cuda/bin/nvcc ]; then
  echo "setup: note: no CUDA toolkit at /usr/local/cuda (only needed for GPU code generation)"
fi
# nvdisasm for the performance report's SASS facts: not in this CUDA toolkit,
# but on PyPI. Optional: without it the report says so and skips them.
nvdisasm_dir=.tools/nvdisasm
if ! command -v nvdisasm >/dev/null && [ ! -x /usr/local/cuda/bin/nvdisasm ] &&
   [ ! -x "$nvdisasm_dir/nvidia/cu13/bin/nvdisasm" ]; then
  echo "setup: installing nvdisasm (PyPI nvidia-cuda-nvdisasm) into $nvdisasm_dir"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps \
      --target "$nvdisasm_dir" 'nvidia-cuda-nvdisasm>=13,<14' ||
    echo "setup: note: could not install nvdisasm; the performance report will skip SASS facts"
fi
