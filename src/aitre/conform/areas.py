"""The areas a conformance run is split into, and which area each spec operation belongs to."""

from __future__ import annotations

# Report order. `auth`, `errors` and `streaming` cut across operations; the rest follow the spec's tags.
AREAS: tuple[str, ...] = (
    "auth",
    "errors",
    "models",
    "chat",
    "completions",
    "streaming",
    "embeddings",
    "images",
    "audio",
    "midjourney",
)

# Model roles that --model accepts. Audio needs two kinds of model, so it has two roles; spoken chat
# answers (`modalities` with audio) need a third kind, `chat_audio`, which serves the chat area.
MODEL_ROLES: tuple[str, ...] = ("chat", "completions", "embeddings", "images", "speech", "transcription",
                                "chat_audio")

# Path prefix -> area, most specific first.
_PATH_AREAS: tuple[tuple[str, str], ...] = (
    ("/v1/chat/completions", "chat"),
    ("/v1/completions", "completions"),
    ("/v1/embeddings", "embeddings"),
    ("/v1/models", "models"),
    ("/v1/images/", "images"),
    ("/v1/audio/", "audio"),
    ("/mj/", "midjourney"),
)

# Path prefix -> model role for the `model` field of positive requests.
_PATH_ROLES: tuple[tuple[str, str], ...] = (
    ("/v1/chat/completions", "chat"),
    ("/v1/completions", "completions"),
    ("/v1/embeddings", "embeddings"),
    ("/v1/images/", "images"),
    ("/v1/audio/speech", "speech"),
    ("/v1/audio/", "transcription"),
)


def area_of(path: str) -> str:
    """The area of a spec path (`/v1/chat/completions` -> `chat`); `errors` for paths outside the spec."""
    for prefix, area in _PATH_AREAS:
        if path.startswith(prefix):
            return area
    return "errors"


def role_of(path: str) -> str | None:
    """The model role a request to `path` needs, or None when its body names no model."""
    for prefix, role in _PATH_ROLES:
        if path.startswith(prefix):
            return role
    return None


def parse_area_list(text: str, *, allow_all: bool = False) -> frozenset[str]:
    """`chat,embeddings` -> {"chat", "embeddings"}; `all` when allowed; ValueError naming an unknown area."""
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    if allow_all and "all" in names:
        return frozenset(AREAS)
    unknown = sorted(names - set(AREAS))
    if unknown:
        raise ValueError(f"unknown area {', '.join(unknown)} (known: {', '.join(AREAS)})")
    return frozenset(names)
