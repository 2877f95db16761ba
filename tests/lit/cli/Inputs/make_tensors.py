#!/usr/bin/env python3
"""Writes a small safetensors file for CLI tests.

usage: make_tensors.py OUT NAME=D,D,...[:VALUE][@I64] ...   (float32, VALUE or 0.5; nan, inf
       too; @I64: int64 zeros)
       make_tensors.py OUT --corrupt                   (a header that lies)
"""
import json
import struct
import sys

out, specs = sys.argv[1], sys.argv[2:]
if specs == ["--corrupt"]:
    header = json.dumps({"input": {"dtype": "F32", "shape": [4], "data_offsets": [0, 64]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + b"\0" * 16)
    sys.exit(0)
header, data = {}, b""
for spec in specs:
    name, dims = spec.split("=")
    dims, _, dtype = dims.partition("@")
    dims, _, value = dims.partition(":")
    value = float(value) if value else 0.5
    shape = [int(d) for d in dims.split(",")]
    count = 1
    for d in shape:
        count *= d
    if dtype == "I64":
        header[name] = {"dtype": "I64", "shape": shape, "data_offsets": [len(data), len(data) + 8 * count]}
        data += b"\0" * (8 * count)
        continue
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + 4 * count]}
    data += struct.pack("<%df" % count, *([value] * count))
blob = json.dumps(header).encode()
blob += b" " * (-len(blob) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(blob)) + blob + data)
