"""Which model each kind of request uses: discovered from /v1/models, overridable with --model ROLE=NAME.

Positive requests must name a model the server has, or every one of them is a 404 and nothing
behind it gets tested. Discovery prefers the cheapest well-known id per role, then any listed id
that looks like one of that role.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aitre.conform.areas import MODEL_ROLES

# Ids tried first, in order: the cheapest common model of each role.
_PREFERRED: Mapping[str, tuple[str, ...]] = {
    "chat": ("gpt-4o-mini", "gpt-4.1-nano", "gpt-4.1-mini", "gpt-3.5-turbo", "gpt-4o"),
    "completions": ("gpt-3.5-turbo-instruct", "babbage-002", "davinci-002"),
    "embeddings": ("text-embedding-3-small", "text-embedding-ada-002", "text-embedding-3-large"),
    "images": ("dall-e-2", "gpt-image-1-mini", "gpt-image-1", "dall-e-3"),
    "speech": ("tts-1", "gpt-4o-mini-tts", "tts-1-hd"),
    "transcription": ("whisper-1", "gpt-4o-mini-transcribe", "gpt-4o-transcribe"),
    "chat_audio": ("gpt-audio-mini", "gpt-4o-mini-audio-preview", "gpt-audio", "gpt-4o-audio-preview"),
}
# Otherwise, the first listed id matching the role's pattern.
_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "completions": re.compile(r"instruct|davinci|babbage", re.I),
    "embeddings": re.compile(r"embed", re.I),
    "images": re.compile(r"dall-e|image|flux|diffusion|midjourney", re.I),
    "speech": re.compile(r"tts|speech", re.I),
    "transcription": re.compile(r"whisper|transcribe", re.I),
    "chat_audio": re.compile(r"gpt-audio|audio-preview", re.I),
}
# A chat model is any listed id that does not look like another role's (or a non-chat) model.
_NOT_CHAT = re.compile(
    r"embed|tts|speech|whisper|transcribe|dall-e|image|flux|diffusion|instruct|davinci|babbage|"
    r"moderation|realtime|audio|search|rerank|midjourney|^mj_|^swap_face|sora|video",
    re.I,
)
# Used when /v1/models could not be read, so the rest of the run still has something to send.
FALLBACK: Mapping[str, str] = {role: ids[0] for role, ids in _PREFERRED.items()}


@dataclass
class ModelChoice:
    """The model per role and where it came from (override, discovered, fallback or none)."""

    models: dict[str, str | None] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    listed: list[str] = field(default_factory=list)
    # Listed ids a request refused as unknown, with that exchange (an `Exchange`; typed loosely so this
    # input layer imports no transport). `model_probe.probe_listed` fills it; a models check reports it.
    refused: list[tuple[str, Any]] = field(default_factory=list)


def choose_models(listed: Sequence[str] | None, overrides: Mapping[str, str]) -> ModelChoice:
    """Pick a model per role from the listed ids (None when the list could not be read)."""
    choice = ModelChoice(listed=list(listed or []))
    for role in MODEL_ROLES:
        if role in overrides:
            choice.models[role], choice.sources[role] = overrides[role], "override"
        elif listed is None:
            choice.models[role], choice.sources[role] = FALLBACK[role], "fallback"
        else:
            found = _pick(role, listed)
            if found is None and role == "completions":
                # Many relays serve the legacy endpoint with chat models.
                found = _pick("chat", listed)
            choice.models[role] = found
            choice.sources[role] = "discovered" if found else "none"
    return choice


def candidates(role: str, listed: Sequence[str]) -> list[str]:
    """The listed ids fit for `role`, best first: the preferred ids, then any that look like the role's."""
    preferred = [model for model in _PREFERRED[role] if model in listed]
    if role == "chat":
        rest = [model for model in listed if not _NOT_CHAT.search(model)]
    else:
        rest = [model for model in listed if _PATTERNS[role].search(model)]
    return list(dict.fromkeys(preferred + rest))


def _pick(role: str, listed: Sequence[str]) -> str | None:
    return next(iter(candidates(role, listed)), None)
