"""Trying a role's default model once, when `/v1/models` lists none that fits the role.

Many servers take model ids they do not list (proxies with wildcard routes, mocks, single-model
servers). Skipping a whole area because the list had no match would hide its defects; running the
area with a default the server refuses would report that refusal everywhere. So the default is
tried with one small request, and the role is left without a model only when the answer refuses
the model (404, or a 4xx naming `model` or `model_not_found`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aitre.conform.client import ConformClient, FilePart
from aitre.conform.discovery import FALLBACK, ModelChoice
from aitre.conform.failures import BudgetExhausted, TransportFailure
from aitre.conform.samples import silent_wav

# Role -> (operation, the smallest request that names the model). Images ask for the cheapest picture.
_JSON_PROBES: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "chat": ("POST /v1/chat/completions",
             lambda model: {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}),
    "completions": ("POST /v1/completions", lambda model: {"model": model, "prompt": "Hi", "max_tokens": 1}),
    "embeddings": ("POST /v1/embeddings", lambda model: {"model": model, "input": "Hi"}),
    "images": ("POST /v1/images/generations",
               lambda model: {"model": model, "prompt": "a dot", "n": 1, "size": "256x256"}),
    "speech": ("POST /v1/audio/speech", lambda model: {"model": model, "input": "Hi", "voice": "alloy"}),
    # Text output is the cheapest answer an audio chat model gives; it shows the model is taken all the same.
    "chat_audio": ("POST /v1/chat/completions",
                   lambda model: {"model": model, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1}),
}
# The areas each role serves: a role is probed only when one of them is selected.
ROLE_AREAS: dict[str, frozenset[str]] = {
    "chat": frozenset({"chat", "streaming", "errors"}),
    "completions": frozenset({"completions", "streaming"}),
    "embeddings": frozenset({"embeddings", "errors"}),
    "images": frozenset({"images"}),
    "speech": frozenset({"audio"}),
    "transcription": frozenset({"audio"}),
    "chat_audio": frozenset({"chat"}),
}


def refuses_model(status: int | None, body: bytes) -> bool:
    """Whether an answer refuses the model itself (rather than something else about the request)."""
    if status == 404:
        return True
    if status is None or not 400 <= status < 500:
        return False
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return False
    return isinstance(error, dict) and (error.get("param") == "model" or error.get("code") == "model_not_found")


def probe_defaults(client: ConformClient, choice: ModelChoice, areas: frozenset[str]) -> ModelChoice:
    """Fill roles the listing left empty with their default model, if one request shows it is taken."""
    for role, source in list(choice.sources.items()):
        if source != "none" or not ROLE_AREAS[role] & areas:
            continue
        default = FALLBACK[role]
        try:
            status, body = _send(client, role, default)
        except (TransportFailure, BudgetExhausted):
            choice.sources[role] = f"none (the default {default} could not be tried)"
            continue
        if refuses_model(status, body):
            choice.sources[role] = f"none (not listed, and the default {default} was refused: {status})"
        else:
            choice.models[role] = default
            choice.sources[role] = f"default (not listed; {default} answered {status})"
    return choice


def _send(client: ConformClient, role: str, model: str) -> tuple[int | None, bytes]:
    if role == "transcription":
        files: dict[str, FilePart] = {"file": ("probe.wav", silent_wav(), "audio/wav"), "model": (None, model.encode())}
        exchange = client.request("POST /v1/audio/transcriptions", files=files)
    else:
        operation, body = _JSON_PROBES[role]
        exchange = client.request(operation, json_body=body(model))
    return exchange.status, exchange.body
