"""Audio bytes for speech and chat audio: a tone per word, encoded in the requested format.

WAV (stdlib `wave`) and raw PCM (16-bit little-endian mono, 24 kHz, as OpenAI's `pcm`) decode for real.
MP3 is a run of genuine MPEG-1 Layer III frames of silence; FLAC, Opus (Ogg) and AAC (ADTS) carry a correct
magic header and stream header but no coded audio. Clients that sniff the type or read a header accept them;
a full decoder plays silence or stops after the header.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
import zlib
from array import array
from functools import lru_cache

SAMPLE_RATE = 24_000
WORD_SECONDS = 0.3
# Caps the audio at about a minute at speed 1, however long the input text is.
MAX_WORDS = 200

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "pcm16": "audio/pcm",
}


@lru_cache(maxsize=512)
def _tone(frequency: int, length: int) -> bytes:
    """One word's samples (cached: there are few distinct pitches and lengths)."""
    step = 2 * math.pi * frequency / SAMPLE_RATE
    fade = length // 10 or 1
    envelope = (min(1.0, i / fade, (length - i) / fade) for i in range(length))
    samples = array("h", (int(8000 * level * math.sin(step * i)) for i, level in enumerate(envelope)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def pcm16(words: list[str], speed: float = 1.0) -> bytes:
    """Little-endian 16-bit mono samples: one short tone per word (at most MAX_WORDS), pitch from the word."""
    length = max(1, int(SAMPLE_RATE * WORD_SECONDS / max(speed, 0.25)))
    return b"".join(_tone(220 + zlib.crc32(word.encode()) % 440, length) for word in (words or ["."])[:MAX_WORDS])


def duration_seconds(pcm: bytes) -> float:
    return len(pcm) / 2 / SAMPLE_RATE


def wav(pcm: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)
    return buffer.getvalue()


def mp3(seconds: float) -> bytes:
    """ID3v2 tag plus MPEG-1 Layer III frames (128 kbit/s, 48 kHz, mono) of digital silence."""
    header = bytes((0xFF, 0xFB, 0x94, 0xC4))  # sync, MPEG-1 L3 no CRC; 128k, 48 kHz; mono
    frame = header + bytes(384 - len(header))  # 144 * 128000 / 48000 = 384 bytes per frame
    frames = max(1, math.ceil(seconds * 48_000 / 1152))
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    return tag + frame * frames


def flac(seconds: float) -> bytes:
    """`fLaC` and a STREAMINFO block describing the stream (no audio frames)."""
    total = int(seconds * SAMPLE_RATE)
    info = struct.pack(">HH", 4096, 4096) + b"\x00\x00\x00" * 2
    packed = (SAMPLE_RATE << 44) | (0 << 41) | (15 << 36) | total  # rate, channels-1, bits-1, samples
    info += packed.to_bytes(8, "big") + bytes(16)
    return b"fLaC" + bytes((0x80,)) + len(info).to_bytes(3, "big") + info


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(payload: bytes, sequence: int, flags: int) -> bytes:
    segments = [255] * (len(payload) // 255) + [len(payload) % 255]
    head = struct.pack("<4sBBqIII", b"OggS", 0, flags, 0, 0x41495452, sequence, 0) + bytes([len(segments), *segments])
    page = head + payload
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def opus(seconds: float) -> bytes:
    """An Ogg stream with the OpusHead and OpusTags header pages (no audio packets)."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48_000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 5) + b"aitre" + struct.pack("<I", 0)
    return _ogg_page(head, 0, 0x02) + _ogg_page(tags, 1, 0x04)


def aac(seconds: float) -> bytes:
    """ADTS frames (AAC-LC, 24 kHz, mono) with empty payloads, one per 1024 samples."""
    frame_length = 7 + 2
    header = bytes(
        (
            0xFF,
            0xF1,  # sync, MPEG-4, layer 0, no CRC
            (1 << 6) | (6 << 2),  # profile LC, sampling index 6 (24 kHz), channel config high bit 0
            (1 << 6) | ((frame_length >> 11) & 0x3),  # channel config 1
            (frame_length >> 3) & 0xFF,
            ((frame_length & 0x7) << 5) | 0x1F,
            0xFC,
        )
    )
    frames = max(1, math.ceil(seconds * SAMPLE_RATE / 1024))
    return (header + b"\x00\x00") * frames


def encode(words: list[str], fmt: str, speed: float = 1.0) -> bytes:
    """Speech-like audio of `words` in one of mp3, opus, aac, flac, wav, pcm (pcm16)."""
    pcm = pcm16(words, speed)
    seconds = duration_seconds(pcm)
    if fmt == "wav":
        return wav(pcm)
    if fmt in ("pcm", "pcm16"):
        return pcm
    if fmt == "flac":
        return flac(seconds)
    if fmt == "opus":
        return opus(seconds)
    if fmt == "aac":
        return aac(seconds)
    return mp3(seconds)
