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


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from a PNG, JPEG, WebP or GIF file's own header; None when it cannot be read."""
    kind = image_kind(data)
    if kind == "png" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if kind == "gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if kind == "webp":
        return _webp_dimensions(data)
    if kind == "jpeg":
        return _jpeg_dimensions(data)
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


# JPEG start-of-frame markers (every SOFn but the DHT, JPG and DAC markers that share the range).
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _JPEG_FRAMES and at + 9 <= len(data):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return int(width), int(height)
        if marker in (0xD9, 0xDA):  # end of image, or the scan started before any frame header
            return None
        at += 2 + length
    return None


def gif_frames(data: bytes) -> int | None:
    """How many images (frames) a GIF holds, walking its blocks; None when it is not a well-formed GIF."""
    if image_kind(data) != "gif" or len(data) < 13:
        return None
    at = 13 + (3 << ((data[10] & 0x07) + 1) if data[10] & 0x80 else 0)
    frames = 0
    while at < len(data):
        introducer = data[at]
        if introducer == 0x3B:
            return frames
        if introducer == 0x21:
            at += 2
        elif introducer == 0x2C:
            if at + 10 > len(data):
                return None
            packed = data[at + 9]
            at += 10 + (3 << ((packed & 0x07) + 1) if packed & 0x80 else 0) + 1  # + LZW minimum code size
            frames += 1
        else:
            return None
        while at < len(data) and data[at] != 0:  # data sub-blocks up to the empty one
            at += data[at] + 1
        at += 1
    return None
