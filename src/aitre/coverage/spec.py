"""The spec side of `aitre coverage`: the field paths of one operation in the bundled document.

Request bodies, 2xx JSON bodies, and the `contentSchema` of each `text/event-stream` event, with
`$ref`s followed into the document. The variants of `oneOf`/`anyOf`/`allOf` are merged, as the SDK
side merges unions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aitre.coverage.operations import PARTS, join


def schema_fields(document: dict[str, Any], schema: Any) -> frozenset[str]:
    """Every field path of `schema`, following `$ref`s into `document`."""
    found: set[str] = set()
    _walk_schema(document, schema, "", found, ())
    return frozenset(found)


def spec_parts(document: dict[str, Any], operation: dict[str, Any], path_item: dict[str, Any]) -> dict[str, set[str]]:
    """The field paths of one spec operation, keyed by part."""
    parts: dict[str, set[str]] = {part: set() for part in PARTS}
    for parameter in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        parameter = _resolve(document, parameter["$ref"]) if "$ref" in parameter else parameter
        if isinstance(parameter, dict) and parameter.get("in") in ("path", "query"):
            parts["parameters"].add(parameter["name"])
    for media in ((operation.get("requestBody") or {}).get("content") or {}).values():
        parts["request"] |= schema_fields(document, media.get("schema"))
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).startswith("2"):
            continue
        response = _resolve(document, response["$ref"]) if "$ref" in response else response
        for media_name, media in (response.get("content") or {}).items():
            if media_name == "text/event-stream":
                for payload in _content_schemas(document, media.get("schema")):
                    parts["stream"] |= schema_fields(document, payload)
            else:
                parts["response"] |= schema_fields(document, media.get("schema"))
    return parts


def _walk_schema(document: dict[str, Any], schema: Any, prefix: str, found: set[str], stack: tuple[str, ...]) -> None:
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in stack:
            return
        _walk_schema(document, _resolve(document, ref), prefix, found, (*stack, ref))
    for name, sub in (schema.get("properties") or {}).items():
        path = join(prefix, name)
        found.add(path)
        _walk_schema(document, sub, path, found, stack)
    if isinstance(schema.get("items"), dict):
        _walk_schema(document, schema["items"], prefix + "[]", found, stack)
    if isinstance(schema.get("additionalProperties"), dict):
        _walk_schema(document, schema["additionalProperties"], prefix + "{*}", found, stack)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or []:
            _walk_schema(document, sub, prefix, found, stack)


def _content_schemas(document: dict[str, Any], schema: Any, stack: tuple[str, ...] = ()) -> Iterator[Any]:
    """The `contentSchema` of each event payload of a server-sent event schema."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref not in stack:
        yield from _content_schemas(document, _resolve(document, ref), (*stack, ref))
    if "contentSchema" in schema:
        yield schema["contentSchema"]
    for sub in (schema.get("properties") or {}).values():
        yield from _content_schemas(document, sub, stack)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or []:
            yield from _content_schemas(document, sub, stack)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    value: Any = document
    for token in ref.removeprefix("#/").split("/"):
        value = value.get(token.replace("~1", "/").replace("~0", "~")) if isinstance(value, dict) else None
    return value
