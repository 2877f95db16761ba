#!/usr/bin/env python3
"""Prints `NAME SHA256-PREFIX` for one tensor of each safetensors file given,
so that FileCheck can see two runs produced the same values.

usage: tensor_digest.py NAME FILE...
"""
import hashlib
import json
import struct
import sys

name, paths = sys.argv[1], sys.argv[2:]
for path in paths:
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    begin, end = json.loads(blob[8:8 + n])[name]["data_offsets"]
    print(name, hashlib.sha256(blob[8 + n + begin:8 + n + end]).hexdigest()[:16])
