"""The marked requests a fidelity run sends through the relay: plain, streaming, multipart and binary.

Each carries its marker in text the relay must pass through (a message, a prompt, an input), and asks
for what can be compared byte for byte (`b64_json` pictures rather than links to the upstream).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aitre.conform.samples import silent_wav

CHAT = "POST /v1/chat/completions"
COMPLETIONS = "POST /v1/completions"
EMBEDDINGS = "POST /v1/embeddings"
IMAGES = "POST /v1/images/generations"
SPEECH = "POST /v1/audio/speech"
TRANSCRIPTIONS = "POST /v1/audio/transcriptions"

# (model, text with the marker) -> keyword arguments of `ConformClient.request`
Build = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Plan:
    """One exchange: its name, operation, area, model role, how its answer is read, and its request."""

    name: str
    operation: str
    area: str
    role: str
    kind: str  # json, stream, binary
    build: Build
    stream_kind: str = "chat"


def _chat(model: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"json_body": {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 16, **extra}}


def _completion(model: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"json_body": {"model": model, "prompt": text, "max_tokens": 16, **extra}}


STREAM_USAGE = {"stream": True, "stream_options": {"include_usage": True}}

PLANS: tuple[Plan, ...] = (
    Plan("chat", CHAT, "chat", "chat", "json", lambda m, t: _chat(m, t)),
    Plan("chat n=2", CHAT, "chat", "chat", "json", lambda m, t: _chat(m, t, n=2)),
    Plan("chat stream", CHAT, "streaming", "chat", "stream", lambda m, t: _chat(m, t, **STREAM_USAGE)),
    Plan("chat stream without usage", CHAT, "streaming", "chat", "stream", lambda m, t: _chat(m, t, stream=True)),
    Plan("completion", COMPLETIONS, "completions", "completions", "json", lambda m, t: _completion(m, t)),
    Plan("completion stream", COMPLETIONS, "streaming", "completions", "stream",
         lambda m, t: _completion(m, t, **STREAM_USAGE), stream_kind="completions"),
    Plan("embeddings", EMBEDDINGS, "embeddings", "embeddings", "json",
         lambda m, t: {"json_body": {"model": m, "input": [t, "second input"]}}),
    Plan("image b64_json", IMAGES, "images", "images", "json",
         lambda m, t: {"json_body": {"model": m, "prompt": t, "n": 1, "size": "256x256",
                                     "response_format": "b64_json"}}),
    Plan("speech", SPEECH, "audio", "speech", "binary",
         lambda m, t: {"json_body": {"model": m, "input": t, "voice": "alloy", "response_format": "mp3"}}),
    Plan("transcription (multipart)", TRANSCRIPTIONS, "audio", "transcription", "json",
         lambda m, t: {"form": {"model": m, "prompt": t, "response_format": "json"},
                       "files": {"file": ("silence.wav", silent_wav(), "audio/wav")}}),
)


def fault_request(fault: str, model: str, marker: str) -> dict[str, Any]:
    """The chat request that asks the upstream for `fault` (streaming for a cut stream)."""
    text = f"Say hello. {marker} aitre-fault={fault}"
    return _chat(model, text, **STREAM_USAGE) if fault == "cut" else _chat(model, text)
