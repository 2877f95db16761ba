#!/usr/bin/env python3
"""Converts a PyTorch checkpoint (.pth/.pt) to safetensors for `ssmc run --weights`.

Needs `torch` and `safetensors` (pip install torch safetensors). Unwraps an
outer "model" / "state_dict" entry (Vim and many training scripts nest the
weights there), keeps the names as they are (ssmc maps timm's MambaOut names
itself), and stores floating-point tensors as float32.

usage: convert-checkpoint.py IN.pth OUT.safetensors
"""
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        import torch
        from safetensors.torch import save_file
    except ImportError as e:
        sys.exit(f"convert-checkpoint: {e}; install with `pip install torch safetensors`")
    src, dst = sys.argv[1:]
    obj = torch.load(src, map_location="cpu", weights_only=True)
    for key in ("model", "state_dict", "model_ema"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
            break
    tensors = {k: (v.float() if v.is_floating_point() else v).contiguous()
               for k, v in obj.items() if torch.is_tensor(v)}
    save_file(tensors, dst, metadata={"source": src})
    print(f"wrote {len(tensors)} tensors to {dst}")


if __name__ == "__main__":
    main()
