"""A small safetensors reader and writer (F32, F16, BF16, I64) on numpy and
torch, so the bench scripts need no `safetensors` package on the GPU machine."""
import json
import struct

import numpy as np
import torch

_NUMPY = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read(path):
    """{name: torch.Tensor (on the CPU)}; bf16 comes back as torch.bfloat16."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[begin:end]
        if info["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            t = torch.from_numpy(bits.view(np.float32).copy()).to(torch.bfloat16)
        elif info["dtype"] in _NUMPY:
            t = torch.from_numpy(np.frombuffer(raw, dtype=_NUMPY[info["dtype"]]).copy())
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, which this reader "
                             "does not handle")
        out[name] = t.reshape(info["shape"])
    return out


def write(path, tensors):
    """Writes {name: tensor} as F32 (every float tensor) or I64."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu()
        if t.is_floating_point():
            arr, dtype = t.float().numpy(), "F32"
        else:
            arr, dtype = t.long().numpy(), "I64"
        blob = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
