"""POST /v1/audio/speech: audio bytes in the requested format, or an SSE stream of base64 chunks."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import audiofile, sse, textgen
from aitre.server.contract import Operation
from aitre.server.errors import bad_request
from aitre.server.runtime import Handler, Runtime
from aitre.server.settings import ServerSettings
from aitre.server.transcription import HANDLERS as TRANSCRIPTION_HANDLERS

CLASSIC_TTS = ("tts-1", "tts-1-hd")
CLASSIC_VOICES = ("alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer")
SSE_CHUNK_BYTES = 8192
# Output tokens of the toy model: 50 per second of audio.
TOKENS_PER_SECOND = 50


def check_speech(settings: ServerSettings, body: dict[str, Any]) -> None:
    """`tts-1` and `tts-1-hd` know nine voices and cannot stream SSE (both stated in the spec)."""
    model = body.get("model")
    if model in CLASSIC_TTS:
        voice = body.get("voice")
        if isinstance(voice, str) and voice not in CLASSIC_VOICES:
            raise bad_request(f"{model} has no voice '{voice}'; use one of {', '.join(CLASSIC_VOICES)}.",
                              param="voice")
        if body.get("stream_format") == "sse":
            raise bad_request(f"{model} supports only stream_format 'audio'.", param="stream_format")


def _sse(audio: bytes, usage: dict[str, int]) -> Iterator[bytes]:
    for start in range(0, len(audio), SSE_CHUNK_BYTES):
        chunk = base64.b64encode(audio[start : start + SSE_CHUNK_BYTES]).decode("ascii")
        yield sse.event({"type": "speech.audio.delta", "audio": chunk})
    yield sse.event({"type": "speech.audio.done", "usage": usage})


async def create_speech(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    runtime.check_model("speech", body["model"], "/v1/audio/speech")
    check_speech(runtime.settings, body)
    fmt = body.get("response_format", "mp3")
    words = textgen.tokenize(body["input"])
    audio = audiofile.encode(words, fmt, float(body.get("speed", 1.0)))
    if body.get("stream_format") == "sse":
        seconds = audiofile.duration_seconds(audiofile.pcm16(words, float(body.get("speed", 1.0))))
        input_tokens = textgen.count_tokens(body["input"])
        output_tokens = max(1, round(seconds * TOKENS_PER_SECOND))
        usage = {"input_tokens": input_tokens, "output_tokens": output_tokens,
                 "total_tokens": input_tokens + output_tokens}
        return sse.stream(_sse(audio, usage))
    return Response(audio, media_type=audiofile.CONTENT_TYPES[fmt])


HANDLERS: dict[str, Handler] = {"createSpeech": create_speech, **TRANSCRIPTION_HANDLERS}
SEMANTIC_CHECKS = {"createSpeech": check_speech}
