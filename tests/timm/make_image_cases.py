#!/usr/bin/env python3
"""Writes the `--image` cases: small images and timm's eval transform of them.

A synthetic, non-square picture (gradients, edges and noise, so resampling
errors show) is saved as JPEG and as PNG with an alpha channel; timm's
create_transform (resize the short side with bicubic, centre crop by
crop_pct, ImageNet mean and std) gives the tensors `ssmc run --image
--save-inputs` must reproduce. Needs torch, torchvision, PIL and timm:

    python3 tests/timm/make_image_cases.py [OUT_DIR]     # default tests/timm/data
"""
import json
import os
import struct
import sys

import torch
from PIL import Image
from timm.data import create_transform

HERE = os.path.dirname(os.path.abspath(__file__))

# (file, image size, crop_pct): crop_pct is the model's (MambaOut 1.0, Vim 0.875);
# the last case enlarges.
CASES = [("image_rgb.jpg", 64, 1.0), ("image_rgba.png", 32, 0.875), ("image_rgba.png", 96, 1.0)]


def picture(width, height, alpha):
    generator = torch.Generator().manual_seed(11)
    noise = torch.randint(0, 40, (height, width, 4), generator=generator)
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            r = (x * 255) // (width - 1)
            g = (y * 255) // (height - 1)
            b = 255 if (x // 7 + y // 5) % 2 else 30
            a = 255 - (x + y) % 200
            px = [min(255, v + int(noise[y, x, i])) for i, v in enumerate((r, g, b, a))]
            pixels += bytes(px if alpha else px[:3])
    return Image.frombytes("RGBA" if alpha else "RGB", (width, height), bytes(pixels))


def write_tensors(path, tensors, meta):
    header, data = {}, b""
    for name, t in tensors.items():
        raw = t.contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = meta
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob + data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    os.makedirs(out, exist_ok=True)
    picture(97, 71, alpha=False).save(os.path.join(out, "image_rgb.jpg"), quality=90)
    picture(45, 83, alpha=True).save(os.path.join(out, "image_rgba.png"))
    for name, size, crop_pct in CASES:
        transform = create_transform(input_size=(3, size, size), crop_pct=crop_pct,
                                     interpolation="bicubic")
        image = Image.open(os.path.join(out, name)).convert("RGB")
        x = transform(image).unsqueeze(0)
        write_tensors(os.path.join(out, f"{name}.{size}.expected.safetensors"), {"input": x},
                      {"size": str(size), "crop_pct": str(crop_pct),
                       "transform": str(transform).replace("\n", " ")})
        print(f"{name}: {image.size} -> {list(x.shape)}; {transform}")


if __name__ == "__main__":
    main()
