#!/usr/bin/env bash
# examples/custom_block as a user builds it: ssmc installed into a fresh
# prefix, the plugin configured and built out of tree against that install
# (find_package(ssmc)), then the example's own test (check.py against timm).
#   custom_block.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/ssmc-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$source/examples/custom_block" -B "$work/build" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" || exit 1
ctest --test-dir "$work/build" --output-on-failure -V
