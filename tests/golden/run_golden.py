#!/usr/bin/env python3
"""Runs one golden case through the `ssmc` CLI, as a user would, and compares.

The case file holds the inputs, the weights, the expected outputs, the
reference constructor's configuration and the tolerance. We pass the
configuration as --set values, run `ssmc run KIND --device cpu`, and compare
every output (and every act.* activation) with max|got - ref| / max|ref|
against the file's `tolerance_strict` (or `tolerance` with --loose).

Exit status: 0 pass, 1 fail, 77 skipped (golden file absent).
"""
import argparse
import array
import json
import os
import struct
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def golden_dirs():
    if os.environ.get("SSMC_GOLDEN_DIR"):
        yield os.environ["SSMC_GOLDEN_DIR"]
    yield os.path.join(REPO, "..", "shared", "golden")
    yield os.path.join(HERE, "data")


def find_case(case, first_dir=None):
    for d in ([first_dir] if first_dir else []) + list(golden_dirs()):
        path = os.path.join(d, case + ".safetensors")
        if os.path.exists(path):
            return path
    return None


def read_safetensors(path):
    """Header and a reader of float32 tensors; independent of ssmc's reader."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n

    def tensor(name):
        info = header[name]
        assert info["dtype"] == "F32", f"{name}: dtype {info['dtype']}"
        begin, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(blob[base + begin : base + end])
        if sys.byteorder != "little":
            values.byteswap()
        return info["shape"], values

    return header, meta, tensor


def set_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


def timm_name(official):
    """Official MambaOut name -> timm's (models.md section 2), written independently of ssmc."""
    p = official.split(".")
    if official.startswith("downsample_layers.0."):
        return "stem." + ".".join(p[2:])
    if p[0] == "downsample_layers":
        return f"stages.{p[1]}.downsample." + ".".join(p[2:])
    if p[0] == "stages":
        return f"stages.{p[1]}.blocks.{p[2]}." + ".".join(p[3:])
    if p[0] == "norm":
        return "head.norm." + p[1]
    if official.startswith("head.fc1."):
        return "head.pre_logits.fc." + p[2]
    if official.startswith("head.norm."):
        return "head.pre_logits.norm." + p[2]
    if official.startswith("head.fc2."):
        return "head.fc." + p[2]
    return official


def weight_names(header, meta):
    """The case file's tensors that are weights: not inputs, outputs or act.*."""
    data = set(meta["inputs"].split(",")) | set(meta["outputs"].split(","))
    return [n for n in header if n not in data and not n.startswith("act.")]


def write_weights_copy(path, header, meta, out, rename=lambda name: name):
    """The file's weights alone (ssmc refuses tensors a model does not use),
    each under rename(name)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    base = 8 + n
    new_header, data = {}, b""
    for name in weight_names(header, meta):
        info = header[name]
        begin, end = info["data_offsets"]
        new_header[rename(name)] = {
            "dtype": info["dtype"], "shape": info["shape"],
            "data_offsets": [len(data), len(data) + end - begin]}
        data += blob[base + begin: base + end]
    text = json.dumps(new_header).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def rel_error(got, ref):
    scale = max((abs(x) for x in ref), default=0.0)
    worst = max((abs(a - b) for a, b in zip(got, ref)), default=0.0)
    return worst / scale if scale > 0 else worst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssmc", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--loose", action="store_true", help="use `tolerance`, not `tolerance_strict`")
    ap.add_argument("--stop-after", help="run the IR after this pipeline stage")
    ap.add_argument("--dir", help="look for the case here first (tests/timm/data)")
    ap.add_argument("--via-module", metavar="STAGE",
                    help="dump the model's IR (`ssmc compile --dump-ir` at the case's input "
                         "shapes) and run the dump of STAGE as `ssmc run FILE.mlir`; outputs only")
    ap.add_argument("--timm-names", action="store_true",
                    help="pass the weights under timm's MambaOut names (and a model. prefix)")
    args = ap.parse_args()

    path = find_case(args.case, args.dir)
    if path is None:
        print(f"SKIP golden.{args.case}: {args.case}.safetensors not found in "
              f"$SSMC_GOLDEN_DIR, ../shared/golden or tests/golden/data")
        return SKIP
    header, meta, tensor = read_safetensors(path)
    kind = meta["kind"]
    config = json.loads(meta["config"])
    inputs = meta["inputs"].split(",")
    outputs = meta["outputs"].split(",")
    acts = [k for k in header if k.startswith("act.")]
    tol = float(meta["tolerance" if args.loose else "tolerance_strict"])

    # A case may name a registered ssmc variant (`ssmc_model`); its `config` then holds
    # only what the case changes.
    cmd = [args.ssmc, "run", meta.get("ssmc_model", kind), "--device", "cpu", "--quiet",
           "--inputs", path]
    for key, value in config.items():
        cmd += ["--set", f"{key}={set_value(value)}"]
    # A first Vim block has no residual input: the file simply lacks it, and
    # ssmc configures the block as the reference does without one.
    if acts:
        cmd.append("--save-activations")
    if args.stop_after:
        cmd += ["--stop-after", args.stop_after]

    with tempfile.TemporaryDirectory() as tmp:
        if args.via_module:
            dump = os.path.join(tmp, "ir")
            compile_cmd = [args.ssmc, "compile", meta.get("ssmc_model", kind), "--quiet",
                           "--dump-ir", dump] + cmd[cmd.index("--inputs") + 2:]
            compile_cmd = [a for a in compile_cmd if a != "--save-activations"]
            for name in inputs:
                dims = ",".join(str(d) for d in header[name]["shape"])
                compile_cmd += ["--input-shape", f"{name}={dims}"]
            print("$ " + " ".join(compile_cmd))
            proc = subprocess.run(compile_cmd, capture_output=True, text=True)
            files = [f for f in sorted(os.listdir(dump)) if f.endswith(f"-{args.via_module}.mlir")] \
                if proc.returncode == 0 else []
            if not files:
                print(proc.stdout + proc.stderr)
                print(f"FAIL golden.{args.case}: no dump of stage {args.via_module}")
                return 1
            # The module carries the configuration and the shapes: no --set, no activations.
            cmd = [args.ssmc, "run", os.path.join(dump, files[0]), "--device", "cpu", "--quiet",
                   "--inputs", path]
            acts = []
        if weight_names(header, meta):
            weights = os.path.join(tmp, "weights.safetensors")
            rename = (lambda n: "model." + timm_name(n)) if args.timm_names else (lambda n: n)
            write_weights_copy(path, header, meta, weights, rename)
            cmd += ["--weights", weights]
        out_path = os.path.join(tmp, "out.safetensors")
        cmd += ["--output", out_path]
        print("$ " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            print(f"FAIL golden.{args.case}: ssmc exited with {proc.returncode}")
            return 1
        got_header, _, got_tensor = read_safetensors(out_path)
        failed = 0
        for name in outputs + acts:
            if name not in got_header:
                print(f"  {name}: MISSING from ssmc's output")
                failed += 1
                continue
            ref_shape, ref = tensor(name)
            got_shape, got = got_tensor(name)
            if list(got_shape) != list(ref_shape):
                print(f"  {name}: shape {got_shape}, expected {ref_shape}")
                failed += 1
                continue
            err = rel_error(got, ref)
            ok = err <= tol
            failed += not ok
            print(f"  {name:28s} {str(ref_shape):22s} rel err {err:.3e}  "
                  f"(tolerance {tol:g}) {'ok' if ok else 'FAIL'}")
    print(f"{'PASS' if failed == 0 else 'FAIL'} golden.{args.case}")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
