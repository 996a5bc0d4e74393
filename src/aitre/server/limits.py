"""The size limits the spec states for top-level body fields, checked before any per-item work.

Schema validation finds an over-long array in the end, but only after the work that scales with its items:
the walk that normalises numbers, and jsonschema-rs collecting one error per item for every branch of a
union. One million strings in an embeddings `input` (5 MB) kept the event loop for 35 s and reached 1.4 GB
before its 400. A `len()` against the spec's own `maxItems` / `maxLength` costs nothing and refuses the
same requests, with a message that names the limit (OpenAI's wording and codes).

Only limits that hold for every branch of a field's schema are enforced here: `input` is a string or one
of three arrays, each with `maxItems: 2048`, so more than 2048 items can match no branch. A field with an
unbounded or untyped branch is left to the validator.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from aitre.server.contract import Operation, resolve
from aitre.server.errors import ApiError, bad_request

# Deep enough for any union of references in the spec; a cycle stops here instead of recursing forever.
MAX_DEPTH = 8


@dataclass(frozen=True)
class FieldLimit:
    """The most items (arrays) and characters (strings) any branch of one field's schema allows."""

    max_items: int | None
    max_length: int | None


def _leaves(document: dict[str, Any], schema: Any, depth: int = 0) -> Iterator[Any]:
    """The alternatives of a schema: `$ref`s followed, `anyOf` / `oneOf` flattened."""
    if depth > MAX_DEPTH or not isinstance(schema, dict):
        yield None  # unknown: counts as an unbounded branch
        return
    if "$ref" in schema:
        yield from _leaves(document, resolve(document, schema["$ref"]), depth + 1)
        return
    unions = [branch for keyword in ("anyOf", "oneOf") for branch in schema.get(keyword, [])]
    if unions and "type" not in schema:
        for branch in unions:
            yield from _leaves(document, branch, depth + 1)
        return
    yield schema


def _bound(values: list[Any]) -> int | None:
    """The largest of the branches' bounds, or None when some branch has none."""
    bounds = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
    if not values or len(bounds) != len(values):
        return None
    return max(bounds)


def field_limit(document: dict[str, Any], schema: Any) -> FieldLimit | None:
    """The limit every branch of `schema` agrees on, or None when there is nothing to check early."""
    items: list[Any] = []
    lengths: list[Any] = []
    for leaf in _leaves(document, schema):
        declared = leaf.get("type") if isinstance(leaf, dict) else None
        kinds = {declared} if isinstance(declared, str) else set(declared or ())
        if not kinds or "allOf" in leaf:
            return None  # an untyped or composed branch may take any array or string
        if "array" in kinds:
            items.append(leaf.get("maxItems"))
        if "string" in kinds:
            lengths.append(leaf.get("maxLength"))
    limit = FieldLimit(_bound(items), _bound(lengths))
    return limit if limit.max_items is not None or limit.max_length is not None else None


def too_long(field: str, kind: str, limit: int, size: int) -> ApiError:
    """400 naming the field and the limit, as OpenAI words it (`array_above_max_length`, ...)."""
    return bad_request(
        f"Invalid '{field}': {kind} too long. Expected {'an' if kind == 'array' else 'a'} {kind} with maximum "
        f"length {limit}, but got {'an' if kind == 'array' else 'a'} {kind} with length {size} instead.",
        param=field,
        code=f"{kind}_above_max_length",
    )


class SizeLimits:
    """The early size checks of every operation and media type of one bundled document."""

    def __init__(self, document: dict[str, Any], ops: Iterable[Operation]) -> None:
        self._fields: dict[tuple[str, str], dict[str, FieldLimit]] = {}
        for op in ops:
            for media_type, pointer in op.request_media.items():
                body = next(_leaves(document, resolve(document, pointer)), None)
                properties = body.get("properties", {}) if isinstance(body, dict) else {}
                found = {name: field_limit(document, schema) for name, schema in properties.items()}
                self._fields[(op.operation_id, media_type)] = {
                    name: limit for name, limit in found.items() if limit is not None
                }

    def of(self, op: Operation, media_type: str) -> dict[str, FieldLimit]:
        """Field name -> limit for one operation (empty when the spec states none at the top level)."""
        return self._fields.get((op.operation_id, media_type), {})

    def check(self, op: Operation, media_type: str, body: dict[str, Any]) -> None:
        """Raise 400 for the first top-level field longer than its limit; O(number of limited fields)."""
        for name, limit in self.of(op, media_type).items():
            value = body.get(name)
            if isinstance(value, list) and limit.max_items is not None and len(value) > limit.max_items:
                raise too_long(name, "array", limit.max_items, len(value))
            if isinstance(value, str) and limit.max_length is not None and len(value) > limit.max_length:
                raise too_long(name, "string", limit.max_length, len(value))
