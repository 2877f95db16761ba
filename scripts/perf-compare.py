#!/usr/bin/env python3
"""Measured beside modeled: a perf report and a per-kernel benchmark, per kernel.

  perf-compare.py REPORT.json BENCH.txt

REPORT.json is `ssmc compile ... --perf-report=json` (or the perf-report.json
that `ssmc compile -o DIR --perf-report` leaves in DIR); BENCH.txt is what
`ssmc-rt bench DIR --per-kernel` printed for the same artifact on a GPU. The
table gives, per kernel, the bound and the modeled time (from the report)
and the measured median, with measured/modeled and measured/bound; then the
whole model (the per-kernel medians summed, and the CUDA-graph forward).
Exit 1 when the two files do not describe the same kernels.
"""
import json
import re
import sys

KERNEL_LINE = re.compile(r"^\s+(\S+)\s+([0-9.]+)\s+[0-9.]+%\s+config\s+(\d+)")
FORWARD_LINE = re.compile(r"^\s+(plain launches|CUDA graph):\s+median ([0-9.]+) ms")
HEADER_LINE = re.compile(r"^(\S+) \((\w+), \d+ kernels\) on (.+?) \((sm_\d+)\)")


def read_bench(path):
    measured, forward, header = {}, {}, None
    with open(path) as f:
        for line in f:
            if header is None and (m := HEADER_LINE.match(line)):
                header = m.groups()
            elif m := FORWARD_LINE.match(line):
                forward[m.group(1)] = float(m.group(2)) * 1e3
            elif m := KERNEL_LINE.match(line):
                measured[m.group(1)] = float(m.group(2)) * 1e3
    return header, forward, measured


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        report = json.load(f)
    header, forward, measured = read_bench(argv[2])
    if not measured:
        print(f"perf-compare: {argv[2]} has no per-kernel times (run ssmc-rt bench with "
              "--per-kernel)", file=sys.stderr)
        return 1
    kernels = report["kernels"]
    names = [k["name"] for k in kernels]
    missing = [n for n in names if n not in measured]
    extra = [n for n in measured if n not in names]
    if missing or extra:
        print(f"perf-compare: the report and the benchmark differ: not measured {missing}, "
              f"not in the report {extra}", file=sys.stderr)
        return 1

    gpu = header[2] if header else "?"
    print(f"{report['model']} (batch {report.get('batch')}, {report.get('dtype')}): modeled for "
          f"{report.get('gpu')}, measured on {gpu}")
    print(f"  {'kernel':<44} {'bound us':>9} {'modeled us':>11} {'measured us':>12} "
          f"{'meas/model':>10} {'meas/bound':>10}")
    total = 0.0
    for k in kernels:
        got = measured[k["name"]]
        total += got
        modeled = k.get("modeled_us")
        print(f"  {k['name'][:44]:<44} {k['bound_us']:>9.1f} "
              f"{modeled if modeled is not None else float('nan'):>11.1f} {got:>12.1f} "
              f"{got / modeled if modeled else float('nan'):>10.2f} "
              f"{got / k['bound_us']:>10.2f}")
    sol, modeled = report["speed_of_light_us"], report.get("modeled_us")
    print(f"  sum of kernels: bound {sol:.0f} us, modeled "
          f"{modeled if modeled is not None else float('nan'):.0f} us, measured {total:.0f} us "
          f"(measured/bound {total / sol:.2f})")
    for what, us in forward.items():
        print(f"  forward, {what}: measured {us:.0f} us (measured/bound {us / sol:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
