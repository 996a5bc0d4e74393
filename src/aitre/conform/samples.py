"""Small, valid request payloads made on the fly: a silent WAV and a tiny PNG, cheap to upload."""

from __future__ import annotations

import struct
import zlib


def silent_wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV of silence."""
    frames = int(seconds * rate)
    data = b"\x00\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


def tiny_png(size: int = 8, rgba: tuple[int, int, int, int] = (200, 30, 30, 255)) -> bytes:
    """A square RGBA PNG of one colour."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" + bytes(rgba) * size
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b"")


# Leading bytes of the image formats the images API returns.
IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "webp": (b"RIFF",),
    "gif": (b"GIF87a", b"GIF89a"),
}


def image_kind(data: bytes) -> str | None:
    """`png`, `jpeg`, `webp` or `gif` from the leading bytes, else None."""
    for kind, magics in IMAGE_MAGIC.items():
        if any(data.startswith(magic) for magic in magics):
            if kind == "webp" and data[8:12] != b"WEBP":
                continue
            return kind
    return None
