"""Trying the model each role will use, once, before the checks do.

When `/v1/models` lists none that fits a role, the role's default is tried.

Many servers take model ids they do not list (proxies with wildcard routes, mocks, single-model
servers). Skipping a whole area because the list had no match would hide its defects; running the
area with a default the server refuses would report that refusal everywhere. So the default is
tried with one small request, and the role is left without a model only when the answer refuses
the model (404, or a 4xx naming `model` or `model_not_found`).

A listed choice is tried the same way: relays list ids they cannot serve (a wildcard route expanded
from a price table, a retired model). One refused id would otherwise fail every check of its area
with the same 404; instead the next listed candidates, then the default, are tried, and the refusal
is kept for the models check that reports it once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aitre.conform.client import ConformClient, Exchange, FilePart
from aitre.conform.discovery import FALLBACK, ModelChoice, candidates
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
            exchange = _send(client, role, default)
        except (TransportFailure, BudgetExhausted):
            choice.sources[role] = f"none (the default {default} could not be tried)"
            continue
        status = exchange.status
        if refuses_model(status, exchange.body):
            choice.sources[role] = f"none (not listed, and the default {default} was refused: {status})"
        else:
            choice.models[role] = default
            choice.sources[role] = f"default (not listed; {default} answered {status})"
    return choice


# Listed candidates tried per role before its default: enough to step over a few stale ids, bounded.
MAX_LISTED_TRIED = 3


def probe_listed(client: ConformClient, choice: ModelChoice, areas: frozenset[str]) -> ModelChoice:
    """Keep a role's listed choice if one request shows the server takes it; else the next listed
    candidate, then the default. Refused listed ids go to `choice.refused`."""
    for role, source in list(choice.sources.items()):
        if source != "discovered" or not ROLE_AREAS[role] & areas:
            continue
        listed = candidates(role, choice.listed) or (candidates("chat", choice.listed) if role == "completions" else [])
        refused: list[str] = []
        for model in dict.fromkeys([*listed[:MAX_LISTED_TRIED], FALLBACK[role]]):
            try:
                exchange = _send(client, role, model)
            except (TransportFailure, BudgetExhausted):
                break  # keep the choice as it stands: the checks will meet what the probe met
            if not refuses_model(exchange.status, exchange.body):
                if refused:
                    choice.models[role] = model
                    how = "discovered" if model in choice.listed else "default"
                    choice.sources[role] = f"{how} (listed {', '.join(refused)} refused as unknown)"
                break
            refused.append(model)
            if model in choice.listed:
                choice.refused.append((model, exchange))
        else:
            choice.models[role] = None
            choice.sources[role] = f"none (listed {', '.join(refused[:-1])} and the default refused as unknown)"
    return choice


def _send(client: ConformClient, role: str, model: str) -> Exchange:
    if role == "transcription":
        files: dict[str, FilePart] = {"file": ("probe.wav", silent_wav(), "audio/wav"), "model": (None, model.encode())}
        return client.request("POST /v1/audio/transcriptions", files=files)
    operation, body = _JSON_PROBES[role]
    return client.request(operation, json_body=body(model))
