"""What one conformance run is asked to do: target, selection, generation and cost limits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aitre.conform.areas import AREAS, MODEL_ROLES
from aitre.conform.waivers import Waiver

DEFAULT_MAX_EXAMPLES = 5
DEFAULT_TIMEOUT = 30.0
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Limits:
    """Caps that keep one run cheap on a paid upstream and bounded against a hostile server."""

    max_tokens: int = 16
    max_choices: int = 2
    max_images: int = 2
    max_speech_chars: int = 60
    max_embedding_inputs: int = 8
    # Hostile-server guards: per response body and per event stream.
    max_body_bytes: int = 8 * 1024 * 1024
    max_stream_events: int = 400
    # MidJourney polling: fetches back off from 50 ms to `mj_poll_interval`; a task must end within
    # `mj_max_wait` seconds and `mj_max_polls` fetches (real Midjourney jobs take about a minute).
    mj_max_polls: int = 120
    mj_poll_interval: float = 3.0
    mj_max_wait: float = 240.0
    # Wall-time bound of the schemathesis phase; 0 derives it from the operation count and --timeout.
    schema_max_time: float = 0.0


@dataclass(frozen=True)
class ConformSettings:
    """One run's configuration. `api_key` is never part of repr()."""

    base_url: str
    api_key: str = field(default="", repr=False)
    areas: frozenset[str] = frozenset(AREAS)
    required: frozenset[str] = frozenset()
    models: dict[str, str] = field(default_factory=dict)
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = DEFAULT_SEED
    workers: int = 2
    budget: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    report_dir: Path | None = None
    schema_checks: bool = True
    waivers: tuple[Waiver, ...] = ()
    limits: Limits = field(default_factory=Limits)
    # Relay fidelity (`--upstream`): the `aitre serve --answer-log --faults` the relay at base_url forwards to.
    upstream: str = ""
    upstream_api_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.models) - set(MODEL_ROLES)
        if unknown:
            raise ValueError(f"unknown model role {', '.join(sorted(unknown))} (known: {', '.join(MODEL_ROLES)})")
        if self.max_examples < 1:
            raise ValueError("--max-examples must be at least 1")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        if not math.isfinite(self.timeout) or self.timeout <= 0:
            raise ValueError("--timeout must be a positive number of seconds")
        if self.budget is not None and self.budget < 1:
            raise ValueError("--budget must be at least 1")


def normalize_base_url(url: str) -> str:
    """The server root: no trailing slash and no trailing `/v1` (both are common in OPENAI_BASE_URL)."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base URL must start with http:// or https://, got {url!r}")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise ValueError(f"base URL contains whitespace or a control character: {url!r}")
    try:
        host = urlsplit(url).hostname
    except ValueError as exc:
        raise ValueError(f"base URL is not a valid URL ({exc}): {url!r}") from None
    if not host:
        raise ValueError(f"base URL has no host: {url!r}")
    return url


def clean_api_key(key: str) -> tuple[str, bool]:
    """The key without surrounding whitespace (a key read from a file keeps its newline), and whether any was cut.

    ValueError (never quoting the key) when what is left cannot be sent in an HTTP header.
    """
    stripped = key.strip()
    for position, char in enumerate(stripped, start=1):
        if not "!" <= char <= "~":
            kind = "a non-ASCII character" if ord(char) > 127 else "whitespace or a control character"
            raise ValueError(f"the API key has {kind} at position {position}; an HTTP header cannot carry it")
    return stripped, stripped != key


def parse_model_overrides(items: list[str]) -> dict[str, str]:
    """`["chat=gpt-4o-mini", "audio=tts-1"]` -> roles; `audio` sets both audio roles, `AREA=` needs a name."""
    models: dict[str, str] = {}
    for item in items:
        role, sep, name = item.partition("=")
        role, name = role.strip().lower(), name.strip()
        if not sep or not role or not name:
            raise ValueError(f"--model expects ROLE=NAME, got {item!r}")
        if role == "audio":
            models["speech"] = models["transcription"] = name
            continue
        if role not in MODEL_ROLES:
            raise ValueError(f"unknown model role {role!r} (known: {', '.join((*MODEL_ROLES, 'audio'))})")
        models[role] = name
    return models
