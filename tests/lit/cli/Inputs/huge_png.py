"""Writes a PNG whose header claims WIDTH x HEIGHT pixels (and holds one row
of data): a reader must refuse it before allocating the pixels."""
import struct
import sys
import zlib


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


path, width, height = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
data = zlib.compress(b"\x00" + b"\x00" * 3 * min(width, 16))
with open(path, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
