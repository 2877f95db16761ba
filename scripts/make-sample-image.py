#!/usr/bin/env python3
"""Draws the sample picture models/samples/sample.ppm (a sun over hills)."""
import math
import sys

W = H = 160
out = sys.argv[1] if len(sys.argv) > 1 else "models/samples/sample.ppm"
pixels = bytearray()
for y in range(H):
    for x in range(W):
        t = y / H
        r, g, b = 90 + 100 * t, 150 + 60 * t, 235 - 40 * t  # sky
        if math.hypot(x - 112, y - 42) < 20:  # sun
            r, g, b = 255, 215, 70
        hill = 110 + 14 * math.sin(x / 17.0) + 6 * math.sin(x / 5.3)
        if y > hill:  # grass, darker with depth
            d = (y - hill) / (H - hill + 1)
            r, g, b = 60 - 30 * d, 150 - 60 * d, 50 - 20 * d
        pixels += bytes(max(0, min(255, int(v))) for v in (r, g, b))
with open(out, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (W, H) + pixels)
