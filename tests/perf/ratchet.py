#!/usr/bin/env python3
"""The performance ratchet: a model's modeled/bound ratios must not get worse.

Runs `ssmc compile CASE --perf-report=json --gpu h100` and compares the
whole model's ratio (modeled time over speed of light) and every kernel's
with tests/perf/baseline.json. A ratio worse than the baseline by more than
the tolerance fails, naming the kernel, the two ratios and the limiter; a
ratio better by more than that is reported, so the baseline can be lowered
with --update (which rewrites this case's entry from the run).

  ratchet.py --ssmc build/bin/ssmc --case mambaout_tiny [--update] [--report FILE]

Exit 0 when nothing got worse, 1 when something did, 77 (skipped) when the
report could not count traffic or read SASS on this machine, since the
baseline was recorded with both.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Each case: the compile command's model and flags (bf16, H100; batch 128 unless named).
CASES = {
    "mambaout_tiny": ["mambaout_tiny", "--batch", "128"],
    "vim_small": ["vim_small", "--batch", "128"],
    # Batch 1: grids of fewer blocks than SMs (sliced K, the convs' norms
    # apart, latency-bound stem kernels). Not Vim's: its batch-1 scans (4
    # channels a block, a time split) read 8 bytes a channel, under the
    # coalescing gate, which is batch 128's.
    "mambaout_tiny_b1": ["mambaout_tiny", "--batch", "1"],
    # One Gated CNN block of MambaOut-tiny's first stage.
    "gated_cnn_block": ["gated_cnn_block", "--set", "dim=96", "--input-shape", "128,56,56,96"],
    # One block of Vim-small.
    "vim_block": ["vim_block", "--set", "d_model=384", "--input-shape", "input=128,197,384",
                  "--input-shape", "residual=128,197,384"],
    # selective_scan_fn's own [B, D, L] layout (the sequence tiles).
    "selective_scan": ["selective_scan", "--set", "batch=16", "--set", "dim=768", "--set",
                       "seqlen=1024", "--set", "dstate=16", "--set", "delta_softplus=true",
                       "--set", "has_D=true", "--set", "has_z=true", "--set",
                       "has_delta_bias=true"],
}
TOLERANCE = 0.02  # relative: sampling is deterministic, so this is slack for rounding
COALESCING_TOLERANCE = 0.01  # absolute


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ssmc", required=True)
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--baseline", default=os.path.join(HERE, "baseline.json"))
    parser.add_argument("--update", action="store_true",
                        help="write this run's ratios into the baseline")
    parser.add_argument("--report", help="also keep the JSON report here")
    args = parser.parse_args()

    cmd = [args.ssmc, "compile", *CASES[args.case], "--dtype", "bf16", "--gpu", "h100",
           "--perf-report=json", "-q"]
    # The kernels' own defaults, whatever a user's tuning database says.
    env = dict(os.environ, SSMC_TUNING_DB=os.devnull + ".ssmc-no-tuning-db")
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        print(f"FAIL: {' '.join(cmd)} exited {run.returncode}:\n{run.stderr}")
        return 1
    report = json.loads(run.stdout)
    if args.report:
        with open(args.report, "w") as f:
            f.write(run.stdout)
    missing = [n for n in report.get("notes", []) if "counted" in n or "SASS" in n]
    if report.get("modeled_us") is None or missing:
        print("SKIP: the report is incomplete on this machine: " + "; ".join(missing))
        return 77

    current = {"ratio": report["ratio"],
               "speed_of_light_us": report["speed_of_light_us"],
               "modeled_us": report["modeled_us"],
               "kernels": {k["name"]: k["ratio"] for k in report["kernels"]},
               "coalescing": {k["name"]: {o["operand"]: round(o["coalescing"], 4)
                                          for o in k["traffic"]["by_operand"]}
                              for k in report["kernels"]}}
    limiter = {k["name"]: k.get("limiter", "?") for k in report["kernels"]}

    baseline = {}
    if os.path.exists(args.baseline):
        with open(args.baseline) as f:
            baseline = json.load(f)
    if args.update:
        baseline[args.case] = current
        with open(args.baseline, "w") as f:
            json.dump(baseline, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"baseline for {args.case} written: ratio {current['ratio']:.3f} "
              f"({current['modeled_us']:.0f} us modeled over {current['speed_of_light_us']:.0f} us)")
        return 0
    if args.case not in baseline:
        print(f"FAIL: {args.baseline} has no entry for {args.case}; record one with --update")
        return 1

    base = baseline[args.case]
    worse, better = [], []

    def compare(what, now, then, why=""):
        if now > then * (1 + TOLERANCE):
            worse.append(f"{what}: ratio {then:.3f} -> {now:.3f}{why}")
        elif now < then * (1 - TOLERANCE):
            better.append(f"{what}: ratio {then:.3f} -> {now:.3f}")

    compare("whole model", current["ratio"], base["ratio"])
    for name, ratio in current["kernels"].items():
        if name not in base["kernels"]:
            worse.append(f"{name}: not in the baseline (the kernels changed: --update)")
            continue
        compare(name, ratio, base["kernels"][name], f" ({limiter[name]}-bound)")
    for name in base["kernels"]:
        if name not in current["kernels"]:
            worse.append(f"{name}: in the baseline but not generated any more (--update)")
    # Each operand's coalescing (global bytes used over bytes in the sectors
    # touched) must not drop.
    for name, operands in current["coalescing"].items():
        for operand, now in operands.items():
            then = base.get("coalescing", {}).get(name, {}).get(operand)
            if then is None:
                worse.append(f"{name}: operand {operand} has no coalescing in the baseline "
                             "(--update)")
            elif now < then - COALESCING_TOLERANCE:
                worse.append(f"{name}: operand {operand} coalescing {then:.3f} -> {now:.3f}")
            elif now > then + COALESCING_TOLERANCE:
                better.append(f"{name}: operand {operand} coalescing {then:.3f} -> {now:.3f}")
    # Issue 14's gate: a scan reads its activations (u and z: the inputs
    # shaped like its result, [B, L, D] or [B, L, 2D]) and writes its result
    # at least 90 % coalesced.
    for k in report["kernels"]:
        if "selective_scan" not in k["name"]:
            continue
        operands = k["traffic"]["by_operand"]
        results = [o["shape"] for o in operands if o["kind"] == "output"]
        for o in operands:
            activation = o["kind"] == "output" or (
                o["kind"] == "input" and any(o["shape"][:-1] == r[:-1] and
                                             o["shape"][-1] % r[-1] == 0 for r in results))
            if activation and o["coalescing"] < 0.9:
                worse.append(f"{k['name']}: {o['kind']} {o['operand']} {o['shape']} is "
                             f"{o['coalescing']:.3f} coalesced (the gate is 0.9)")

    print(f"{args.case}: modeled {current['modeled_us']:.0f} us over a speed of light of "
          f"{current['speed_of_light_us']:.0f} us, ratio {current['ratio']:.3f} "
          f"(baseline {base['ratio']:.3f})")
    for line in better:
        print(f"  better: {line} (lower the baseline: ratchet.py --update)")
    for line in worse:
        print(f"  WORSE: {line}")
    if worse:
        print("FAIL: the model says kernels got slower; a change that accepts this says why in "
              "its commit and runs ratchet.py --update")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
