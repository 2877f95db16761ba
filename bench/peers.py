#!/usr/bin/env python3
"""ssmc's peers on the GPU machine: timm's MambaOut and a PyTorch Vision Mamba
(bench/vim_torch.py, the reference recurrence; mamba_ssm cannot be installed
there), in eager mode and under torch.compile (default and max-autotune), on
the same weights and inputs as ssmc, with outputs checked before anything is
timed, and ssmc timed in the same run.

  peers.py [MODEL] [--batch N] [--dtype bf16|f16|f32] [--img-size S]
           [--modes eager,compile,max-autotune] [--iters N] [--warmup N]
           [--artifact DIR --ssmc-rt BIN] [--json FILE] [--markdown FILE]
           [--device cuda|cpu] [--seed N]

MODEL is a timm MambaOut name (mambaout_femto, mambaout_tiny, ...) or
vim_tiny / vim_small / vim_base; with --artifact, the model, batch, dtype and
image size default to the artifact's. Weights are drawn once (seed) and used by
every peer; with --artifact (an `ssmc compile MODEL --batch N --dtype D -o
DIR` artifact of the same model) they are written to a safetensors file,
`ssmc-rt run` runs the artifact on them and its output must match eager's,
then `ssmc-rt bench` times it beside the peers. The JSON has "gpu", "torch",
"model", "dtype", "batch" and "rows" (one per peer: median and minimum ms,
images/s, the largest difference from eager relative to eager's largest
magnitude); exit 1 when an output does not match.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import st  # noqa: E402
import vim_torch  # noqa: E402

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}
# Largest difference from eager's output, relative to its largest magnitude.
TOLERANCE = {"f32": 1e-2, "bf16": 6e-2, "f16": 2e-2}


def build(name, img_size, seed):
    torch.manual_seed(seed)
    if name in vim_torch.VARIANTS:
        model = vim_torch.VisionMamba(img_size=img_size, **vim_torch.VARIANTS[name])
        # Values like the golden cases' (README "How the values were drawn"):
        # small projections, A_log so that A is in [-16, -1], dt bias for
        # dt in [1e-3, 1e-1].
        with torch.no_grad():
            for key, p in model.named_parameters():
                if key.endswith("A_log") or key.endswith("A_b_log"):
                    p.copy_(torch.log(torch.arange(1, p.shape[1] + 1).float()).expand_as(p))
                elif key.endswith("dt_proj.bias"):
                    dt = torch.exp(torch.rand(p.shape) * (math.log(0.1) - math.log(1e-3))
                                   + math.log(1e-3))
                    p.copy_(dt + torch.log(-torch.expm1(-dt)))
                elif key.endswith(".D") or key.endswith("D_b"):
                    p.fill_(1.0)
                elif "norm" in key:
                    p.fill_(1.0)
                else:
                    p.normal_(0, 0.02)
        return model, model.official_state_dict
    import timm  # only MambaOut needs it
    model = timm.create_model(name, pretrained=False, num_classes=1000)
    return model, model.state_dict


def timed(fn, warmup, iters, device):
    for _ in range(warmup):
        fn()
    ms = []
    if device == "cuda":
        torch.cuda.synchronize()
        for _ in range(iters):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            ms.append(start.elapsed_time(end))
    else:
        for _ in range(iters):
            t = time.perf_counter()
            fn()
            ms.append(1e3 * (time.perf_counter() - t))
    return statistics.median(ms), min(ms)


def rel_diff(got, ref):
    got, ref = got.float().cpu(), ref.float().cpu()
    return float((got - ref).abs().max() / ref.abs().max().clamp_min(1e-30))


def ssmc_rows(args, weights, x, eager_out):
    """Runs the artifact with ssmc-rt on the peers' weights and input: its
    output checked against eager's, then timed. Returns the row and the
    ssmc-rt bench JSON."""
    with tempfile.TemporaryDirectory(prefix="ssmc-peers-") as tmp:
        w, i, o, j = (os.path.join(tmp, n) for n in
                      ("weights.safetensors", "inputs.safetensors", "out.safetensors",
                       "bench.json"))
        with open(os.path.join(args.artifact, "plan.json")) as f:
            plan = json.load(f)
        # The artifact must be the peer's model: the same weights, by name and shape.
        want = {t["name"]: list(t["shape"]) for t in plan["weights"]}
        have = {name: list(t.shape) for name, t in weights.items()}
        wrong = sorted(n for n in want if have.get(n) != want[n])
        if wrong:
            raise SystemExit(f"peers: the artifact's {plan['model']} is not the peer's (weights "
                             f"{wrong[:4]} differ or are missing): compile the registered variant "
                             "with only --batch/--dtype")
        st.write(w, weights)
        st.write(i, {plan["inputs"][0]["name"]: x})
        subprocess.run([args.ssmc_rt, "run", args.artifact, "--weights", w, "--inputs", i,
                        "--output", o, "--quiet"], check=True)
        out = st.read(o)[plan["outputs"][0]["name"]]
        diff = rel_diff(out, eager_out)
        if diff > TOLERANCE[args.dtype]:  # not timed: it does not compute the same thing
            return {"peer": "ssmc (CUDA graph)", "median_ms": None, "min_ms": None,
                    "images_per_s": None, "rel_diff_vs_eager": diff}, None
        subprocess.run([args.ssmc_rt, "bench", args.artifact, "--weights", w, "--inputs", i,
                        "--iters", str(args.iters), "--warmup", str(args.warmup), "--quiet",
                        "--json", j], check=True, stdout=sys.stderr)
        with open(j) as f:
            bench = json.load(f)
    fwd = bench["forward"]
    return {"peer": "ssmc (CUDA graph)", "median_ms": fwd["graph_median_us"] / 1e3,
            "min_ms": fwd["graph_min_us"] / 1e3, "images_per_s": fwd["images_per_s"],
            "rel_diff_vs_eager": diff}, bench


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?")
    p.add_argument("--batch", type=int)
    p.add_argument("--dtype", choices=sorted(DTYPES))
    p.add_argument("--img-size", type=int)
    p.add_argument("--modes", default="eager,compile,max-autotune")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--artifact")
    p.add_argument("--ssmc-rt")
    p.add_argument("--json")
    p.add_argument("--markdown")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if bool(args.artifact) != bool(args.ssmc_rt):
        p.error("--artifact and --ssmc-rt go together")
    if args.artifact:
        with open(os.path.join(args.artifact, "plan.json")) as f:
            plan = json.load(f)
        shape = plan["inputs"][0]["shape"]
        if args.model and args.model != plan["model"]:
            p.error(f"the artifact is of {plan['model']}, not {args.model}")
        args.model = plan["model"]
        args.batch = args.batch or shape[0]
        args.img_size = args.img_size or shape[2]
        args.dtype = args.dtype or plan["dtype"]
        if (args.batch, args.img_size, args.dtype) != (shape[0], shape[2], plan["dtype"]):
            p.error(f"the artifact runs batch {shape[0]}, {shape[2]}², {plan['dtype']}: drop "
                    "--batch/--img-size/--dtype")
    if not args.model:
        p.error("name a MODEL or give --artifact")
    args.batch = args.batch or 128
    args.img_size = args.img_size or 224
    args.dtype = args.dtype or "bf16"
    modes = [m for m in args.modes.split(",") if m]
    if "eager" not in modes:
        modes.insert(0, "eager")  # the reference every other output is checked against

    model, state_dict = build(args.model, args.img_size, args.seed)
    weights = {k: v.float() for k, v in state_dict().items()}
    model = model.eval().to(args.device, DTYPES[args.dtype])
    torch.manual_seed(args.seed + 1)
    x = torch.randn(args.batch, 3, args.img_size, args.img_size)
    xd = x.to(args.device, DTYPES[args.dtype])
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # ssmc's f32 GEMMs are TF32 by default
        torch.backends.cudnn.allow_tf32 = True

    rows, eager_out, failed = [], None, False
    with torch.no_grad():
        for mode in modes:
            if mode == "eager":
                fn = model
            elif not hasattr(torch, "compile"):
                print(f"peers: torch {torch.__version__} has no torch.compile: {mode} skipped",
                      file=sys.stderr)
                continue
            else:
                fn = torch.compile(model, mode=None if mode == "compile" else mode)
            out = fn(xd)
            if eager_out is None:
                eager_out = out.float().cpu()
            diff = rel_diff(out, eager_out)
            ok = diff <= TOLERANCE[args.dtype]
            failed |= not ok
            if not ok:
                print(f"peers: {mode} differs from eager by {diff:.3g} (tolerance "
                      f"{TOLERANCE[args.dtype]}): not timed", file=sys.stderr)
                continue
            med, low = timed(lambda: fn(xd), args.warmup, args.iters, args.device)
            rows.append({"peer": f"{'timm' if 'mambaout' in args.model else 'PyTorch'} {mode}",
                         "median_ms": med, "min_ms": low,
                         "images_per_s": args.batch / (med * 1e-3), "rel_diff_vs_eager": diff})
            print(f"  {rows[-1]['peer']:<28} median {med:9.3f} ms  min {low:9.3f} ms  "
                  f"{rows[-1]['images_per_s']:9.0f} images/s  (vs eager {diff:.2g})",
                  file=sys.stderr)
    bench = None
    if args.artifact:
        row, bench = ssmc_rows(args, weights, x, eager_out)
        ok = row["rel_diff_vs_eager"] <= TOLERANCE[args.dtype]
        failed |= not ok
        if not ok:
            print(f"peers: ssmc's output differs from eager by {row['rel_diff_vs_eager']:.3g} "
                  f"(tolerance {TOLERANCE[args.dtype]})", file=sys.stderr)
        rows.append(row)

    result = {"model": args.model, "dtype": args.dtype, "batch": args.batch,
              "img_size": args.img_size, "device": args.device,
              "gpu": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
              "torch": torch.__version__, "iters": args.iters, "warmup": args.warmup,
              "rows": rows, "ssmc_bench": bench}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    table = [f"### {args.model} ({args.dtype}, batch {args.batch}, {args.img_size}²) on "
             f"{result['gpu']}, torch {torch.__version__}", "",
             "| peer | median ms | min ms | images/s | max diff vs eager |",
             "| --- | ---: | ---: | ---: | ---: |"]
    def cell(v, fmt):
        return "not timed" if v is None else format(v, fmt)
    table += [f"| {r['peer']} | {cell(r['median_ms'], '.3f')} | {cell(r['min_ms'], '.3f')} | "
              f"{cell(r['images_per_s'], '.0f')} | {r['rel_diff_vs_eager']:.2g} |" for r in rows]
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(table) + "\n")
    print("\n".join(table))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
