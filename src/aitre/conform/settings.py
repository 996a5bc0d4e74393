"""What one conformance run is asked to do: target, selection, generation and cost limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aitre.conform.areas import AREAS, MODEL_ROLES

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
        if self.timeout <= 0:
            raise ValueError("--timeout must be positive")
        if self.budget is not None and self.budget < 1:
            raise ValueError("--budget must be at least 1")


def normalize_base_url(url: str) -> str:
    """The server root: no trailing slash and no trailing `/v1` (both are common in OPENAI_BASE_URL)."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"base URL must start with http:// or https://, got {url!r}")
    return url


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
