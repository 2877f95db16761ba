#!/usr/bin/env python3
"""The example plugin against timm: compile it (3 kernels), run it on timm's
weights and input, compare with timm's output.

  check.py --ssmc PATH/ssmc --plugin libsilu_gated_block.so --reference REF.safetensors

REF holds the block's weights under timm's names, `input` and `output`
(float32). Needs only the Python standard library."""
import argparse
import array
import json
import os
import struct
import subprocess
import sys
import tempfile


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {t['dtype']}, expected F32")
        begin, end = t["data_offsets"]
        values = array.array("f")
        values.frombytes(data[begin:end])
        tensors[name] = (t["shape"], values)
    return tensors, meta


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (shape, values) in tensors.items():
        blob = values.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def ssmc(args, command):
    line = [args.ssmc, *command, "--plugin", args.plugin]
    print("$", " ".join(line), flush=True)
    done = subprocess.run(line, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAIL: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return done.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--ssmc", required=True)
    p.add_argument("--plugin", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--model", default="silu_gated_block_d16")
    args = p.parse_args()

    tensors, meta = read_safetensors(args.reference)
    tolerance = float(meta.get("tolerance", "1e-4"))
    shape = tensors["input"][0]
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "weights.safetensors")
        inputs = os.path.join(tmp, "inputs.safetensors")
        output = os.path.join(tmp, "output.safetensors")
        write_safetensors(weights, {k: v for k, v in tensors.items() if k not in ("input", "output")})
        write_safetensors(inputs, {"input": tensors["input"]})

        # 1. Fused as the built-in block is: LayerNorm+fc1, conv+gate, fc2+LayerScale+residual.
        summary = json.loads(ssmc(args, ["compile", args.model, "--input-shape",
                                         ",".join(map(str, shape)), "--summary=json"]))
        kernels = [k["name"] for k in summary["kernels"]]
        print(f"{len(kernels)} kernels: {', '.join(kernels)}")
        if len(kernels) != 3:
            sys.exit(f"FAIL: expected 3 kernels, got {len(kernels)}")

        # 2. timm's weights and input through the reference executor.
        ssmc(args, ["run", args.model, "--weights", weights, "--inputs", inputs,
                    "--output", output, "--quiet"])
        got = read_safetensors(output)[0]["output"][1]
        want = tensors["output"][1]
        scale = max(abs(v) for v in want)
        worst = max(abs(a - b) for a, b in zip(got, want)) / scale
        print(f"ssmc run vs timm: max |difference| / max |timm| = {worst:.3g} "
              f"(tolerance {tolerance:g})")
        if not worst <= tolerance:
            sys.exit("FAIL: the plugin's block does not match timm's")

        # 3. The generated kernels, built for the CPU, against the reference executor.
        print(ssmc(args, ["check", args.model, "--weights", weights, "--inputs", inputs]), end="")
    print("PASSED")


if __name__ == "__main__":
    main()
