#!/usr/bin/env python3
"""What a GEMM's K loop issues: each kernel of an artifact at its default configuration.

  sass-mma-loop.py ARTIFACT [KERNEL ...] [--arch sm_90] [--jobs 2]

ARTIFACT is a directory that `ssmc compile MODEL -o ARTIFACT` wrote. Each
named kernel (default: every GEMM) is compiled with nvcc at the tunables of
its plan's default configuration (`-DSSMC_BM=...`), disassembled with
nvdisasm (`$SSMC_NVDISASM`, PATH, or the one scripts/setup.sh installs into
.tools/), and the smallest loop that issues HMMAs (a backward branch and its
target; the copies' loops inside it count once, as one pass) is printed:
its instructions, HMMAs, instructions per HMMA, LDSM and LDGSTS, with
ptxas's registers and spilled bytes (where a kernel spills, again with the
runtime's retry, -DSSMC_SMEM_BLOCKS, as its NVRTC layer does). On sm_90 an SM issues four
instructions a clock and mma.sync one m16n8k16 HMMA every 1.5 clocks, so a
K loop above 6 instructions an HMMA waits on issue, not on the tensor cores.
Exit 1 when a compile fails.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
LABEL = re.compile(r"^\s*(\.L_x_\d+):")
INSTRUCTION = re.compile(r"/\*[0-9a-f]{4,}\*/\s+(.*?)\s*;")
BRANCH = re.compile(r"\bBRA\b.*?(\.L_x_\d+)")


def nvdisasm():
    for candidate in (os.environ.get("SSMC_NVDISASM"), shutil.which("nvdisasm"),
                      os.path.join(HERE, "..", ".tools", "nvdisasm", "nvidia", "cu13", "bin",
                                   "nvdisasm")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("sass-mma-loop: nvdisasm not found (scripts/setup.sh installs it; or set SSMC_NVDISASM)")


def mma_loop(listing):
    """(instructions, HMMA, LDSM, LDGSTS) of the smallest loop with HMMAs, or None."""
    lines, labels = [], {}
    for text in listing.splitlines():
        m = LABEL.match(text)
        if m:
            labels[m.group(1)] = len(lines)
            continue
        m = INSTRUCTION.search(text)
        if m:
            lines.append(m.group(1))
    best = None
    for i, ins in enumerate(lines):
        m = BRANCH.search(ins)
        if m and labels.get(m.group(1), i + 1) <= i:
            body = lines[labels[m.group(1)]:i + 1]
            if any("HMMA" in b for b in body) and (best is None or len(body) < len(best)):
                best = body
    if best is None:
        return None
    def count(op):
        return sum(1 for b in best if re.search(r"\b" + op + r"\b", b))
    return len(best), count("HMMA"), count("LDSM"), count("LDGSTS")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("artifact")
    ap.add_argument("kernels", nargs="*")
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    try:
        plan = json.load(open(os.path.join(args.artifact, "plan.json")))
    except (OSError, ValueError) as e:
        sys.exit(f"sass-mma-loop: cannot read {args.artifact}/plan.json: {e}")
    kernels = {k["name"]: k for k in plan["kernels"]}
    names = args.kernels or [n for n, k in kernels.items() if k["kind"] == "gemm"]
    unknown = [n for n in names if n not in kernels]
    if unknown:
        sys.exit(f"sass-mma-loop: no kernel {', '.join(unknown)} in {args.artifact}/plan.json")
    disasm = nvdisasm()
    work = tempfile.mkdtemp(prefix="sass-mma-loop.")

    def compile_(name, extra):
        k = kernels[name]
        tunables = k["configs"][k["default_config"]]["tunables"]
        cubin = os.path.join(work, name + ".cubin")
        r = subprocess.run(["nvcc", f"-arch={args.arch}", "-cubin", "-Xptxas", "-v", *extra,
                            *[f"-DSSMC_{t}={v}" for t, v in sorted(tunables.items())],
                            os.path.join(args.artifact, k["source_file"]), "-o", cubin],
                           capture_output=True, text=True)
        spill = re.search(r"(\d+) bytes spill stores", r.stdout + r.stderr)
        return r, cubin, int(spill.group(1)) if spill else 0

    def one(name):
        r, cubin, spill = compile_(name, [])
        if r.returncode == 0 and spill:
            # The runtime's retry (runtime/Cuda/Nvrtc.cpp): the blocks an SM
            # holds as __launch_bounds__' minimum.
            retry = compile_(name, ["-DSSMC_SMEM_BLOCKS"])
            if retry[0].returncode == 0 and retry[2] < spill:
                r, cubin, spill = retry
        if r.returncode != 0:
            return name, None, r.stderr.strip().splitlines()[-1:] or ["nvcc failed"]
        regs = re.search(r"Used (\d+) registers", r.stdout + r.stderr)
        listing = subprocess.run([disasm, "-c", cubin], capture_output=True, text=True).stdout
        return name, (mma_loop(listing), regs and int(regs.group(1)), spill), None

    failed = False
    print(f"{'kernel':44s} {'instr':>6s} {'HMMA':>5s} {'per HMMA':>8s} {'LDSM':>5s} "
          f"{'LDGSTS':>6s} {'regs':>5s} {'spill':>5s}")
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for name, facts, error in pool.map(one, names):
            if error:
                failed = True
                print(f"{name:44s} nvcc: {error[0]}")
                continue
            loop, regs, spill = facts
            if loop is None:
                print(f"{name:44s} {'(no loop issues HMMAs)':>32s} {regs:5d} {spill or 0:5d}")
                continue
            n, hmma, ldsm, ldgsts = loop
            print(f"{name:44s} {n:6d} {hmma:5d} {n / hmma:8.2f} {ldsm:5d} {ldgsts:6d} "
                  f"{regs:5d} {spill or 0:5d}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
