"""Helpers for test generators (schemathesis) driven against the reference server.

A generator that only knows the spec sends random model ids, which end at 404 before any handler logic
runs, and it sends schema-valid bodies that break a rule JSON Schema cannot state (`best_of` below `n`),
which this server refuses with 400 on purpose. `pin_model` and `refused_on_purpose` let a positive-mode
run reach the handlers and keep such bodies out of "valid data was rejected" checks.
"""

from __future__ import annotations

import copy
from typing import Any

from aitre.server.app import SEMANTIC_CHECKS
from aitre.server.bodies import normalise
from aitre.server.errors import ApiError
from aitre.server.settings import ServerSettings

# operationId -> (model area, model to use when the generated one is not served)
OPERATION_MODELS: dict[str, tuple[str, str]] = {
    "createCompletion": ("completions", "gpt-3.5-turbo-instruct"),
    "createChatCompletion": ("chat", "gpt-4o-mini"),
    "createEmbedding": ("embeddings", "text-embedding-3-small"),
    "createImage": ("images", "gpt-image-1"),
    "createImageEdit": ("images", "gpt-image-1"),
    "createImageVariation": ("images", "dall-e-2"),
    "createSpeech": ("speech", "gpt-4o-mini-tts"),
    "createTranscription": ("transcription", "gpt-4o-transcribe"),
    "createTranslation": ("transcription", "whisper-1"),
}


def pin_model(settings: ServerSettings, operation_id: str, body: Any) -> None:
    """Replace an unserved `model` in a generated body (in place) by one this server serves for the operation."""
    if operation_id not in OPERATION_MODELS or not isinstance(body, dict):
        return
    area, fallback = OPERATION_MODELS[operation_id]
    if body.get("model") not in settings.models_for(area) and ("model" in body or area != "images"):
        body["model"] = fallback if fallback in settings.models_for(area) else settings.models_for(area)[0]


def refused_on_purpose(settings: ServerSettings, operation_id: str, body: Any) -> bool:
    """True when the server answers this schema-valid body with 400 because of a cross-field rule."""
    check = SEMANTIC_CHECKS.get(operation_id)
    if check is None or not isinstance(body, dict):
        return False
    seen = copy.deepcopy(body)
    normalise(seen)  # as the server does before its checks: 10.0 becomes 10
    try:
        check(settings, seen)
    except ApiError:
        return True
    return False
