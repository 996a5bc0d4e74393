"""Configuration of the reference server: keys, served models, limits and the generator seed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# The key accepted when none is configured. It is a published, obviously fake value so that
# `aitre serve` works out of the box on loopback and `aitre conform` can find it without setup.
DEFAULT_API_KEY = "sk-aitre-reference"

# Model ids per API area. A request naming a model outside its area's list gets 404 `model_not_found`.
DEFAULT_MODELS: Mapping[str, tuple[str, ...]] = {
    "chat": ("gpt-4o-mini", "gpt-4o", "gpt-3.5-turbo", "gpt-4o-image", "gpt-audio-mini"),
    "completions": ("gpt-3.5-turbo-instruct", "davinci-002", "babbage-002"),
    "embeddings": ("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"),
    "images": ("dall-e-2", "dall-e-3", "gpt-image-1", "flux"),
    "speech": ("tts-1", "tts-1-hd", "gpt-4o-mini-tts"),
    "transcription": ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"),
}


def redact(key: str) -> str:
    """A key as it may appear in logs: its first three characters and a mask, never the secret part."""
    return key[:3] + "****" if len(key) > 6 else "****"


@dataclass(frozen=True)
class ServerSettings:
    """Everything `create_app` needs. The defaults give a server that passes `aitre conform`."""

    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    models: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_MODELS))
    # Larger bodies get 413 before they are read completely (audio uploads are the big ones).
    max_body_bytes: int = 25 * 1024 * 1024
    # The request line and headers together; more gets 431 and a closed connection (`headlimit.py`). Clients
    # send a few KiB; nginx allows 32 KiB, Node 16 KiB; 64 KiB leaves room for long cookies and tokens.
    max_head_bytes: int = 64 * 1024
    # Bounded memory: the oldest stored MidJourney task or generated image is dropped first.
    max_stored_tasks: int = 1000
    max_stored_images: int = 256
    # Pictures are also bounded by their bytes (uploads can be as large as a body); at least one body's worth.
    max_stored_image_bytes: int = 256 * 1024 * 1024
    # Mixed into every content hash, so two servers with different seeds give different (but stable) text.
    seed: int = 0
    # Prefix of the URLs this server hands out for images (`{base}/files/images/<id>.png`).
    # Empty means "derive from the request's Host header", which is right for a directly reached server.
    public_base_url: str = ""
    # How many fetches a MidJourney task needs per status step (NOT_START -> SUBMITTED -> IN_PROGRESS -> SUCCESS).
    mj_fetches_per_step: int = 1
    # Relay tests (`aitre conform --upstream`): answer as a failing upstream when the body names a fault
    # (`faults.py`), and keep the answers to marked requests for `GET /aitre/answers` (`answerlog.py`).
    # Both off by default: a normal server never fails on purpose and keeps nothing.
    faults: bool = False
    answer_log: bool = False

    def __post_init__(self) -> None:
        if not self.api_keys:
            raise ValueError("ServerSettings.api_keys needs at least one key")
        if self.max_body_bytes < 1024:
            raise ValueError("ServerSettings.max_body_bytes must be at least 1024")
        if self.max_stored_image_bytes < self.max_body_bytes:
            raise ValueError("ServerSettings.max_stored_image_bytes must be at least max_body_bytes")
        if self.max_head_bytes < 1024:
            raise ValueError("ServerSettings.max_head_bytes must be at least 1024")

    def models_for(self, area: str) -> tuple[str, ...]:
        """The model ids served for one area (`chat`, `completions`, `embeddings`, `images`, `speech`, ...)."""
        return tuple(self.models.get(area, ()))

    def all_models(self) -> list[tuple[str, str]]:
        """Every served model as (id, area), in a stable order without duplicates."""
        seen: dict[str, str] = {}
        for area, ids in self.models.items():
            for model_id in ids:
                seen.setdefault(model_id, area)
        return list(seen.items())

    def __repr__(self) -> str:
        # The keys are secrets: a settings object printed in a traceback or log must not leak them.
        keys = ", ".join(redact(key) for key in self.api_keys)
        return f"ServerSettings(api_keys=[{keys}], models={len(self.all_models())}, seed={self.seed})"
