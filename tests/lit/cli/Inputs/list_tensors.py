"""Prints each safetensors file's tensors, one line each: FILE NAME DTYPE [SHAPE],
then its metadata as `FILE meta KEY=VALUE`. The header is JSON after an
8-byte little-endian length."""
import json
import os
import struct
import sys

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    name = os.path.basename(path)
    for key, info in sorted(header.items()):
        if key != "__metadata__":
            print(f"{name} {key} {info['dtype']} {info['shape']}")
    for key, value in sorted(header.get("__metadata__", {}).items()):
        print(f"{name} meta {key}={value}")
