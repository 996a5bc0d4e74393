"""POST /v1/audio/transcriptions and /translations: a seeded transcript in every response_format.

The "transcript" is seeded by the uploaded bytes, so the same file gives the same text. Its length follows
the audio's duration (read from a WAV header, estimated from the size otherwise), and words, segments and
subtitle cues are spread evenly over that duration, in order and never past its end.
"""

from __future__ import annotations

import hashlib
import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from aitre.server import sse, textgen
from aitre.server.contract import Operation
from aitre.server.encoding import json_response
from aitre.server.errors import bad_request
from aitre.server.runtime import Handler, Runtime

WORDS_PER_SECOND = 2.5
MAX_WORDS = 400
ASSUMED_BYTES_PER_SECOND = 16_000  # a 128 kbit/s compressed file, when the header cannot be read
LANGUAGE_NAMES = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
                  "ja": "japanese", "zh": "chinese", "pt": "portuguese", "nl": "dutch", "ru": "russian"}
NON_STREAMING_MODELS = ("whisper-1",)  # whisper-1 ignores `stream`, as the spec says


def duration_of(data: bytes) -> float:
    """Seconds of audio: exact for WAV, estimated from the size for other formats (1 s .. 10 min)."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            seconds: float = reader.getnframes() / float(reader.getframerate())
    except (wave.Error, EOFError, ValueError, ZeroDivisionError):
        seconds = len(data) / ASSUMED_BYTES_PER_SECOND
    return round(min(max(seconds, 1.0), 600.0), 3)


@dataclass(frozen=True)
class Timed:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Transcript:
    """Words with times, grouped into sentence segments."""

    duration: float
    words: list[Timed]
    segments: list[Timed]

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


def transcript_for(data: bytes, key: str) -> Transcript:
    if not data:
        return Transcript(0.0, [], [])  # an empty upload is silence: no words, no cues
    duration = duration_of(data)
    count = max(3, min(MAX_WORDS, round(duration * WORDS_PER_SECOND)))
    rng = textgen.rng_for(key, hashlib.blake2b(data, digest_size=16).hexdigest())
    sentences: list[list[str]] = []
    produced = 0
    while produced < count:
        length = min(rng.randint(4, 10), count - produced)
        words = [rng.choice(textgen.WORDS) for _ in range(length)]
        words[0] = words[0].capitalize()
        words[-1] += "."
        sentences.append(words)
        produced += length
    step = duration / count
    timed: list[Timed] = []
    segments: list[Timed] = []
    for sentence in sentences:
        first = len(timed)
        for word in sentence:
            i = len(timed)
            timed.append(Timed(word, round(i * step, 3), round(min((i + 1) * step, duration), 3)))
        segments.append(Timed(" ".join(sentence), timed[first].start, timed[-1].end))
    return Transcript(duration, timed, segments)


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(transcript: Transcript) -> str:
    cues = [f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n"
            for i, s in enumerate(transcript.segments, start=1)]
    return "\n".join(cues) + "\n"


def vtt(transcript: Transcript) -> str:
    cues = [f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n" for s in transcript.segments]
    return "WEBVTT\n\n" + "\n".join(cues)


def _segment_objects(transcript: Transcript, temperature: float) -> list[dict[str, Any]]:
    return [
        {"id": i, "seek": 0, "start": s.start, "end": s.end, "text": " " + s.text,
         "tokens": [50364 + sum(map(ord, word)) % 1000 for word in s.text.split()],
         "temperature": temperature, "avg_logprob": -0.25, "compression_ratio": 1.2, "no_speech_prob": 0.01}
        for i, s in enumerate(transcript.segments)
    ]


def _verbose(transcript: Transcript, form: dict[str, Any], task: str) -> dict[str, Any]:
    granularities = form.get("timestamp_granularities") or ["segment"]
    granularities = granularities if isinstance(granularities, list) else [granularities]
    language = "english" if task == "translate" else LANGUAGE_NAMES.get(str(form.get("language")), "english")
    result: dict[str, Any] = {"task": task, "language": language, "duration": transcript.duration,
                              "text": transcript.text}
    if "segment" in granularities or task == "translate":
        result["segments"] = _segment_objects(transcript, float(form.get("temperature") or 0.0))
    if "word" in granularities and task == "transcribe":
        result["words"] = [{"word": w.text.rstrip("."), "start": w.start, "end": w.end} for w in transcript.words]
    if task == "transcribe":
        result["usage"] = {"type": "duration", "seconds": transcript.duration}
    return result


def _diarized(transcript: Transcript) -> dict[str, Any]:
    segments = [{"type": "transcript.text.segment", "id": f"seg_{i}", "start": s.start, "end": s.end,
                 "text": s.text, "speaker": "AB"[i % 2]} for i, s in enumerate(transcript.segments)]
    return {"task": "transcribe", "duration": transcript.duration, "text": transcript.text, "segments": segments,
            "usage": {"type": "duration", "seconds": transcript.duration}}


def _logprobs(text: str, key: str) -> list[dict[str, Any]]:
    tokens = textgen.tokenize(text)
    return [{"token": item.token, "logprob": item.logprob, "bytes": textgen.utf8_bytes(item.token)}
            for item in textgen.logprobs_for(tokens, key, "transcript", 0)]


def _token_usage(transcript: Transcript, form: dict[str, Any]) -> dict[str, Any]:
    audio_tokens = max(1, round(transcript.duration * 10))
    prompt_tokens = textgen.count_tokens(str(form.get("prompt") or ""))
    output = textgen.count_tokens(transcript.text)
    return {"type": "tokens", "input_tokens": audio_tokens + prompt_tokens,
            "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
            "output_tokens": output, "total_tokens": audio_tokens + prompt_tokens + output}


def _stream(transcript: Transcript, form: dict[str, Any], key: str) -> Iterator[bytes]:
    with_logprobs = "logprobs" in (form.get("include") or [])
    for i, word in enumerate(transcript.words):
        delta = ("" if i == 0 else " ") + word.text
        event: dict[str, Any] = {"type": "transcript.text.delta", "delta": delta}
        if with_logprobs:
            event["logprobs"] = _logprobs(delta, key)
        yield sse.event(event)
    done: dict[str, Any] = {"type": "transcript.text.done", "text": transcript.text,
                            "usage": _token_usage(transcript, form)}
    if with_logprobs:
        done["logprobs"] = _logprobs(transcript.text, key)
    yield sse.event(done)


def _render(transcript: Transcript, form: dict[str, Any], task: str, key: str, model: str) -> Response:
    fmt = form.get("response_format") or "json"
    if fmt == "text":
        return PlainTextResponse(transcript.text + "\n")
    if fmt == "srt":
        return PlainTextResponse(srt(transcript))
    if fmt == "vtt":
        return PlainTextResponse(vtt(transcript))
    if fmt == "verbose_json":
        return json_response(_verbose(transcript, form, task))
    if fmt == "diarized_json":
        return json_response(_diarized(transcript))
    result: dict[str, Any] = {"text": transcript.text}
    if task == "transcribe":
        if "logprobs" in (form.get("include") or []):
            result["logprobs"] = _logprobs(transcript.text, key)
        result["usage"] = ({"type": "duration", "seconds": transcript.duration} if model in NON_STREAMING_MODELS
                           else _token_usage(transcript, form))
    return json_response(result)


async def _handle(runtime: Runtime, request: Request, op: Operation, task: str) -> Response:
    form, typed = await runtime.form_body(request, op)
    uploads = form.uploads("file")
    if not uploads:
        raise bad_request("An audio file is required.", param="file")
    model = runtime.check_model("transcription", typed.get("model"), request.url.path)
    # What was said depends on the audio and on what steers recognition, not on the output format.
    steering = {name: typed.get(name) for name in ("model", "language", "prompt", "temperature")}
    key = textgen.request_key(steering, runtime.settings.seed, extra=task)
    transcript = transcript_for(uploads[0].data, key)
    if task == "transcribe" and typed.get("stream") and model not in NON_STREAMING_MODELS:
        return sse.stream(_stream(transcript, typed, key))
    return _render(transcript, typed, task, key, model)


async def create_transcription(runtime: Runtime, request: Request, op: Operation) -> Response:
    return await _handle(runtime, request, op, "transcribe")


async def create_translation(runtime: Runtime, request: Request, op: Operation) -> Response:
    return await _handle(runtime, request, op, "translate")


HANDLERS: dict[str, Handler] = {"createTranscription": create_transcription, "createTranslation": create_translation}
