"""Rules on examples: each one validates against the schema it illustrates."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, UnknownType
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable as ReferencingError
from referencing.jsonschema import DRAFT202012

from aitre.spec.bundle import Bundle
from aitre.spec.problems import Problem
from aitre.spec.rules import rule
from aitre.spec.source import Pointer
from aitre.spec.walk import CONDITIONAL, all_schemas, media_types, resolve_pointer, to_ref

BUNDLE_URI = "urn:aitre:bundle"
# Keywords by which an object schema says which other properties it admits; such a schema is left as it is.
_OPEN_KEYWORDS = frozenset({"additionalProperties", "unevaluatedProperties", "patternProperties"})


def closed_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the bundle in which an example may hold no property that its schema does not declare.

    Every object schema with `properties` gets `unevaluatedProperties: false`, so a misspelt field in an
    example is an error (what Redocly's `allowAdditionalProperties: false` does). Subschemas under `if`,
    `then`, `else`, `not` and `dependentSchemas` are left open: they only add rules to properties declared
    beside them, and closing them would turn every `then` into "no other property allowed".
    """
    closed = copy.deepcopy(document)
    for pointer, schema in all_schemas(document, skip=CONDITIONAL):
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict) and not _OPEN_KEYWORDS & set(schema):
            resolve_pointer(closed, to_ref(pointer))["unevaluatedProperties"] = False
    return closed


class ExampleValidator:
    """Validates values against any schema of the bundle, by the schema's pointer.

    Objects are closed (see `closed_document`): examples show only declared properties.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        resource = Resource.from_contents(closed_document(document), default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(BUNDLE_URI, resource)
        self.document = document

    def errors(self, schema_pointer: Pointer, value: Any) -> list[str]:
        """Messages for each way `value` breaks the schema at `schema_pointer` (empty when valid)."""
        validator = Draft202012Validator({"$ref": BUNDLE_URI + to_ref(schema_pointer)}, registry=self.registry)
        try:
            errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        except (SchemaError, UnknownType, ReferencingError):
            return []  # the schema itself is broken: schema-valid and no-dangling-ref report that
        messages = []
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            messages.append(f"at {where}: {_short(error.message)}")
        return messages


@rule("example-valid")
def example_valid(bundle: Bundle) -> Iterator[Problem]:
    """Every media-type example and every schema `examples` entry validates against its schema."""
    checker = ExampleValidator(bundle.document)
    for pointer, media_name, media in media_types(bundle.document):
        if not isinstance(media, dict) or "schema" not in media:
            continue
        schema_pointer = (*pointer, "schema")
        for example_pointer, value in _media_examples(bundle.document, pointer, media):
            for message in checker.errors(schema_pointer, value):
                yield bundle.problem(example_pointer, "example-valid", f"example does not match its schema {message}")
            if media_name == "text/event-stream":
                yield from _event_payload(bundle, checker, schema_pointer, example_pointer, value)
    for pointer, schema in all_schemas(bundle.document):
        if isinstance(schema, dict) and isinstance(schema.get("examples"), list):
            for index, value in enumerate(schema["examples"]):
                for message in checker.errors(pointer, value):
                    yield bundle.problem(
                        (*pointer, "examples", index), "example-valid", f"schema example does not match {message}"
                    )


def _media_examples(document: dict[str, Any], pointer: Pointer, media: dict[str, Any]) -> Iterator[tuple[Pointer, Any]]:
    if "example" in media:
        yield (*pointer, "example"), media["example"]
    for name, example in (media.get("examples") or {}).items():
        at: Pointer = (*pointer, "examples", name)
        if isinstance(example, dict) and isinstance(example.get("$ref"), str):
            try:
                example = resolve_pointer(document, example["$ref"])
            except KeyError:
                continue  # reported by no-dangling-ref
        if isinstance(example, dict) and "value" in example:
            yield (*at, "value"), example["value"]


def _event_payload(
    bundle: Bundle, checker: ExampleValidator, schema_pointer: Pointer, example_pointer: Pointer, value: Any
) -> Iterator[Problem]:
    """An SSE example's JSON `data` must also match the `contentSchema` declared for it."""
    if not isinstance(value, dict) or not isinstance(value.get("data"), str) or value["data"] == "[DONE]":
        return
    try:
        payload = json.loads(value["data"])
    except json.JSONDecodeError as exc:
        yield bundle.problem(example_pointer, "example-valid", f"event data is not JSON: {exc}")
        return
    candidates = list(_content_schemas(bundle.document, schema_pointer))
    if not candidates:
        return
    failures = [checker.errors(pointer, payload) for pointer in candidates]
    if all(failures):
        best = min(failures, key=len)
        yield bundle.problem(example_pointer, "example-valid", f"event data does not match its contentSchema {best[0]}")


def _content_schemas(document: dict[str, Any], pointer: Pointer, depth: int = 0) -> Iterator[Pointer]:
    schema = resolve_pointer(document, to_ref(pointer))
    if depth > 8 or not isinstance(schema, dict):
        return
    if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        target = tuple(p.replace("~1", "/").replace("~0", "~") for p in schema["$ref"][2:].split("/"))
        yield from _content_schemas(document, target, depth + 1)
    data = (schema.get("properties") or {}).get("data")
    if isinstance(data, dict) and "contentSchema" in data:
        yield (*pointer, "properties", "data", "contentSchema")
    for key in ("oneOf", "anyOf", "allOf"):
        for index, _ in enumerate(schema.get(key) or []):
            yield from _content_schemas(document, (*pointer, key, index), depth + 1)


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."
