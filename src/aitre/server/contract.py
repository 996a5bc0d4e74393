"""The bundled spec as the server reads it: one `Operation` per path and method.

The route table, the request validators and the allowed methods (for 405 + Allow) all come from
here, so a path added to spec/ shows up in the server's routing without a second hand-written list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from aitre.paths import BUNDLED_SPEC

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: where it lives, its id and the media types of its request body."""

    path: str
    method: str  # upper case, as on the wire
    operation_id: str
    # media type -> JSON pointer of the request body schema inside the bundled document
    request_media: dict[str, str] = field(default_factory=dict)
    body_required: bool = False
    # HTTP statuses the operation declares, as strings ("200", "400", ...)
    statuses: frozenset[str] = frozenset()


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _pointer(*segments: str) -> str:
    return "#/" + "/".join(_escape(segment) for segment in segments)


@lru_cache(maxsize=4)
def load_document(path: Path = BUNDLED_SPEC) -> dict[str, Any]:
    """The bundled OpenAPI document (read once per process)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation in document order."""
    found: list[Operation] = []
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            body = op.get("requestBody") or {}
            media = {
                media_type: _pointer("paths", path, method, "requestBody", "content", media_type, "schema")
                for media_type, content in (body.get("content") or {}).items()
                if isinstance(content, dict) and "schema" in content
            }
            found.append(
                Operation(
                    path=path,
                    method=method.upper(),
                    operation_id=str(op.get("operationId", f"{method} {path}")),
                    request_media=media,
                    body_required=bool(body.get("required", False)),
                    statuses=frozenset(str(status) for status in op.get("responses", {})),
                )
            )
    return found


def resolve(document: dict[str, Any], pointer: str) -> Any:
    """The node a local `#/...` pointer names."""
    node: Any = document
    for raw in pointer.removeprefix("#/").split("/"):
        if not raw:
            continue
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node
