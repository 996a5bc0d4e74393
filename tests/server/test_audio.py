"""Audio: speech in every format, transcriptions and translations in every response_format."""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import wave

import httpx
import openai
import pytest

from aitre.server import audiofile

MAGIC = {"mp3": b"ID3", "flac": b"fLaC", "opus": b"OggS", "aac": b"\xff\xf1"}


def _wav(text: str = "The quick brown fox jumped over the lazy dog.") -> bytes:
    return audiofile.encode(text.split(), "wav")


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
def test_speech_formats(client: openai.OpenAI, fmt: str) -> None:
    response = client.audio.speech.with_raw_response.create(model="tts-1", voice="alloy", input="Hello there, world.",
                                                            response_format=fmt)  # type: ignore[arg-type]
    data = response.content
    assert response.headers["content-type"] == audiofile.CONTENT_TYPES[fmt]
    if fmt == "wav":
        with wave.open(io.BytesIO(data)) as reader:
            assert reader.getsampwidth() == 2 and reader.getnframes() > 0
    elif fmt == "pcm":
        assert len(data) % 2 == 0 and len(data) > 0
    else:
        assert data.startswith(MAGIC[fmt])


def test_speed_shortens_the_audio(client: openai.OpenAI) -> None:
    slow = client.audio.speech.create(model="tts-1-hd", voice="nova", input="one two three", response_format="pcm")
    fast = client.audio.speech.create(model="tts-1-hd", voice="nova", input="one two three", response_format="pcm",
                                      speed=2.0)
    assert len(fast.content) < len(slow.content)


def test_speech_sse(http: httpx.Client) -> None:
    body = {"model": "gpt-4o-mini-tts", "voice": "coral", "input": "Hello", "stream_format": "sse",
            "response_format": "wav"}
    response = http.post("/v1/audio/speech", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(block.removeprefix("data: ")) for block in response.text.strip().split("\n\n")]
    assert [event["type"] for event in events][-1] == "speech.audio.done"
    audio = b"".join(base64.b64decode(event["audio"]) for event in events[:-1])
    with wave.open(io.BytesIO(audio)) as reader:
        assert reader.getnframes() > 0
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_input_limit_and_voice_rules(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.speech.create(model="tts-1", voice="alloy", input="x" * 4097)
    assert caught.value.body["param"] == "input"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="cedar", input="x")


def test_transcription_json_and_text(client: openai.OpenAI) -> None:
    as_json = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav()))
    as_text = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav()), response_format="text")
    assert as_json.text and as_text.strip() == as_json.text


def test_verbose_json_timing(client: openai.OpenAI) -> None:
    result = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav()),
                                                response_format="verbose_json",
                                                timestamp_granularities=["word", "segment"])
    assert result.duration == pytest.approx(9 * audiofile.WORD_SECONDS, abs=0.01)
    segments = result.segments or []
    assert [segment.id for segment in segments] == list(range(len(segments)))
    for before, after in itertools.pairwise(segments):
        assert before.end <= after.start
    assert all(0 <= s.start <= s.end <= result.duration for s in segments)
    assert result.words and all(0 <= w.start <= w.end <= result.duration for w in result.words)


def test_srt_and_vtt_are_well_formed(client: openai.OpenAI) -> None:
    srt = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav()), response_format="srt")
    cues = srt.strip().split("\n\n")
    for number, cue in enumerate(cues, start=1):
        lines = cue.split("\n")
        assert lines[0] == str(number)
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", lines[1])
        assert lines[2]
    vtt = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", _wav()), response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n")
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", cue.split("\n")[0])
               for cue in vtt.strip().split("\n\n")[1:])


def test_streamed_transcription(client: openai.OpenAI) -> None:
    events = list(client.audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", _wav()), stream=True,
                                                     include=["logprobs"]))
    deltas = "".join(getattr(event, "delta", "") for event in events[:-1])
    assert events[-1].type == "transcript.text.done" and events[-1].text == deltas  # type: ignore[union-attr]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks translations deprecated
def test_translation(client: openai.OpenAI) -> None:
    verbose = client.audio.translations.create(model="whisper-1", file=("a.wav", _wav()),
                                               response_format="verbose_json")
    assert verbose.language == "english" and verbose.text
    plain = client.audio.translations.create(model="whisper-1", file=("a.wav", _wav()))
    assert plain.text == verbose.text


def test_transcription_needs_a_file(http: httpx.Client) -> None:
    response = http.post("/v1/audio/transcriptions", data={"model": "whisper-1"}, files={"x": ("x", b"x")})
    assert response.status_code == 400 and response.json()["error"]["param"] == "file"


def test_diarized_json(http: httpx.Client) -> None:
    response = http.post("/v1/audio/transcriptions", files={"file": ("a.wav", _wav())},
                         data={"model": "gpt-4o-transcribe", "response_format": "diarized_json"})
    result = response.json()
    assert result["task"] == "transcribe" and result["segments"]
    assert " ".join(segment["text"] for segment in result["segments"]) == result["text"]
    assert all(0 <= s["start"] <= s["end"] <= result["duration"] for s in result["segments"])


def test_empty_upload_is_silence(client: openai.OpenAI) -> None:
    assert client.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"")).text == ""
