#!/usr/bin/env python3
"""Each kernel of an ssmc artifact beside what PyTorch runs for the same op:
cuBLAS(Lt) for a linear, cuDNN for a convolution in channels-last memory
format, the reference recurrence for a selective scan. The shapes and the
storage type are the artifact's, and it runs on the GPU machine (issues 13
and 14's per-kernel comparison).

    python3 bench/kernel_peers.py --artifact DIR [--bench NAME.bench.json]
        [--device cuda|cpu] [--iters 20] [--warmup 3] [--compile-scans]
        [--json OUT] [--markdown OUT]
    python3 bench/kernel_peers.py --artifact DIR --list     # no torch needed

The ops come from the artifact's model.mlir: every kernel group's linear,
conv2d, depthwise_conv2d, causal_conv1d and selective_scan, with their
operand shapes and attributes. Only the op itself is timed. What ssmc fuses
around it (norms, activations, residual adds, the gating) is left out, so a
peer's time is its library's for the op alone. A group of several such ops
(Vim's two scan directions, a conv's two halves) sums them. The peer's
inputs are small enough to stay in the L2 between repeats where the op's
are; ssmc's times (--bench: `ssmc-rt bench --per-kernel --json`, from the
same run on the same GPU) are taken inside whole forwards. Groups without
such an op (row kernels, reductions) have no peer row.
"""
import argparse
import json
import math
import os
import re
import sys

GROUP = re.compile(r'ssmc\.kernel_group "([^"]+)"')
OP = re.compile(r"= ssmc\.(linear|conv2d|depthwise_conv2d|causal_conv1d|selective_scan) "
                r"(.*?) : \((.*)\) -> (.*)$")
TENSOR = re.compile(r"tensor<((?:[0-9]+x)*)(?:f32|f16|bf16)>")
PAIR = re.compile(r"(stride|padding) \[([0-9]+), ([0-9]+)\]")


def shapes(types):
    return [[int(d) for d in m.group(1).split("x") if d] for m in TENSOR.finditer(types)]


def read_ops(model_mlir):
    """[(group name, [op, ...])] in the module's order; an op is a dict with
    'kind', 'shapes' (its operands'), 'out' (its first result's) and attrs."""
    groups, current = [], None
    with open(model_mlir) as f:
        for line in f:
            g = GROUP.search(line)
            if g:
                current = (g.group(1), [])
                groups.append(current)
                continue
            m = OP.search(line)
            if not m or current is None:
                continue
            kind, text, operands, results = m.groups()
            op = {"kind": kind, "shapes": shapes(operands), "out": shapes(results)[0]}
            for name, a, b in PAIR.findall(text):
                op[name] = [int(a), int(b)]
            g = re.search(r"groups ([0-9]+)", text)
            op["groups"] = int(g.group(1)) if g else 1
            op["channels_last"] = " channels_last" in text
            op["reverse"] = " reverse" in text
            op["softplus"] = " delta_softplus" in text
            # The scan's optional operands, in the order they are printed.
            op["optional"] = [k for k in ("D", "z", "delta_bias") if f" {k} %" in text]
            current[1].append(op)
    return groups


def describe(op):
    s = op["shapes"]
    dims = lambda v: "x".join(str(d) for d in v)
    if op["kind"] == "linear":
        m = math.prod(s[0][:-1])
        return f"linear M {m} N {s[1][0]} K {s[1][1]}"
    if op["kind"] in ("conv2d", "depthwise_conv2d"):
        k = f"{s[1][2]}x{s[1][3]}"
        stride = op.get("stride", [1, 1])[0]
        layout = "NHWC" if op["channels_last"] or op["kind"] == "depthwise_conv2d" else "NCHW"
        return f"{op['kind']} {k}/{stride} {layout} [{dims(s[0])}] -> {s[1][0]}"
    if op["kind"] == "causal_conv1d":
        return f"causal_conv1d k{s[1][2]} [{dims(s[0])}]"
    return f"selective_scan [{dims(s[0])}] N {s[2][1]}"


def peer(op, torch, F, dtype, device):
    """A closure that runs the op once in PyTorch on random data."""
    s = op["shapes"]
    g = torch.Generator(device="cpu").manual_seed(0)
    rand = lambda shape, dt=dtype: (torch.randn(shape, generator=g) * 0.5).to(device=device, dtype=dt)
    if op["kind"] == "linear":
        x, w = rand([math.prod(s[0][:-1]), s[0][-1]]), rand(s[1])
        b = rand(s[2]) if len(s) > 2 else None
        return lambda: F.linear(x, w, b)
    if op["kind"] in ("conv2d", "depthwise_conv2d"):
        nhwc = op["channels_last"] or op["kind"] == "depthwise_conv2d"
        n, c = s[0][0], s[0][3] if nhwc else s[0][1]
        h, w_ = (s[0][1], s[0][2]) if nhwc else (s[0][2], s[0][3])
        x = rand([n, c, h, w_]).contiguous(memory_format=torch.channels_last)
        w = rand(s[1]).contiguous(memory_format=torch.channels_last)
        b = rand(s[2]) if len(s) > 2 else None
        if op["kind"] == "depthwise_conv2d":
            pad, stride, groups = [s[1][2] // 2, s[1][3] // 2], [1, 1], c
        else:
            pad, stride, groups = op.get("padding", [0, 0]), op.get("stride", [1, 1]), op["groups"]
        return lambda: F.conv2d(x, w, b, stride=stride, padding=pad, groups=groups)
    if op["kind"] == "causal_conv1d":
        # [B, L, D] channels-last or [B, D, L]; PyTorch's conv1d reads [B, D, L].
        bsz, length, d = (s[0][0], s[0][1], s[0][2]) if op["channels_last"] else \
            (s[0][0], s[0][2], s[0][1])
        x, w = rand([bsz, d, length]), rand(s[1])
        b = rand(s[2]) if len(s) > 2 else None
        k = s[1][2]
        return lambda: F.conv1d(x, w, b, padding=k - 1, groups=d)[..., :length]
    # selective_scan: u, delta [B, L, D] or [B, D, L]; A [D, N]; B, C [B, L, N]
    # or [B, N, L]; then D, z, delta_bias where present.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from vim_torch import selective_scan
    last = op["channels_last"]
    to_bdl = (lambda t: t.transpose(1, 2).contiguous()) if last else (lambda t: t)
    u, delta = to_bdl(rand(s[0])), to_bdl(rand(s[1]))
    A = -torch.rand(s[2], generator=g).to(device=device, dtype=torch.float32) - 0.5
    B, C = to_bdl(rand(s[3])), to_bdl(rand(s[4]))
    extra = dict(zip(op["optional"], s[5:]))
    D = rand(extra["D"]) if "D" in extra else None
    z = to_bdl(rand(extra["z"])) if "z" in extra else None
    bias = rand(extra["delta_bias"]) if "delta_bias" in extra else None
    return lambda: selective_scan(u, delta, A, B, C, D, z, bias,
                                  delta_softplus=op["softplus"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--artifact", required=True, help="an `ssmc compile -o` directory")
    ap.add_argument("--bench", help="ssmc-rt bench --per-kernel --json of the same artifact")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--compile-scans", action="store_true",
                    help="time the scans under torch.compile too")
    ap.add_argument("--list", action="store_true", help="print the ops; time nothing")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()

    plan_path = os.path.join(args.artifact, "plan.json")
    mlir_path = os.path.join(args.artifact, "model.mlir")
    for p in (plan_path, mlir_path):
        if not os.path.isfile(p):
            sys.exit(f"kernel_peers: {p} is missing: --artifact takes a directory that "
                     "`ssmc compile MODEL -o DIR` wrote")
    plan = json.load(open(plan_path))
    groups = [(name, ops) for name, ops in read_ops(mlir_path) if ops]
    if not groups:
        sys.exit(f"kernel_peers: {mlir_path} has no kernel group with a linear, conv or scan")
    if args.list:
        for name, ops in groups:
            print(f"{name}: " + "; ".join(describe(op) for op in ops))
        return 0

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        sys.exit("kernel_peers: this Python has no torch (--list needs none)")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from peers import timed  # median and fastest milliseconds, CUDA events on a GPU
    if args.compile_scans and not hasattr(torch, "compile"):
        sys.exit(f"kernel_peers: torch {torch.__version__} has no torch.compile: "
                 "drop --compile-scans")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("kernel_peers: no CUDA device here: --device cpu times on the CPU")
    dtypes = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}
    dtype = dtypes[plan.get("dtype", "f32")]
    torch.backends.cuda.matmul.allow_tf32 = True  # ssmc's f32 GEMMs are TF32 by default
    torch.backends.cudnn.allow_tf32 = True

    measured = {}
    if args.bench:
        for row in json.load(open(args.bench)).get("rows", []):
            measured[row["kernel"]] = row.get("median_us")

    rows = []
    with torch.no_grad():
        for name, ops in groups:
            us = 0.0
            compiled_us = 0.0 if args.compile_scans and any(
                op["kind"] == "selective_scan" for op in ops) else None
            for op in ops:
                fn = peer(op, torch, F, dtype, device)
                us += 1e3 * timed(fn, args.warmup, args.iters, device.type)[0]
                if compiled_us is not None:
                    cfn = torch.compile(fn) if op["kind"] == "selective_scan" else fn
                    compiled_us += 1e3 * timed(cfn, args.warmup, args.iters, device.type)[0]
            ssmc = measured.get(name)
            rows.append({"kernel": name, "ops": [describe(op) for op in ops], "peer_us": us,
                         "peer_compiled_us": compiled_us, "ssmc_us": ssmc,
                         "peer_over_ssmc": us / ssmc if ssmc else None})
            print(f"{name}: peer {us:.1f} us" + (f", ssmc {ssmc:.1f} us" if ssmc else ""),
                  flush=True)

    both = [r for r in rows if r["ssmc_us"]]
    totals = {"peer_us": sum(r["peer_us"] for r in both),
              "ssmc_us": sum(r["ssmc_us"] for r in both), "kernels": len(both)}
    out = {"artifact": os.path.abspath(args.artifact), "model": plan.get("model"),
           "dtype": plan.get("dtype"), "device": str(device),
           "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
           "torch": torch.__version__, "iters": args.iters, "warmup": args.warmup,
           "rows": rows, "totals": totals}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    lines = [f"### {plan.get('model')} ({plan.get('dtype')}): each kernel beside PyTorch's op "
             f"alone ({out['gpu'] or device}, torch {torch.__version__})", "",
             "| kernel | op(s) | ssmc us | PyTorch us | PyTorch / ssmc |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        s = f"{r['ssmc_us']:.1f}" if r["ssmc_us"] else "-"
        ratio = f"{r['peer_over_ssmc']:.2f}" if r["peer_over_ssmc"] else "-"
        peer_cell = f"{r['peer_us']:.1f}"
        if r["peer_compiled_us"] is not None:
            peer_cell += f" (compiled {r['peer_compiled_us']:.1f})"
        lines.append(f"| {r['kernel']} | {'; '.join(r['ops'])} | {s} | {peer_cell} | {ratio} |")
    if both:
        lines.append(f"| sum of {len(both)} | | {totals['ssmc_us']:.1f} | {totals['peer_us']:.1f} "
                     f"| {totals['peer_us'] / totals['ssmc_us']:.2f} |")
    text = "\n".join(lines) + "\n"
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
