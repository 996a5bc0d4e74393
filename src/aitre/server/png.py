"""Real PNG files from the stdlib (zlib + crc32): deterministic colour bands seeded by a request key."""

from __future__ import annotations

import hashlib
import struct
import zlib

MAX_SIDE = 2048


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def palette(key: str) -> list[bytes]:
    digest = hashlib.blake2b(key.encode(), digest_size=24).digest()
    return [digest[i : i + 3] for i in range(0, 24, 3)]


def render(key: str, width: int, height: int) -> bytes:
    """A width x height RGB PNG of horizontal bands whose colours come from `key`.

    Bands of identical rows compress to a few hundred bytes even at 1024x1024, so large sizes stay cheap.
    """
    width = max(1, min(width, MAX_SIDE))
    height = max(1, min(height, MAX_SIDE))
    colours = palette(key)
    band = max(1, height // len(colours))
    rows = [b"\x00" + colours[min(y // band, len(colours) - 1)] * width for y in range(height)]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 6)),
            _chunk(b"IEND", b""),
        )
    )


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, or None when `data` is not one."""
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
