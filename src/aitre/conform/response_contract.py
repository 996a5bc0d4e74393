"""Naming the field when an answer does not match its response schema.

schemathesis says what failed ("null is not of type string") and prints the schema, but not where in
the body: under a `oneOf`/`anyOf` it prints the whole union. This re-validates the body against the
declared schema and names the path of the most telling error: in a union, the branch that came
closest (the one whose error sits deepest, not one that fails on its discriminator).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

import jsonschema_rs

from aitre.spec.schema_errors import deepest_error, error_depth

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _escape(part: str) -> str:
    """One JSON-pointer token as it may stand in a URI fragment (`{model}` percent-encoded, RFC 6901 s6)."""
    return quote(part.replace("~", "~0").replace("/", "~1"), safe="~")


def field_path(parts: list[str | int]) -> str:
    """`["choices", 0, "finish_reason"]` -> `choices[0].finish_reason`; the root is `the body`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the body"


class ResponseContract:
    """Response schemas of one bundled document, compiled on first use."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._compiled: dict[str, jsonschema_rs.Validator] = {}

    def _schema_pointer(self, operation: str, status: int, media_type: str) -> str | None:
        method, _, path = operation.partition(" ")
        responses = self.document.get("paths", {}).get(path, {}).get(method.lower(), {}).get("responses", {})
        key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        response = responses.get(key, responses.get("default"))
        if response is None:
            return None
        pointer = f"#/paths/{_escape(path)}/{method.lower()}/responses/{key}"
        if isinstance(response.get("$ref"), str):
            pointer = response["$ref"]
            response = self._at(pointer)
        if media_type not in (response.get("content") or {}):
            return None
        return f"{pointer}/content/{_escape(media_type)}/schema"

    def _at(self, pointer: str) -> Any:
        node: Any = self.document
        for raw in pointer.removeprefix("#/").split("/"):
            key = unquote(raw).replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def explain(self, operation: str, status: int | None, content_type: str, body: bytes) -> str | None:
        """`field: what is wrong (got value)` for the most telling schema error of a JSON answer, or None."""
        media_type = content_type.split(";")[0].strip().lower()
        if status is None or media_type != "application/json":
            return None
        pointer = self._schema_pointer(operation, status, media_type)
        if pointer is None:
            return None
        try:
            instance = json.loads(body)
        except ValueError:
            return None
        try:
            if pointer not in self._compiled:
                self._compiled[pointer] = jsonschema_rs.validator_for({**self.document, "$ref": pointer,
                                                                       "$schema": DRAFT})
            errors = list(self._compiled[pointer].iter_errors(instance))
        except ValueError:
            # An explanation is a courtesy: a schema the validator cannot take must not end the phase.
            return None
        if not errors:
            return None
        chosen = max((deepest_error(error) for error in errors), key=error_depth)
        path: list[str | int] = list(chosen.instance_path)
        missing = getattr(chosen.kind, "property", None)
        if isinstance(chosen.kind, jsonschema_rs.ValidationErrorKind.Required) and isinstance(missing, str):
            return f"`{field_path([*path, missing])}` is missing"
        shown = json.dumps(chosen.instance, ensure_ascii=False)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        # "null is not of type ..." -> "is not of type ...": the value is shown on its own, cut to size.
        _, said, rest = chosen.message.partition(" is ")
        what = f"is {rest}" if said else chosen.message
        return f"`{field_path(path)}` {what[:200]} (got {shown})"
