#!/usr/bin/env bash
# Packs what a GPU machine without LLVM/MLIR, fmt, nlohmann/json, GoogleTest
# and network needs to build the runtime and check artifacts on it, into one
# directory of at most 64 MiB (the most that can be carried in):
#
#   BUNDLE/gpu-check                    the check script (scripts/gpu-check)
#   BUNDLE/third_party/include/fmt/     /usr/include/fmt (used header-only)
#   BUNDLE/third_party/include/nlohmann/
#   BUNDLE/third_party/include/sqlite3.h  (the library is linked by its soname)
#   BUNDLE/third_party/googletest/      GoogleTest's sources (no googlemock)
#   BUNDLE/ssmc-src.tar.gz              the source tree (git archive of HEAD,
#                                       or the working tree with --worktree)
#   BUNDLE/cases/NAME/artifact/         an artifact (plan.json, kernels/,
#                                       refs/: the kernel references;
#                                       compiled ones without configs.json)
#   BUNDLE/cases/NAME/*.safetensors     its weights, inputs, expected outputs
#   BUNDLE/cases/NAME/case.env          which file is which, tolerances
#   BUNDLE/bench/NAME/artifact/         a benchmark: an artifact without files
#                                       (ssmc-rt bench --random), its
#                                       perf-report.json (the modeled times)
#                                       and model.mlir (kernel_peers.py's ops)
#   BUNDLE/scan-sweep/NAME/artifact/    the same for one shape of the scan
#                                       sweep (--scan-sweep)
#   BUNDLE/perf-compare.py              measured beside modeled
#   BUNDLE/MANIFEST                     commit, sizes, cases
#
# On the GPU machine: BUNDLE/gpu-check BUNDLE (or, inside a checkout,
# scripts/gpu-check BUNDLE) builds the runtime-only build and runs the checks.
#
# usage: scripts/pack-gpu-bundle.sh [-o DIR] [--force] [--worktree | --no-source]
#          [--case NAME ARTIFACT WEIGHTS INPUTS EXPECTED]...
#          [--golden CASE]... [--model NAME 'MODEL [--set K=V]... [ssmc flags]']...
#          [--bench NAME 'MODEL [ssmc flags]']... [--scan-sweep GRID]
#          [--gpu h100|h200|a100]
#          [--dtype f32|bf16|f16] [--arch sm_XX] [--ssmc PATH]
#          [--kernel-refs | --no-kernel-refs] [--rtol R] [--atol A]
#          [--kernel-rtol R] [--kernel-atol A] [--limit-mib N]
#
#   --case      an artifact directory and its three safetensors files (one
#               file may serve as several, as the golden files do)
#   --golden    compiles golden case CASE ($SSMC_GOLDEN_DIR, ../shared/golden,
#               tests/golden/data) with `ssmc compile` (--ssmc, default
#               build/bin/ssmc) for --dtype/--arch; the golden file is the
#               weights, inputs and expected outputs
#   --model     compiles `ssmc compile MODEL ...` (one argument, split at
#               spaces) with --kernel-refs for --dtype/--arch: a case checked
#               against its own references (ARTIFACT/refs: random weights and
#               inputs, the reference executor's outputs), end to end and per
#               kernel; named NAME, or NAME.<dtype> for bf16/f16
#   --bench     compiles `ssmc compile MODEL ... --perf-report=json -o` for
#               --dtype/--arch/--gpu: an artifact of a size whose weights
#               are too large to carry (mambaout_tiny at batch 128), timed
#               by gpu-check with `ssmc-rt bench --random --per-kernel` and
#               compared with its modeled times (perf-compare.py); named
#               NAME, or NAME.<dtype> for bf16/f16
#   --scan-sweep  the selective_scan family (delta_softplus, D, z and
#               delta_bias; d_state 16) at every batch x channels x length of
#               GRID, 'B=1,16,128 D=384,768,1536 L=197,1024,4096,16384' (or
#               'issue': that one, issue 14's), compiled as --bench does into
#               BUNDLE/scan-sweep/b<B>_d<D>_l<L>, for the --dtype before it
#               and --arch/--gpu; gpu-check times them beside PyTorch's
#               recurrence (bench/scan_sweep.py). The issue's 36 shapes take
#               about 15 minutes to compile and 2.5 MiB (60 KiB each)
#   --gpu       the GPU the --bench and --scan-sweep reports model (default h100)
#   --kernel-refs, --no-kernel-refs  whether the --golden cases that follow
#               are compiled with --kernel-refs (default: yes), so that
#               gpu-check runs `ssmc-rt check-kernels` on them; the
#               references hold every kernel's inputs and results (f32, at
#               the case's shapes) and the weights again: large for whole
#               models at 224x224 (mambaout_femto 113 MiB, vim_tiny 143 MiB)
#   --rtol/--atol  tolerances of `ssmc-rt check` for the cases that follow
#               (default: ssmc-rt's, by dtype)
#   --kernel-rtol/--kernel-atol  the same for `ssmc-rt check-kernels`
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT_DIR="$REPO/out/gpu-bundle"
FORCE=0
SOURCE="head"
LIMIT_MIB=64
DTYPE=f32
ARCH=sm_90
GPU=h100
SSMC="$REPO/build/bin/ssmc"
RTOL=""
ATOL=""
KRTOL=""
KATOL=""
REFS=1
declare -a CASES=()   # entries: kind|name|a|b|c|d|rtol|atol|krtol|katol|refs
SWEEP=""
SWEEP_DTYPE=""

die() { echo "pack-gpu-bundle: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage 0 ;;
    -o|--out) [ $# -ge 2 ] || die "$1 needs a directory"; OUT_DIR=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    --worktree) SOURCE=worktree; shift ;;
    --no-source) SOURCE=none; shift ;;
    --limit-mib) [ $# -ge 2 ] || die "$1 needs a number"; LIMIT_MIB=$2; shift 2 ;;
    --dtype) [ $# -ge 2 ] || die "$1 needs f32, bf16 or f16"; DTYPE=$2; shift 2 ;;
    --arch) [ $# -ge 2 ] || die "$1 needs sm_XX"; ARCH=$2; shift 2 ;;
    --gpu) [ $# -ge 2 ] || die "$1 needs h100, h200 or a100"; GPU=$2; shift 2 ;;
    --ssmc) [ $# -ge 2 ] || die "$1 needs a path"; SSMC=$2; shift 2 ;;
    --rtol) [ $# -ge 2 ] || die "$1 needs a number"; RTOL=$2; shift 2 ;;
    --atol) [ $# -ge 2 ] || die "$1 needs a number"; ATOL=$2; shift 2 ;;
    --kernel-rtol) [ $# -ge 2 ] || die "$1 needs a number"; KRTOL=$2; shift 2 ;;
    --kernel-atol) [ $# -ge 2 ] || die "$1 needs a number"; KATOL=$2; shift 2 ;;
    --kernel-refs) REFS=1; shift ;;
    --no-kernel-refs) REFS=0; shift ;;
    --case)
      [ $# -ge 6 ] || die "--case needs NAME ARTIFACT WEIGHTS INPUTS EXPECTED"
      CASES+=("case|$2|$3|$4|$5|$6|$RTOL|$ATOL|$KRTOL|$KATOL|"); shift 6 ;;
    --golden)
      [ $# -ge 2 ] || die "--golden needs a case name"
      # Named CASE for f32, CASE.bf16 / CASE.f16 otherwise.
      CASES+=("golden|$2|$DTYPE|$ARCH|||$RTOL|$ATOL|$KRTOL|$KATOL|$REFS"); shift 2 ;;
    --model)
      [ $# -ge 3 ] || die "--model needs NAME and 'MODEL [--set K=V]...'"
      case "$3" in *'|'*) die "--model $2: '|' cannot appear in the ssmc arguments" ;; esac
      CASES+=("model|$2|$DTYPE|$ARCH|$3||$RTOL|$ATOL|$KRTOL|$KATOL|1"); shift 3 ;;
    --bench)
      [ $# -ge 3 ] || die "--bench needs NAME and 'MODEL [ssmc flags]'"
      case "$3" in *'|'*) die "--bench $2: '|' cannot appear in the ssmc arguments" ;; esac
      CASES+=("bench|$2|$DTYPE|$ARCH|$3|$GPU|||||0"); shift 3 ;;
    --scan-sweep)
      [ $# -ge 2 ] || die "--scan-sweep needs 'B=... D=... L=...' or 'issue'"
      SWEEP=$2; SWEEP_DTYPE=$DTYPE; shift 2 ;;
    *) echo "pack-gpu-bundle: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
case "$DTYPE" in f32|bf16|f16) ;; *) die "--dtype is f32, bf16 or f16, not '$DTYPE'" ;; esac
[[ "$LIMIT_MIB" =~ ^[0-9]+$ ]] || die "--limit-mib takes a whole number of MiB"

# The bundle directory: new, or replaced with --force.
if [ -e "$OUT_DIR" ]; then
  if [ "$FORCE" = 1 ]; then
    [ -f "$OUT_DIR/MANIFEST" ] || [ -z "$(ls -A "$OUT_DIR")" ] ||
      die "$OUT_DIR exists and is not a bundle: refusing to delete it"
    rm -rf "$OUT_DIR"
  elif [ -n "$(ls -A "$OUT_DIR" 2>/dev/null)" ]; then
    die "$OUT_DIR exists and is not empty: pass --force to replace it, or -o another directory"
  fi
fi
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
trap 'echo "pack-gpu-bundle: failed; $OUT_DIR is incomplete" >&2' ERR

# Third-party headers. fmt is used header-only (FMT_HEADER_ONLY): its
# format-inl.h holds what libfmt's format.cc would; ssmc's runtime uses only
# fmt/format.h and fmt/ranges.h, none of the parts (fmt/os.h) that need .cc
# sources.
TP="$OUT_DIR/third_party"
mkdir -p "$TP/include"
[ -f /usr/include/fmt/format.h ] && [ -f /usr/include/fmt/format-inl.h ] ||
  die "fmt headers not found in /usr/include/fmt: apt-get install libfmt-dev"
[ -f /usr/include/nlohmann/json.hpp ] ||
  die "nlohmann/json not found in /usr/include/nlohmann: apt-get install nlohmann-json3-dev"
cp -r /usr/include/fmt /usr/include/nlohmann "$TP/include/"
# SQLite's header, for the tuning database (`ssmc-rt tune`): the GPU machine
# has the library but maybe not the header (runtime/CMakeLists.txt).
[ -f /usr/include/sqlite3.h ] && cp /usr/include/sqlite3.h "$TP/include/"
GT=/usr/src/googletest
[ -f "$GT/CMakeLists.txt" ] && [ -d "$GT/googletest/src" ] ||
  die "GoogleTest sources not found in $GT: apt-get install googletest (or libgtest-dev)"
mkdir -p "$TP/googletest/googletest"
cp "$GT/CMakeLists.txt" "$TP/googletest/"
for part in CMakeLists.txt cmake include src; do
  cp -r "$GT/googletest/$part" "$TP/googletest/googletest/"
done

# The source tree.
COMMIT=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
DIRTY=no
if [ -n "$(git -C "$REPO" status --porcelain 2>/dev/null)" ]; then DIRTY=yes; fi
case "$SOURCE" in
  head)
    git -C "$REPO" archive --format=tar.gz --prefix=ssmc/ -o "$OUT_DIR/ssmc-src.tar.gz" HEAD ;;
  worktree)
    # Tracked and untracked files that are not ignored and still exist.
    (cd "$REPO" && git ls-files -co --exclude-standard -z |
       while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
       tar --null -T - --transform 's,^,ssmc/,' -czf "$OUT_DIR/ssmc-src.tar.gz") ;;
  none) ;;
esac
cp "$REPO/scripts/gpu-check" "$OUT_DIR/gpu-check"
cp "$REPO/scripts/perf-compare.py" "$OUT_DIR/perf-compare.py"
chmod +x "$OUT_DIR/gpu-check" "$OUT_DIR/perf-compare.py"

# Cases.
SSMC_RT="$REPO/build-rt/bin/ssmc-rt"
[ -x "$SSMC_RT" ] || SSMC_RT="$REPO/build/bin/ssmc-rt"
golden_file() {
  local d
  for d in "${SSMC_GOLDEN_DIR:-}" "$REPO/../shared/golden" "$REPO/tests/golden/data"; do
    if [ -n "$d" ] && [ -f "$d/$1.safetensors" ]; then echo "$d/$1.safetensors"; return 0; fi
  done
  return 1
}
# Copies FILE into case directory DIR once; prints the name it has there.
declare -A COPIED
copy_file() {
  local dir=$1 src=$2 real base
  [ -f "$src" ] || die "no such file: $src"
  real=$(readlink -f "$src")
  if [ -n "${COPIED[$dir|$real]:-}" ]; then echo "${COPIED[$dir|$real]}"; return; fi
  base=$(basename "$src")
  while [ -e "$dir/$base" ]; do base="x$base"; done
  cp "$src" "$dir/$base"
  COPIED[$dir|$real]=$base
  echo "$base"
}
NAMES=()
BENCHES=()
for entry in "${CASES[@]+"${CASES[@]}"}"; do
  IFS='|' read -r kind name a b c d rtol atol krtol katol refs <<<"$entry"
  golden=$name
  if [ "$kind" != case ] && [ "$a" != f32 ]; then name="$name.$a"; fi
  [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "case name '$name' must be letters, digits, _ . -"
  dir="$OUT_DIR/cases/$name"
  [ "$kind" = bench ] && dir="$OUT_DIR/bench/$name"
  [ ! -e "$dir" ] || die "two cases are named '$name'"
  mkdir -p "$dir"
  if [ "$kind" = bench ]; then
    [ -x "$SSMC" ] || die "--bench needs ssmc ($SSMC): build it (scripts/build.sh) or pass --ssmc"
    read -r -a cmd <<<"$c"
    echo "pack-gpu-bundle: $name: ssmc compile $c --perf-report (a few minutes at batch 128)"
    "$SSMC" compile "${cmd[@]}" --dtype "$a" --arch "$b" --gpu "$d" --perf-report=json -q \
      -o "$dir/artifact" >/dev/null 2>"$dir/compile.log" ||
      { cat "$dir/compile.log" >&2; die "ssmc compile failed for benchmark '$name' ($c)"; }
    [ -f "$dir/artifact/perf-report.json" ] ||
      die "ssmc compile did not write $dir/artifact/perf-report.json"
    # The runtime reads plan.json and kernels/ only; bench/kernel_peers.py
    # reads the ops and their shapes from model.mlir.
    rm -f "$dir/compile.log" "$dir/artifact/configs.json" "$dir/artifact/roofline.svg"
    if [ -x "$SSMC_RT" ]; then
      "$SSMC_RT" validate "$dir/artifact" >/dev/null || die "benchmark '$name': the artifact is invalid (above)"
    fi
    BENCHES+=("$name")
    continue
  elif [ "$kind" = golden ]; then
    file=$(golden_file "$golden") || die "golden case '$golden' not found in \$SSMC_GOLDEN_DIR, ../shared/golden or tests/golden/data"
    [ -x "$SSMC" ] || die "--golden needs ssmc ($SSMC): build it (scripts/build.sh) or pass --ssmc"
    # The compile command from the file's metadata: kind, config, input shapes.
    mapfile -t cmd < <(python3 - "$file" <<'PY'
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
meta = header.get("__metadata__", {})
def val(v):
    if isinstance(v, bool): return "true" if v else "false"
    if v is None: return "null"
    if isinstance(v, list): return ",".join(str(x) for x in v)
    return str(v)
print(meta["kind"])
for k, v in json.loads(meta["config"]).items():
    print("--set"); print(f"{k}={val(v)}")
inputs = meta["inputs"].split(",")
if meta["kind"] == "vim_block":
    print("--set"); print("has_residual=" + ("true" if "residual" in inputs else "false"))
for name in inputs:
    print("--input-shape"); print(name + "=" + ",".join(str(d) for d in header[name]["shape"]))
PY
)
    refs_flag=()
    [ "$refs" = 1 ] && refs_flag=(--kernel-refs)
    "$SSMC" compile "${cmd[@]}" --dtype "$a" --arch "$b" "${refs_flag[@]+"${refs_flag[@]}"}" \
      -o "$dir/artifact" >"$dir/compile.log" 2>&1 ||
      { cat "$dir/compile.log" >&2; die "ssmc compile failed for golden case '$name'"; }
    [ -f "$dir/artifact/plan.json" ] ||
      die "ssmc compile did not write $dir/artifact/plan.json (this ssmc predates artifact writing?)"
    rm -f "$dir/compile.log"
    # The golden file without its act.* activations: weights, inputs and
    # outputs are all a check needs.
    python3 - "$file" "$dir/$golden.safetensors" <<'PY'
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
base, out, data = 8 + n, {}, bytearray()
for name, info in header.items():
    if name == "__metadata__":
        out[name] = info
        continue
    if name.startswith("act."):
        continue
    b, e = info["data_offsets"]
    out[name] = dict(info, data_offsets=[len(data), len(data) + e - b])
    data += blob[base + b:base + e]
text = json.dumps(out).encode()
text += b" " * (-len(text) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
PY
    f=$golden.safetensors
    weights=$f; inputs=$f; expected=$f
  elif [ "$kind" = model ]; then
    [ -x "$SSMC" ] || die "--model needs ssmc ($SSMC): build it (scripts/build.sh) or pass --ssmc"
    read -r -a cmd <<<"$c"
    "$SSMC" compile "${cmd[@]}" --dtype "$a" --arch "$b" --kernel-refs -o "$dir/artifact" \
      >"$dir/compile.log" 2>&1 ||
      { cat "$dir/compile.log" >&2; die "ssmc compile failed for case '$name' ($c)"; }
    [ -d "$dir/artifact/refs" ] ||
      die "ssmc compile did not write $dir/artifact/refs (this ssmc predates --kernel-refs?)"
    rm -f "$dir/compile.log"
    # The references are the case's files: random weights and inputs, the
    # reference executor's outputs.
    weights=artifact/refs/weights.safetensors
    inputs=artifact/refs/inputs.safetensors
    expected=artifact/refs/outputs.safetensors
  else
    [ -f "$a/plan.json" ] || die "case '$name': $a is not an artifact (no plan.json)"
    cp -r "$a" "$dir/artifact"
    weights=$(copy_file "$dir" "$b")
    inputs=$(copy_file "$dir" "$c")
    expected=$(copy_file "$dir" "$d")
  fi
  # configs.json is for tuners on the compiling side; the runtime reads
  # plan.json and kernels/ only (mambaout_femto's is 2.6 MiB).
  [ "$kind" = case ] || rm -f "$dir/artifact/configs.json"
  if [ -x "$SSMC_RT" ]; then
    "$SSMC_RT" validate "$dir/artifact" >/dev/null || die "case '$name': the artifact is invalid (above)"
  fi
  {
    echo "WEIGHTS=$weights"
    echo "INPUTS=$inputs"
    echo "EXPECTED=$expected"
    echo "RTOL=$rtol"
    echo "ATOL=$atol"
    echo "KERNEL_RTOL=$krtol"
    echo "KERNEL_ATOL=$katol"
  } >"$dir/case.env"
  NAMES+=("$name")
done

# The scan sweep: one benchmark artifact a shape.
SWEPT=()
if [ -n "$SWEEP" ]; then
  [ "$SWEEP" = issue ] && SWEEP="B=1,16,128 D=384,768,1536 L=197,1024,4096,16384"
  SB="" SD="" SL=""
  for part in $SWEEP; do
    case "$part" in
      B=*) SB=${part#B=} ;;
      D=*) SD=${part#D=} ;;
      L=*) SL=${part#L=} ;;
      *) die "--scan-sweep: '$part' is not B=..., D=... or L=... (comma-separated numbers)" ;;
    esac
  done
  for list in "$SB" "$SD" "$SL"; do
    [[ "$list" =~ ^[0-9]+(,[0-9]+)*$ ]] ||
      die "--scan-sweep needs B=, D= and L= lists of whole numbers, e.g. 'B=1,16 D=384 L=197,1024'"
  done
  [ -x "$SSMC" ] || die "--scan-sweep needs ssmc ($SSMC): build it (scripts/build.sh) or pass --ssmc"
  sdtype=$SWEEP_DTYPE
  for b in ${SB//,/ }; do
    for d in ${SD//,/ }; do
      for l in ${SL//,/ }; do
        name="b${b}_d${d}_l${l}"
        dir="$OUT_DIR/scan-sweep/$name"
        mkdir -p "$dir"
        echo "pack-gpu-bundle: scan sweep $name ($sdtype)"
        "$SSMC" compile selective_scan --set batch="$b" --set dim="$d" --set seqlen="$l" \
          --set dstate=16 --set delta_softplus=true --set has_D=true --set has_z=true \
          --set has_delta_bias=true --dtype "$sdtype" --arch "$ARCH" --gpu "$GPU" \
          --perf-report=json -q -o "$dir/artifact" >/dev/null 2>"$dir/compile.log" ||
          { cat "$dir/compile.log" >&2; die "ssmc compile failed for scan sweep shape $name"; }
        rm -f "$dir/compile.log" "$dir/artifact/configs.json" "$dir/artifact/roofline.svg"
        SWEPT+=("$name")
      done
    done
  done
fi

# Size.
BYTES=$(du -sb "$OUT_DIR" | cut -f1)
LIMIT=$((LIMIT_MIB * 1024 * 1024))
{
  echo "ssmc GPU bundle"
  echo "commit: $COMMIT (uncommitted changes: $DIRTY; source: $SOURCE)"
  echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "fmt: $(sed -n 's/#define FMT_VERSION \([0-9]*\)/\1/p' /usr/include/fmt/core.h)"
  echo "googletest: $(sed -n 's/.*GOOGLETEST_VERSION \([0-9.]*\).*/\1/p' "$GT/CMakeLists.txt")"
  echo "cases: ${NAMES[*]+"${NAMES[*]}"}"
  echo "benchmarks: ${BENCHES[*]+"${BENCHES[*]}"}"
  echo "scan sweep: ${SWEPT[*]+"${SWEPT[*]}"}"
  refs=()
  for n in "${NAMES[@]+"${NAMES[@]}"}"; do [ -d "$OUT_DIR/cases/$n/artifact/refs" ] && refs+=("$n"); done
  echo "with kernel references: ${refs[*]+"${refs[*]}"}"
  echo "size: $BYTES bytes"
} >"$OUT_DIR/MANIFEST"
trap - ERR
echo "pack-gpu-bundle: $OUT_DIR"
(cd "$OUT_DIR" && du -sh third_party ssmc-src.tar.gz cases bench scan-sweep 2>/dev/null | sed "s/^/  /" || true)
for n in "${NAMES[@]+"${NAMES[@]}"}"; do
  refs=none
  [ -d "$OUT_DIR/cases/$n/artifact/refs" ] && refs=$(du -sh "$OUT_DIR/cases/$n/artifact/refs" | cut -f1)
  echo "    $n: $(du -sh "$OUT_DIR/cases/$n" | cut -f1) (kernel references: $refs)"
done
for n in "${BENCHES[@]+"${BENCHES[@]}"}"; do
  echo "    benchmark $n: $(du -sh "$OUT_DIR/bench/$n" | cut -f1)"
done
echo "  total $((BYTES / 1024)) KiB of $LIMIT_MIB MiB"
if [ "$BYTES" -gt "$LIMIT" ]; then
  echo "pack-gpu-bundle: the bundle is $((BYTES / 1048576)) MiB, over the $LIMIT_MIB MiB that can be carried; largest parts:" >&2
  (cd "$OUT_DIR" && du -ab . | sort -rn | sed -n '2,8p' | sed 's/^/  /') >&2
  echo "drop cases (smaller --set sizes), put --no-kernel-refs before large --golden cases (their" >&2
  echo "artifact/refs), or pass --no-source where the tree is there already" >&2
  exit 1
fi
