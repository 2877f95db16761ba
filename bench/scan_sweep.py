#!/usr/bin/env python3
"""The selective scan alone, ssmc beside PyTorch, over a sweep of shapes
(issue 14's GPU comparison): batch x channels x length artifacts of the
`selective_scan` family ([B, D, L], delta_softplus, D, z and delta_bias)
that `scripts/pack-gpu-bundle.sh --scan-sweep` compiled.

    python3 bench/scan_sweep.py --sweep DIR --ssmc-rt PATH [--out DIR]
        [--budget SECONDS] [--iters 10] [--warmup 2] [--no-peer] [--compile]
        [--peer-device cuda|cpu]
    python3 bench/scan_sweep.py --sweep DIR --list        # no GPU, no torch

For each DIR/NAME/artifact, smallest first, `ssmc-rt bench --random
--per-kernel` times the scan and measures the copy bandwidth in the same
run; the scan's achieved GB/s is its minimum traffic (the performance
report's min_bytes) over its median time. Its goal is 85% of the copy
bandwidth, or, where the special-function units bound it more tightly
(perf-report.json's bound_by "mufu"), 85% of that bound. The peer is
PyTorch's reference recurrence at the same shapes and storage type
(bench/vim_torch.py's scan_chunked: fp32 state, a Python loop over time;
with --compile its loop body under torch.compile), eager by default: the
time a PyTorch user without mamba_ssm's kernel gets. mamba_ssm cannot be
installed on the GPU machine.

Writes OUT/scan-sweep.json and OUT/scan-sweep.md; rows past --budget are
skipped and say so.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def shape_of(artifact):
    """(batch, channels, length, d_state, dtype) from the artifact's plan."""
    plan = json.load(open(os.path.join(artifact, "plan.json")))
    inputs = {p["name"]: p["shape"] for p in plan.get("inputs", [])}
    u, a = inputs.get("u"), inputs.get("A")
    if not u or not a:
        sys.exit(f"scan_sweep: {artifact} is not a selective_scan artifact (no inputs u and A)")
    return u[0], u[1], u[2], a[1], plan.get("dtype", "f32")


def artifacts(sweep):
    found = []
    for name in sorted(os.listdir(sweep)):
        art = os.path.join(sweep, name, "artifact")
        if os.path.isfile(os.path.join(art, "plan.json")):
            b, d, l, n, dtype = shape_of(art)
            found.append((b * d * l, name, art, (b, d, l, n, dtype)))
    if not found:
        sys.exit(f"scan_sweep: no DIR/NAME/artifact/plan.json under {sweep}: pack a bundle "
                 "with scripts/pack-gpu-bundle.sh --scan-sweep")
    return [f[1:] for f in sorted(found)]


def ssmc_row(rt, art, iters, warmup, out_json):
    cmd = [rt, "bench", art, "--random", "--per-kernel", "--iters", str(iters), "--warmup",
           str(warmup), "--quiet", "--json", out_json]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}")
    bench = json.load(open(out_json))
    scans = [r for r in bench["rows"] if r.get("kind") == "scan"] or bench["rows"]
    return bench, scans[0]


def peer_us(shape, iters, warmup, compiled, device):
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from peers import timed
    from vim_torch import scan_chunked
    b, d, l, n, dtype = shape
    dt = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[dtype]
    g = torch.Generator(device=device).manual_seed(0)
    rand = lambda *s: (torch.randn(*s, device=device, generator=g) * 0.5).to(dt)
    u, delta, z = rand(b, d, l), rand(b, d, l), rand(b, d, l)
    B, C = rand(b, n, l), rand(b, n, l)
    A = -torch.rand(d, n, device=device, generator=g) - 0.5
    D, bias = rand(d), rand(d)
    def body(h, dA, dBu, c):  # one step: the new state and C . h
        h = dA * h + dBu
        return h, (h * c[:, None, :]).sum(-1)

    step = torch.compile(body) if compiled else None
    fn = lambda: scan_chunked(u, delta, A, B, C, D, z, bias, True, step=step)
    with torch.no_grad():
        ms = timed(fn, warmup, iters, device)[0]
    del u, delta, z, B, C
    if device == "cuda":
        torch.cuda.empty_cache()
    return 1e3 * ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sweep", required=True, help="BUNDLE/scan-sweep")
    ap.add_argument("--ssmc-rt", help="the runtime's ssmc-rt")
    ap.add_argument("--out", default=".")
    ap.add_argument("--budget", type=float, default=300, help="seconds for the whole sweep")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true", help="time ssmc only")
    ap.add_argument("--peer-device", default="cuda",
                    help="where PyTorch runs (cpu: to try the script without a GPU)")
    ap.add_argument("--compile", action="store_true",
                    help="the peer's loop body under torch.compile (a compile per shape)")
    ap.add_argument("--list", action="store_true", help="print the shapes; time nothing")
    args = ap.parse_args()

    found = artifacts(args.sweep)
    if args.list:
        for name, art, (b, d, l, n, dtype) in found:
            print(f"{name}: selective_scan B {b} D {d} L {l} N {n} {dtype}")
        return 0
    if not args.ssmc_rt:
        sys.exit("scan_sweep: --ssmc-rt is needed to time (or --list)")
    peer = not args.no_peer
    if peer:
        try:
            import torch
            if args.peer_device == "cuda" and not torch.cuda.is_available():
                raise ImportError("no CUDA device")
        except ImportError as e:
            print(f"scan_sweep: no PyTorch peer ({e}): ssmc only", flush=True)
            peer = False
    os.makedirs(args.out, exist_ok=True)
    start = time.monotonic()
    rows, copy_gbps, gpu = [], [], None
    for name, art, shape in found:
        b, d, l, n, dtype = shape
        row = {"name": name, "batch": b, "channels": d, "length": l, "d_state": n, "dtype": dtype}
        rows.append(row)
        if time.monotonic() - start > args.budget:
            row["skipped"] = f"past the {args.budget:.0f} s budget"
            print(f"{name}: skipped ({row['skipped']})", flush=True)
            continue
        try:
            bench, k = ssmc_row(args.ssmc_rt, art, args.iters, args.warmup,
                                os.path.join(args.out, f"{name}.bench.json"))
        except RuntimeError as e:
            row["error"] = str(e)
            print(f"{name}: {e}", flush=True)
            continue
        gpu = bench.get("gpu")
        copy_gbps.append(bench["copy_gbps"])
        row.update(ssmc_us=k["median_us"], min_bytes=k.get("min_bytes"),
                   bound_us=k.get("bound_us"), bound_by=k.get("bound_by"),
                   modeled_us=k.get("modeled_us"), copy_gbps=bench["copy_gbps"])
        if k.get("min_bytes"):
            row["achieved_gbps"] = k["min_bytes"] / (k["median_us"] * 1e-6) / 1e9
            row["of_copy"] = row["achieved_gbps"] / bench["copy_gbps"]
            # The goal: 85% of the copy rate, or of the MUFU bound where that
            # is the tighter one.
            copy_us = k["min_bytes"] / (bench["copy_gbps"] * 1e9) * 1e6
            row["goal_us"] = max(copy_us, k.get("bound_us") or 0) / 0.85
            row["meets_goal"] = k["median_us"] <= row["goal_us"]
        if peer:
            try:
                row["peer_us"] = peer_us(shape, max(1, args.iters // 5), 1, False,
                                         args.peer_device)
                if args.compile:
                    row["peer_compiled_us"] = peer_us(shape, max(1, args.iters // 5), 1, True,
                                                      args.peer_device)
            except Exception as e:  # out of memory at the largest shapes, say
                row["peer_error"] = f"{type(e).__name__}: {e}"[:300]
        print(f"{name}: ssmc {row['ssmc_us']:.1f} us"
              + (f", {row['achieved_gbps']:.0f} GB/s ({100 * row['of_copy']:.0f}% of copy)"
                 if "achieved_gbps" in row else "")
              + (f", PyTorch {row['peer_us']:.0f} us" if "peer_us" in row else ""), flush=True)

    out = {"gpu": gpu, "copy_gbps": copy_gbps, "iters": args.iters, "warmup": args.warmup,
           "rows": rows}
    with open(os.path.join(args.out, "scan-sweep.json"), "w") as f:
        json.dump(out, f, indent=1)
    lines = [f"### The selective scan alone ({gpu}), ssmc beside PyTorch's recurrence", "",
             "| B | D | L | ssmc us | GB/s | of copy | bound | goal us | PyTorch us | "
             "PyTorch / ssmc |", "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    for r in rows:
        if "ssmc_us" not in r:
            lines.append(f"| {r['batch']} | {r['channels']} | {r['length']} | "
                         f"{r.get('skipped') or 'error'} | | | | | | |")
            continue
        p = r.get("peer_us")
        peer_cell = f"{p:.0f}" if p else r.get("peer_error", "-")[:40]
        if r.get("peer_compiled_us"):
            peer_cell += f" (compiled {r['peer_compiled_us']:.0f})"
        ratio = f"{p / r['ssmc_us']:.1f}" if p else "-"
        missed = "" if r.get("meets_goal") else " (missed)"
        lines.append(
            f"| {r['batch']} | {r['channels']} | {r['length']} | {r['ssmc_us']:.1f} | "
            f"{r.get('achieved_gbps', 0):.0f} | {100 * r.get('of_copy', 0):.0f}% | "
            f"{r.get('bound_by') or '-'} | {r.get('goal_us', 0):.1f}{missed} | {peer_cell} | "
            f"{ratio} |")
    met = [r for r in rows if "meets_goal" in r]
    lines += ["", f"{sum(r['meets_goal'] for r in met)} of {len(met)} shapes meet the goal "
              "(85% of the copy bandwidth, or of the MUFU bound where that is lower)."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "scan-sweep.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
