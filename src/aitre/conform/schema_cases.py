"""What schemathesis sends, and over which spec: positive cases made cheap and coherent, the spec copy it
generates from (without costly bounds), and the operations of the selected areas."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from aitre.conform.areas import area_of, role_of
from aitre.conform.settings import ConformSettings


def tame_body(body: dict[str, Any], path: str, models: dict[str, str | None], settings: ConformSettings, *,
              listed: frozenset[str] = frozenset()) -> bool:
    """Make a valid generated body cheap, routable and coherent: a served model, capped sizes, and the
    cross-field rules a schema cannot state (C4 `best_of` >= `n`, a named tool that is among the tools).

    A model the server lists is kept; any other becomes the run's model for the role. Returns whether
    the model was replaced: a documented example then is no longer the spec's own, and a refusal on
    another field may be the replacement's doing.
    """
    limits = settings.limits
    role = role_of(path)
    swapped = False
    model = body.get("model")
    if role and models.get(role) and "model" in body and model != models[role] and model not in listed:
        body["model"], swapped = models[role], True
    for name in ("max_tokens", "max_completion_tokens"):
        if isinstance(body.get(name), int) and body[name] > limits.max_tokens:
            body[name] = limits.max_tokens
    if isinstance(body.get("n"), int):
        cap = limits.max_images if path.startswith("/v1/images/") else limits.max_choices
        body["n"] = min(body["n"], cap)
    if isinstance(body.get("best_of"), int | float):
        # best_of must stay >= n (spec C4) after both are capped, and a stream allows at most 1 (G8).
        if body.get("stream"):
            body["best_of"] = 1
            if isinstance(body.get("n"), int):
                body["n"] = 1
        body["best_of"] = max(min(int(body["best_of"]), limits.max_choices), int(body.get("n") or 1))
    _keep_named_choice(body, "tool_choice", "tools")
    _keep_named_choice(body, "function_call", "functions")
    if path == "/v1/audio/speech" and isinstance(body.get("input"), str):
        body["input"] = body["input"][: limits.max_speech_chars]
    if path == "/v1/embeddings" and isinstance(body.get("input"), list):
        body["input"] = body["input"][: limits.max_embedding_inputs]
    if isinstance(body.get("partial_images"), int):
        body["partial_images"] = min(body["partial_images"], 1)
    return swapped


def _tool_key(entry: Any) -> tuple[Any, Any]:
    """(type, name) of a tool, or of a tool named in `tool_choice` / `allowed_tools`."""
    if not isinstance(entry, dict):
        return None, None
    kind = entry.get("type", "function")
    nested = entry.get(kind)
    inner: dict[str, Any] = nested if isinstance(nested, dict) else entry
    return kind, inner.get("name")


def _keep_named_choice(body: dict[str, Any], choice: str, offered: str) -> None:
    """A `tool_choice` / `function_call` naming nothing among `tools` / `functions` becomes "auto" (or goes,
    without any): the schema cannot relate the two fields, and the format refuses the mismatch. For
    `allowed_tools`, one of the listed tools must be declared."""
    named = body.get(choice)
    offered_value = body.get(offered)
    entries: list[Any] = offered_value if isinstance(offered_value, list) else []
    if not isinstance(named, dict):
        return
    if choice == "function_call":
        wanted = {("function", named.get("name"))}
        declared = {("function", entry.get("name")) for entry in entries if isinstance(entry, dict)}
    else:
        declared = {_tool_key(entry) for entry in entries}
        if named.get("type") == "allowed_tools":
            listed = (named.get("allowed_tools") or {}).get("tools")
            wanted = {_tool_key(entry) for entry in listed} if isinstance(listed, list) else set()
        else:
            wanted = {_tool_key(named)}
    if wanted & declared:
        return
    if entries:
        body[choice] = "auto"
    else:
        del body[choice]


def declared_methods(spec: dict[str, Any]) -> dict[str, set[str]]:
    """The methods the spec declares on each path."""
    return {path: {method.upper() for method in ("get", "put", "post", "delete", "patch") if method in item}
            for path, item in spec.get("paths", {}).items()}


def area_operations(spec: dict[str, Any], areas: Iterable[str]) -> list[str]:
    """The spec's operations ("METHOD /path") whose area is selected."""
    selected = set(areas)
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            if method in item and area_of(path) in selected:
                found.append(f"{method.upper()} {path}")
    return found


# Bounds above these are not probed: generating and answering a boundary case costs as much as the
# bound (2048 embedding inputs, 32000 prompt characters, 4096 characters of speech), on the wire and
# on a paid upstream. Dropping such a bound keeps generated sizes small; the bound itself goes untested.
COSTLY_MAX_ITEMS = 64
COSTLY_MAX_LENGTH = 1000


def cheap_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of the spec without costly size bounds (see COSTLY_MAX_ITEMS / COSTLY_MAX_LENGTH)."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("maxItems"), int) and node["maxItems"] > COSTLY_MAX_ITEMS:
                del node["maxItems"]
            if isinstance(node.get("maxLength"), int) and node["maxLength"] > COSTLY_MAX_LENGTH:
                del node["maxLength"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    cheap = copy.deepcopy(spec)
    walk(cheap)
    return cheap
