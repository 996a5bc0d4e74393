"""Audio: speech bytes and media types per format; transcription json, text, srt, vtt and verbose_json."""

from __future__ import annotations

import json
import re
from typing import Any

from aitre.conform.checks._common import (
    SPEECH,
    TRANSCRIPTIONS,
    TRANSLATIONS,
    is_number,
    js,
    ok_json,
    shown,
)
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, Deviation, InvalidBody, expect
from aitre.conform.registry import check
from aitre.conform.samples import silent_wav

# Media types per speech format: the spec's own first, then aliases real servers send for the same bytes.
SPEECH_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "mp3": ("audio/mpeg", "audio/mp3"),
    "opus": ("audio/opus", "audio/ogg"),
    "aac": ("audio/aac",),
    "flac": ("audio/flac", "audio/x-flac"),
    "wav": ("audio/wav", "audio/x-wav", "audio/wave"),
    "pcm": ("audio/pcm", "audio/l16"),
}
SPEECH_FORMATS_TESTED = ("mp3", "wav", "opus")
SRT_TIMING = re.compile(r"^(\d{2}):(\d{2}):(\d{2}),(\d{3}) --> (\d{2}):(\d{2}):(\d{2}),(\d{3})$")
VTT_TIMING = re.compile(r"^(?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3}) --> (?:(\d{2,}):)?(\d{2}):(\d{2})\.(\d{3})(?: .*)?$")


def looks_like(audio_format: str, data: bytes) -> bool:
    """Whether `data` starts like a file of `audio_format` (pcm has no header and always passes)."""
    if audio_format == "mp3":
        return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    if audio_format == "wav":
        return data.startswith(b"RIFF") and data[8:12] == b"WAVE"
    if audio_format == "opus":
        return data.startswith(b"OggS")
    if audio_format == "flac":
        return data.startswith(b"fLaC")
    if audio_format == "aac":
        return data.startswith(b"ADIF") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0)
    return True


def speech(ctx: CheckContext, audio_format: str | None) -> Exchange:
    body: dict[str, Any] = {"model": ctx.model("speech"), "input": "Hello."[: ctx.limits.max_speech_chars],
                            "voice": "alloy"}
    if audio_format is not None:
        body["response_format"] = audio_format
    return ctx.send_shared(f"speech:{audio_format}", SPEECH, json_body=body)


@check("audio", "speech", SPEECH)
def speech_content_type_per_format(ctx: CheckContext) -> None:
    """Speech answers 200 with the media type of response_format: mp3 (the default) audio/mpeg, wav audio/wav,
    opus audio/opus.

    Common aliases for the same bytes are accepted (audio/mp3, audio/x-wav, audio/ogg for opus).
    `application/octet-stream` is a warning, not a violation: OpenAI's own OpenAPI document declares it for
    this answer, and the SDKs return the bytes whatever the type.
    """
    generic = []
    for audio_format in (None, *SPEECH_FORMATS_TESTED):
        exchange = speech(ctx, audio_format)
        exchange.require_status(200)
        if exchange.content_type == "application/octet-stream":
            generic.append(exchange)
            continue
        exchange.require_content_type(*SPEECH_MEDIA_TYPES[audio_format or "mp3"])
    if generic:
        raise Deviation(
            f"{len(generic)} speech answer(s) typed application/octet-stream instead of the format's audio type",
            operation=SPEECH, exchange=generic[0])


@check("audio", "speech", SPEECH)
def speech_body_is_audio(ctx: CheckContext) -> None:
    """Speech bodies are non-empty audio bytes of the asked format (ID3/MPEG sync, RIFF WAVE, OggS), not JSON.

    Only the container's leading bytes are checked, not the sound.
    """
    for audio_format in (None, *SPEECH_FORMATS_TESTED):
        exchange = speech(ctx, audio_format)
        exchange.require_status(200)
        data = exchange.body
        expect(data, f"speech ({audio_format or 'default'}) has an empty body")
        expect(not data.lstrip().startswith((b"{", b"[")), f"speech ({audio_format or 'default'}) body is JSON")
        expect(
            looks_like(audio_format or "mp3", data),
            f"speech ({audio_format or 'default mp3'}) body starts with {shown(data, 8)}, not that format",
        )


def transcribe(ctx: CheckContext, response_format: str | None, operation: str = TRANSCRIPTIONS,
               **fields: str) -> Exchange:
    form = {"model": ctx.model("transcription"), **fields}
    if response_format is not None:
        form["response_format"] = response_format
    files = {"file": ("silence.wav", silent_wav(), "audio/wav")}
    key = f"{operation}:{response_format}:{sorted(fields.items())}"
    return ctx.shared(key, lambda: ctx.send(operation, form=form, files=files))


def _plain_text(exchange: Exchange, what: str) -> str:
    exchange.require_status(200)
    exchange.require_content_type("text/plain")
    return exchange.text


def _check_bare_text(text: str) -> None:
    """A `text` answer is the transcript itself, not a JSON document."""
    if text.lstrip().startswith("{"):
        try:
            json.loads(text)
        except ValueError:
            return
        raise InvalidBody("response_format text answered a JSON document")


def _check_webvtt(text: str) -> None:
    """WebVTT: `WEBVTT` first; every cue timing `[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm` with start <= end."""
    text = text.lstrip("\ufeff")
    expect(text.startswith("WEBVTT"), f"VTT body starts with {js(text[:20])}, not WEBVTT")
    for line in text.replace("\r\n", "\n").split("\n"):
        if "-->" not in line:
            continue
        timing = VTT_TIMING.match(line.strip())
        if timing is None:
            raise ContractViolation(f"VTT cue timing {js(line.strip())} is malformed")
        parts = [int(part or 0) for part in timing.groups()]
        start = ((parts[0] * 60 + parts[1]) * 60 + parts[2]) * 1000 + parts[3]
        end = ((parts[4] * 60 + parts[5]) * 60 + parts[6]) * 1000 + parts[7]
        expect(start <= end, f"VTT cue {js(line.strip())} ends before it starts")


@check("audio", "transcription json", TRANSCRIPTIONS)
def transcription_json_has_text(ctx: CheckContext) -> None:
    """A transcription with the default format is a JSON object with a string `text`.

    The text of a silent clip may be empty; `usage`, `logprobs` and other extras are allowed.
    """
    body = ok_json(transcribe(ctx, None))
    expect(isinstance(body.get("text"), str), f"text is {js(body.get('text'))}")


@check("audio", "transcription text", TRANSCRIPTIONS)
def transcription_text_is_plain(ctx: CheckContext) -> None:
    """response_format "text" answers text/plain with the bare transcript, not a JSON object.

    An empty transcript is fine for a silent clip.
    """
    _check_bare_text(_plain_text(transcribe(ctx, "text"), "text"))


@check("audio", "transcription srt", TRANSCRIPTIONS)
def transcription_srt_structure(ctx: CheckContext) -> None:
    """response_format "srt" answers text/plain SubRip: numbered blocks from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`,
    start <= end.

    Zero blocks (silence) is valid SubRip.
    """
    text = _plain_text(transcribe(ctx, "srt"), "srt").replace("\r\n", "\n").strip()
    blocks = [block for block in re.split(r"\n\s*\n", text) if block.strip()]
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        expect(lines[0].strip() == str(number), f"SRT block {number} starts with {js(lines[0])}, not {number}")
        timing = SRT_TIMING.match(lines[1].strip()) if len(lines) > 1 else None
        if timing is None:
            raise ContractViolation(f"SRT block {number} has no `HH:MM:SS,mmm --> HH:MM:SS,mmm` line: {js(block[:60])}")
        values = [int(part) for part in timing.groups()]
        start = ((values[0] * 60 + values[1]) * 60 + values[2]) * 1000 + values[3]
        end = ((values[4] * 60 + values[5]) * 60 + values[6]) * 1000 + values[7]
        expect(start <= end, f"SRT block {number} ends before it starts")


@check("audio", "transcription vtt", TRANSCRIPTIONS)
def transcription_vtt_structure(ctx: CheckContext) -> None:
    """response_format "vtt" answers text/plain WebVTT: starts with `WEBVTT`; every cue timing is
    `[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm` with start <= end.

    Cue identifiers, settings after the timing and NOTE blocks are allowed.
    """
    _check_webvtt(_plain_text(transcribe(ctx, "vtt"), "vtt"))


@check("audio", "verbose_json", TRANSCRIPTIONS)
def transcription_verbose_json_segments(ctx: CheckContext) -> None:
    """verbose_json has language, duration >= 0 and text; segment ids ascend, start <= end <= duration;
    no `words` unless word timestamps were asked for.

    `segments` may be absent or empty for a silent clip; a 10 ms rounding margin on duration is allowed.
    """
    body = ok_json(transcribe(ctx, "verbose_json"))
    expect(isinstance(body.get("language"), str), f"language is {js(body.get('language'))}")
    duration: Any = body.get("duration")
    expect(is_number(duration) and duration >= 0, f"duration is {js(duration)}")
    expect(isinstance(body.get("text"), str), f"text is {js(body.get('text'))}")
    expect(not body.get("words"), "words are present although timestamp_granularities did not ask for them")
    previous = None
    for position, segment in enumerate(body.get("segments") or []):
        where = f"segments[{position}]"
        expect(isinstance(segment, dict), f"{where} is not an object")
        start, end, ident = segment.get("start"), segment.get("end"), segment.get("id")
        expect(is_number(start) and is_number(end), f"{where} start/end are {js(start)}/{js(end)}")
        expect(start <= end, f"{where} ends ({end}) before it starts ({start})")
        expect(end <= duration + 0.01, f"{where} ends at {end}, after the clip's duration {duration}")
        ascends = previous is None or (isinstance(ident, int) and ident > previous)
        expect(ascends, f"{where}.id {js(ident)} does not ascend")
        previous = ident


@check("audio", "translation", TRANSLATIONS)
def translation_json_has_text(ctx: CheckContext) -> None:
    """A translation with the default format is a JSON object with a string `text`.

    The text of a silent clip may be empty.
    """
    body = ok_json(transcribe(ctx, None, TRANSLATIONS))
    expect(isinstance(body.get("text"), str), f"text is {js(body.get('text'))}")


@check("audio", "translation", TRANSLATIONS)
def translation_text_formats(ctx: CheckContext) -> None:
    """A translation honours `response_format` as a transcription does: `text` is text/plain with the bare
    translation, `vtt` is text/plain WebVTT.

    An empty translation of a silent clip is fine; cue identifiers and settings are allowed.
    """
    _check_bare_text(_plain_text(transcribe(ctx, "text", TRANSLATIONS), "text"))
    _check_webvtt(_plain_text(transcribe(ctx, "vtt", TRANSLATIONS), "vtt"))
