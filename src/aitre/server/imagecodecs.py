"""JPEG, WebP and GIF files from the stdlib, for `output_format`: small encoders for the band pictures.

Each encoder draws the same kind of picture as `png.render` (horizontal colour bands from a request key)
and keeps to the simplest valid form of its format:

- JPEG: baseline, 4:4:4 YCbCr, every 8x8 block one flat colour (only DC coefficients, AC all zero);
- WebP: lossless (VP8L) in one colour, every channel a one-symbol prefix code, so pixels cost no bits;
- GIF: an 8-colour palette, LZW-coded; the first frame is the whole picture and every further frame a
  small square patch, so an animation of many frames stays cheap.
"""

from __future__ import annotations

import struct

from aitre.server.png import MAX_SIDE, palette

# DC categories 0..8 (a difference of flat block values stays within -255..255): nine codes of four bits.
_DC_BITS = 4
# The only AC symbol needed is end-of-block (0x00): one code of one bit, "0".
_EOB = "0"


def _clamp(width: int, height: int) -> tuple[int, int]:
    return max(1, min(width, MAX_SIDE)), max(1, min(height, MAX_SIDE))


def _band_colour(colours: list[bytes], height: int, row: int) -> bytes:
    band = max(1, height // len(colours))
    return colours[min(row // band, len(colours) - 1)]


def _ycc(rgb: bytes) -> tuple[int, int, int]:
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return tuple(min(255, max(0, round(value))) for value in (y, cb, cr))  # type: ignore[return-value]  # three values


def _dc_bits(diff: int) -> str:
    """The Huffman code of the difference's category, then its magnitude bits (JPEG's one's complement)."""
    category = abs(diff).bit_length()
    code = format(category, f"0{_DC_BITS}b")
    if category == 0:
        return code
    value = diff if diff > 0 else diff + (1 << category) - 1
    return code + format(value, f"0{category}b")


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def jpeg(key: str, width: int, height: int) -> bytes:
    """A baseline JPEG of the band picture; flat 8x8 blocks, so only DC coefficients are coded."""
    width, height = _clamp(width, height)
    colours = palette(key)
    blocks_x, blocks_y = (width + 7) // 8, (height + 7) // 8
    # DC quantiser 8: a flat block of level v has DC 8 * (v - 128), so the quantised value is v - 128.
    quant = bytes([0]) + bytes([8] * 64)
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([c, 0x11, 0]) for c in (1, 2, 3))
    dc_table = bytes([0x00]) + bytes([0, 0, 0, 9] + [0] * 12) + bytes(range(9))
    ac_table = bytes([0x10]) + bytes([1] + [0] * 15) + bytes([0])
    scan = bytes([3]) + b"".join(bytes([c, 0x00]) for c in (1, 2, 3)) + bytes([0, 63, 0])
    previous = [0, 0, 0]
    rows: list[str] = []
    for block_row in range(blocks_y):
        levels = [v - 128 for v in _ycc(_band_colour(colours, height, min(block_row * 8 + 4, height - 1)))]
        first = "".join(_dc_bits(levels[c] - previous[c]) + _EOB for c in range(3))
        rest = (_dc_bits(0) + _EOB) * 3
        rows.append(first + rest * (blocks_x - 1))
        previous = levels
    bits = "".join(rows)
    bits += "1" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return b"".join((
        b"\xff\xd8",
        _segment(0xDB, quant),
        _segment(0xC0, frame),
        _segment(0xC4, dc_table),
        _segment(0xC4, ac_table),
        _segment(0xDA, scan),
        data.replace(b"\xff", b"\xff\x00"),
        b"\xff\xd9",
    ))


class _LsbBits:
    """Bits packed least significant first, as VP8L and GIF's LZW write them."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def put(self, value: int, width: int) -> None:
        self.value |= value << self.count
        self.count += width

    def bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def webp(key: str, width: int, height: int) -> bytes:
    """A lossless WebP in the picture's first band colour: one-symbol prefix codes, so no pixel bits."""
    width, height = _clamp(width, height)
    red, green, blue = palette(key)[0]
    bits = _LsbBits()
    bits.put(0x2F, 8)
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # no alpha
    bits.put(0, 3)  # version 0
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    for symbol in (green, red, blue, 255, 0):  # green, red, blue, alpha, distance
        bits.put(1, 1)  # a simple code
        bits.put(0, 1)  # of one symbol
        bits.put(1, 1)  # written in 8 bits
        bits.put(symbol, 8)
    payload = bits.bytes()
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload + b"\x00" * (len(payload) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def _lzw(indices: bytes, min_code_size: int) -> bytes:
    """GIF's variable-width LZW of palette indices, as data sub-blocks ending with the empty block."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    bits = _LsbBits()
    size = min_code_size + 1
    table: dict[tuple[int, int], int] = {}
    next_code = end + 1
    bits.put(clear, size)
    current = -1
    for pixel in indices:
        if current < 0:
            current = pixel
            continue
        found = table.get((current, pixel))
        if found is not None:
            current = found
            continue
        bits.put(current, size)
        if next_code < 4096:
            table[(current, pixel)] = next_code
            next_code += 1
            if next_code > (1 << size) and size < 12:
                size += 1
        else:
            bits.put(clear, size)
            table.clear()
            size, next_code = min_code_size + 1, end + 1
        current = pixel
    if current >= 0:
        bits.put(current, size)
    bits.put(end, size)
    data = bits.bytes()
    blocks = b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))
    return blocks + b"\x00"


def _gif_frame(left: int, top: int, width: int, height: int, indices: bytes, delay_cs: int) -> bytes:
    control = b"\x21\xf9\x04\x04" + struct.pack("<H", delay_cs) + b"\x00\x00"  # keep the frame underneath
    descriptor = b"\x2c" + struct.pack("<HHHH", left, top, width, height) + b"\x00"
    return control + descriptor + bytes([3]) + _lzw(indices, 3)


def gif(key: str, width: int, height: int, frames: int = 9, frame_ms: int = 200) -> bytes:
    """An animated GIF of `frames` frames, `frame_ms` apart (rounded to GIF's 10 ms steps)."""
    width, height = _clamp(width, height)
    colours = palette(key)
    band = max(1, height // len(colours))
    rows = b"".join(bytes([min(y // band, len(colours) - 1)]) * width for y in range(height))
    delay = max(0, round(frame_ms / 10))
    side = max(1, min(16, width, height))
    parts = [_gif_frame(0, 0, width, height, rows, delay)]
    for frame in range(1, frames):
        left = (frame * side) % max(1, width - side + 1)
        parts.append(_gif_frame(left, 0, side, side, bytes([frame % len(colours)]) * (side * side), delay))
    screen = struct.pack("<HH", width, height) + bytes([0xF2, 0, 0])  # an 8-colour global table
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return b"GIF89a" + screen + b"".join(colours) + loop + b"".join(parts) + b"\x3b"
