"""Audio options: speech stream_format, streamed transcriptions, include logprobs, timestamp_granularities."""

from __future__ import annotations

from typing import Any

from aitre.conform.checks._common import (
    SPEECH,
    TRANSCRIPTIONS,
    base64_field,
    is_int,
    is_number,
    js,
    json_type,
    model_with,
    ok_json,
    skip_if_model_unknown,
    skip_if_refused,
)
from aitre.conform.checks.audio import looks_like, transcribe
from aitre.conform.checks.streaming import read_typed_events
from aitre.conform.context import CheckContext
from aitre.conform.failures import Skipped, expect, warn_unless
from aitre.conform.registry import check

CLASSIC_TTS = ("tts-1", "tts-1-hd")
# A 10 ms margin for rounding, as the verbose_json check allows.
ROUNDING = 0.01


def _speech_body(model: str, ctx: CheckContext, **extra: Any) -> dict[str, Any]:
    return {"model": model, "input": "Hello."[: ctx.limits.max_speech_chars], "voice": "alloy", **extra}


@check("audio", "stream_format", SPEECH)
def speech_sse_stream_events(ctx: CheckContext) -> None:
    """stream_format "sse" gives text/event-stream of speech.audio.delta events whose `audio` is base64 of
    non-empty audio, then exactly one speech.audio.done; its usage, when present, adds up.

    Asked of a model that streams (tts-1 and tts-1-hd support only `audio`): the run's own or a listed
    gpt-4o-mini-tts. A refusal with a 4xx is skipped; a final `data: [DONE]` and other event types are
    allowed, and how the audio is cut into deltas is the server's choice.
    """
    model = model_with(ctx, "speech", "stream_format sse", lambda name: name not in CLASSIC_TTS,
                       ("gpt-4o-mini-tts",), "gpt-4o-mini-tts")
    exchange = ctx.send(SPEECH, json_body=_speech_body(model, ctx, stream_format="sse"))
    skip_if_model_unknown(exchange, model)
    skip_if_refused(exchange, "stream_format sse")
    payloads = read_typed_events(exchange)
    kinds = [payload["type"] for payload in payloads]
    done = [position for position, kind in enumerate(kinds) if kind == "speech.audio.done"]
    expect(len(done) == 1, f"{len(done)} speech.audio.done events, expected exactly one")
    audio = b""
    for position, payload in enumerate(payloads):
        if payload["type"] != "speech.audio.delta":
            continue
        expect(position < done[0], f"speech.audio.delta event #{position} comes after speech.audio.done")
        audio += base64_field(payload.get("audio"), f"event #{position} audio")
    expect(audio, "the stream carries no audio: no speech.audio.delta event with bytes")
    usage = payloads[done[0]].get("usage")
    if isinstance(usage, dict):
        counts: list[Any] = [usage.get(name) for name in ("input_tokens", "output_tokens", "total_tokens")]
        expect(all(is_int(count) and count >= 0 for count in counts), f"speech.audio.done usage is {js(usage)}")
        expect(counts[0] + counts[1] == counts[2],
               f"usage.total_tokens {counts[2]} is not input_tokens + output_tokens ({counts[0]} + {counts[1]})")


@check("audio", "stream_format", SPEECH)
def speech_stream_format_audio_is_bytes(ctx: CheckContext) -> None:
    """stream_format "audio" (the default, said explicitly) gives the audio file itself, MP3 by default,
    not an event stream.

    Any audio media type the plain speech checks accept is fine; only the leading bytes are judged.
    """
    exchange = ctx.send(SPEECH, json_body=_speech_body(ctx.model("speech"), ctx, stream_format="audio"))
    skip_if_refused(exchange, "stream_format audio")
    exchange.require_status(200)
    expect(exchange.content_type != "text/event-stream", "stream_format audio was answered with an event stream")
    expect(looks_like("mp3", exchange.body), f"stream_format audio body starts with {js(exchange.body[:8])}, not MP3")


def _whisper(model: str) -> bool:
    return model.startswith("whisper")


@check("audio", "transcription stream", TRANSCRIPTIONS)
def transcription_stream_events(ctx: CheckContext) -> None:
    """stream=true gives text/event-stream of transcript.text.delta events with string deltas, then exactly
    one transcript.text.done with the whole `text`.

    Asked of a model that streams (whisper-1 ignores `stream`): the run's own or a listed GPT-4o
    transcriber. A whisper model answering one JSON object is skipped; a refusal with a 4xx is skipped.
    Diarization's transcript.text.segment events, other types and a final `data: [DONE]` are allowed; a
    done text that differs from the joined deltas is a warning (clients show one or the other).
    """
    model = model_with(ctx, "transcription", "streaming", lambda name: not _whisper(name),
                       ("gpt-4o-mini-transcribe", "gpt-4o-transcribe"), "gpt-4o-mini-transcribe")
    exchange = transcribe(ctx, None, model=model, stream="true")
    skip_if_model_unknown(exchange, model)
    skip_if_refused(exchange, "a streamed transcription")
    if exchange.status == 200 and exchange.content_type == "application/json" and _whisper(model):
        raise Skipped(f"not observable: {model} answered in one piece, as whisper models may")
    payloads = read_typed_events(exchange)
    kinds = [payload["type"] for payload in payloads]
    done = [position for position, kind in enumerate(kinds) if kind == "transcript.text.done"]
    expect(len(done) == 1, f"{len(done)} transcript.text.done events, expected exactly one")
    deltas: list[str] = []
    for position, payload in enumerate(payloads):
        if payload["type"] != "transcript.text.delta":
            continue
        expect(position < done[0], f"transcript.text.delta event #{position} comes after transcript.text.done")
        delta = payload.get("delta")
        expect(isinstance(delta, str), f"event #{position} delta is {json_type(delta)}, not a string")
        deltas.append(delta)  # type: ignore[arg-type]  # expect() above checked it
    text = payloads[done[0]].get("text")
    expect(isinstance(text, str), f"transcript.text.done text is {json_type(text)}, not a string")
    warn_unless(text == "".join(deltas), f"transcript.text.done text {js(text)} is not the joined deltas "
                f"{js(''.join(deltas)[:80])}")


def _logprobs_model(name: str) -> bool:
    return name.startswith(("gpt-4o-transcribe", "gpt-4o-mini-transcribe")) and "diarize" not in name


@check("audio", "include", TRANSCRIPTIONS)
def transcription_include_logprobs(ctx: CheckContext) -> None:
    """include=[logprobs] adds `logprobs` to a json transcription: one entry per token, each with a string
    `token`, a `logprob` <= 0 and, when present, `bytes` of integers 0-255.

    Asked of a model that offers it (gpt-4o-transcribe, gpt-4o-mini-transcribe): the run's own or a
    listed one; a refusal with a 4xx is skipped. An empty transcript with no logprobs shows nothing
    (skipped).
    """
    model = model_with(ctx, "transcription", "logprobs", _logprobs_model,
                       ("gpt-4o-mini-transcribe", "gpt-4o-transcribe"), "gpt-4o-mini-transcribe")
    exchange = transcribe(ctx, "json", model=model, **{"include[]": "logprobs"})
    skip_if_model_unknown(exchange, model)
    skip_if_refused(exchange, "include logprobs")
    body = ok_json(exchange)
    logprobs = body.get("logprobs")
    if not str(body.get("text") or "").strip() and not logprobs:
        raise Skipped("not observable: the transcript is empty, so it has no tokens to score")
    expect(isinstance(logprobs, list) and logprobs, f"logprobs is {json_type(logprobs)} for include=[logprobs]")
    for position, entry in enumerate(logprobs):  # type: ignore[arg-type]  # expect() above checked it
        where = f"logprobs[{position}]"
        expect(isinstance(entry, dict), f"{where} is {json_type(entry)}, not an object")
        expect(isinstance(entry.get("token"), str), f"{where}.token is {json_type(entry.get('token'))}")
        value: Any = entry.get("logprob")
        expect(is_number(value) and value <= 0, f"{where}.logprob is {js(value)}, not a number <= 0")
        raw = entry.get("bytes")
        expect(raw is None or (isinstance(raw, list) and all(is_int(b) and 0 <= b <= 255 for b in raw)),
               f"{where}.bytes is {js(raw)}, not a list of byte values")


def _timed(items: Any, name: str, duration: Any) -> int:
    """Checks `items` (words or segments): a list of objects with start <= end within the clip; its length."""
    expect(isinstance(items, list), f"{name} is {json_type(items)}, not an array")
    for position, item in enumerate(items):
        where = f"{name}[{position}]"
        expect(isinstance(item, dict), f"{where} is {json_type(item)}, not an object")
        start, end = item.get("start"), item.get("end")
        expect(is_number(start) and is_number(end), f"{where} start/end are {js(start)}/{js(end)}")
        expect(0 <= start <= end, f"{where} runs from {start} to {end}")
        if is_number(duration):
            expect(end <= duration + ROUNDING, f"{where} ends at {end}, after the clip's duration {duration}")
    return len(items)


@check("audio", "timestamp_granularities", TRANSCRIPTIONS)
def transcription_timestamp_granularities(ctx: CheckContext) -> None:
    """verbose_json with timestamp_granularities=[word] has `words`, each a string `word` with
    0 <= start <= end <= duration; with [segment] it has `segments` (same timing rule) and no `words`.

    Asked of a whisper model (verbose_json is theirs): the run's own or a listed whisper-1; a refusal with
    a 4xx is skipped. A silent clip's empty transcript may have no words or segments (not observable).
    """
    model = model_with(ctx, "transcription", "verbose_json", _whisper, ("whisper-1",), "whisper-1")
    words = transcribe(ctx, "verbose_json", model=model, **{"timestamp_granularities[]": "word"})
    skip_if_model_unknown(words, model)
    skip_if_refused(words, "word timestamps")
    body = ok_json(words)
    if not str(body.get("text") or "").strip() and not body.get("words"):
        raise Skipped("not observable: the transcript is empty, so there are no words to time")
    expect("words" in body, "timestamp_granularities=[word] gave no `words`")
    expect(_timed(body["words"], "words", body.get("duration")), "timestamp_granularities=[word] gave no words")
    for position, word in enumerate(body["words"]):
        expect(isinstance(word.get("word"), str), f"words[{position}].word is {json_type(word.get('word'))}")
    segments = transcribe(ctx, "verbose_json", model=model, **{"timestamp_granularities[]": "segment"})
    skip_if_refused(segments, "segment timestamps")
    body = ok_json(segments)
    if not str(body.get("text") or "").strip() and not body.get("segments"):
        raise Skipped("not observable: the transcript is empty, so there are no segments to time")
    expect("segments" in body, "timestamp_granularities=[segment] gave no `segments`")
    expect(_timed(body["segments"], "segments", body.get("duration")), "[segment] gave no segments for a "
           "non-empty transcript")
    expect(not body.get("words"), "timestamp_granularities=[segment] gave `words` as well")
