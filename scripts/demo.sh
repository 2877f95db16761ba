#!/usr/bin/env bash
# The main job: build ssmc, compile mambaout_femto and show what it became,
# then run it on the CPU on the sample image. Extra arguments go to `ssmc run`
# (e.g. --weights mambaout_femto.safetensors).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo
echo "== ssmc compile mambaout_femto --summary"
build/bin/ssmc compile mambaout_femto --summary
echo
echo "== ssmc run mambaout_femto --image models/samples/sample.ppm --device cpu $*"
build/bin/ssmc run mambaout_femto --image models/samples/sample.ppm --device cpu "$@"
