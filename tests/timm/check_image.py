#!/usr/bin/env python3
"""`ssmc run --image` against timm's eval transform of the same file.

Runs `ssmc run MODEL --image FILE --image-size N --save-inputs ...` and
compares the model input it bound with the tensor make_image_cases.py stored,
in 8-bit pixel levels (|difference| x std x 255). Exit 0 when within
--max-levels, 1 otherwise.
"""
import argparse
import array
import json
import os
import struct
import subprocess
import sys
import tempfile

STD = (0.229, 0.224, 0.225)


def read_input(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    info = header["input"]
    begin, end = info["data_offsets"]
    values = array.array("f")
    values.frombytes(blob[8 + n + begin:8 + n + end])
    return info["shape"], values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ssmc", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--max-levels", type=float, default=0.01)  # the same pixels
    ap.add_argument("--set", action="append", default=[], help="KEY=VALUE for the model")
    args = ap.parse_args()
    expected_path = f"{args.image}.{args.size}.expected.safetensors"
    with tempfile.TemporaryDirectory() as tmp:
        got_path = os.path.join(tmp, "inputs.safetensors")
        cmd = [args.ssmc, "run", args.model, "--device", "cpu", "--quiet", "--image", args.image,
               "--image-size", str(args.size), "--save-inputs", got_path]
        for kv in args.set:
            cmd += ["--set", kv]
        print("$ " + " ".join(cmd))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            return 1
        got_shape, got = read_input(got_path)
    shape, expected = read_input(expected_path)
    if got_shape != shape:
        print(f"FAIL: ssmc's input is {got_shape}, timm's {shape}")
        return 1
    plane = shape[2] * shape[3]
    worst = max(abs(g - e) * STD[(i // plane) % 3] * 255 for i, (g, e) in
                enumerate(zip(got, expected)))
    verdict = "ok" if worst <= args.max_levels else "FAIL"
    print(f"{os.path.basename(args.image)} at {args.size}: max difference from timm "
          f"{worst:.3f} pixel levels (limit {args.max_levels}) {verdict}")
    return 0 if worst <= args.max_levels else 1


if __name__ == "__main__":
    sys.exit(main())
