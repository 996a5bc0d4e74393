"""Rules on schemas, wherever they sit (openapi-spec-validator skips those under paths)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from aitre.spec.bundle import Bundle
from aitre.spec.problems import Problem
from aitre.spec.rules import rule
from aitre.spec.source import Pointer
from aitre.spec.walk import CONDITIONAL, all_schemas, resolve_pointer, root_schemas

# JSON Schema 2020-12 keywords plus the OpenAPI 3.1 base vocabulary.
KNOWN_KEYWORDS = frozenset(
    {
        "$id",
        "$schema",
        "$ref",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$defs",
        "$comment",
        "$vocabulary",
        "type",
        "enum",
        "const",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "properties",
        "patternProperties",
        "additionalProperties",
        "propertyNames",
        "unevaluatedProperties",
        "items",
        "prefixItems",
        "contains",
        "unevaluatedItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "title",
        "description",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "examples",
        "format",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "discriminator",
        "xml",
        "externalDocs",
        "example",
    }
)


@rule("schema-valid")
def schema_valid(bundle: Bundle) -> Iterator[Problem]:
    """Every schema is a valid JSON Schema 2020-12 document (bounds, types, keyword shapes)."""
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    for pointer, schema in root_schemas(bundle.document):
        if jsonschema_rs.meta.is_valid(schema):
            continue  # the fast check passes; the slow one runs only to explain a failure
        for error in meta.iter_errors(schema):
            where = (*pointer, *error.absolute_path)
            yield bundle.problem(where, "schema-valid", f"invalid schema: {error.message}")


@rule("schema-keywords")
def schema_keywords(bundle: Bundle) -> Iterator[Problem]:
    """Schemas use only known keywords (typos and YAML flow-mapping accidents show up here), and no 3.0 `nullable`."""
    for pointer, schema in all_schemas(bundle.document):
        if not isinstance(schema, dict):
            continue
        for key in schema:
            if key == "nullable":
                yield bundle.problem(
                    (*pointer, key),
                    "schema-keywords",
                    "`nullable` is OpenAPI 3.0; write type: [X, 'null'] or anyOf with {type: 'null'}",
                )
            elif key not in KNOWN_KEYWORDS and not key.startswith("x-"):
                yield bundle.problem((*pointer, key), "schema-keywords", f"unknown schema keyword {key!r}")


@rule("property-description")
def property_description(bundle: Bundle) -> Iterator[Problem]:
    """Every property has a description, its own or that of the schema its `$ref` names.

    Properties named under `if`, `then`, `else`, `not` and `dependentSchemas` are exempt: they add rules to a
    property declared next to them (`conditional-properties` checks that it is).
    """
    for pointer, schema in all_schemas(bundle.document, skip=CONDITIONAL):
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            continue
        for name, prop in schema["properties"].items():
            if not _described(bundle.document, prop):
                yield bundle.problem(
                    (*pointer, "properties", name), "property-description", f"property {name!r} has no description"
                )


def _described(document: dict[str, Any], prop: Any) -> bool:
    if not isinstance(prop, dict):
        return False
    if str(prop.get("description") or "").strip():
        return True
    if isinstance(prop.get("$ref"), str):
        try:
            target = resolve_pointer(document, prop["$ref"])
        except KeyError:
            return True  # reported by no-dangling-ref
        return isinstance(target, dict) and bool(str(target.get("description") or "").strip())
    return False


@rule("conditional-properties")
def conditional_properties(bundle: Bundle) -> Iterator[Problem]:
    """A property that a conditional rule tests, constrains or requires is declared by the object it belongs to.

    `then: {properties: {sise: ...}}` constrains nothing, since the instance has no such property, so a
    misspelt name would make a rule silently vanish.
    """
    for pointer, schema in all_schemas(bundle.document, skip=CONDITIONAL):
        declared = _declared_properties(bundle.document, schema)
        if declared is None:
            continue
        for where, name in _conditional_names(schema, pointer, inside=False):
            if name not in declared:
                yield bundle.problem(
                    where, "conditional-properties", f"{name!r} is not a property declared by this schema"
                )


def _declared_properties(document: dict[str, Any], schema: Any) -> dict[str, Any] | None:
    """The properties a schema declares, or None when it declares none.

    A request body's rules sit beside the `$ref` to its component (DECISIONS G8), so such a schema
    declares the properties of the component it refers to.
    """
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("properties"), dict):
        return dict(schema["properties"])
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        try:
            target = resolve_pointer(document, ref)
        except KeyError:
            return None  # reported by no-dangling-ref
        if isinstance(target, dict) and isinstance(target.get("properties"), dict):
            return dict(target["properties"])
    return None


def _conditional_names(schema: dict[str, Any], pointer: Pointer, inside: bool) -> Iterator[tuple[Pointer, str]]:
    """Property names used by the conditional parts of `schema`, which apply to the same instance as `schema`.

    `inside` is true within a conditional subschema, whose own `properties` and `required` count. `allOf`,
    `anyOf` and `oneOf` branches apply to the same instance too, unless they are a `$ref` to another object.
    """
    if inside:
        for name in schema.get("properties") or {}:
            yield (*pointer, "properties", name), str(name)
        for index, name in enumerate(schema.get("required") or []):
            yield (*pointer, "required", index), str(name)
    for key in ("if", "then", "else", "not"):
        if isinstance(schema.get(key), dict):
            yield from _conditional_names(schema[key], (*pointer, key), inside=True)
    for name, sub in (schema.get("dependentSchemas") or {}).items():
        yield (*pointer, "dependentSchemas", name), str(name)
        if isinstance(sub, dict):
            yield from _conditional_names(sub, (*pointer, "dependentSchemas", name), inside=True)
    for key in ("allOf", "anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(key) or []):
            if isinstance(sub, dict) and "$ref" not in sub:
                yield from _conditional_names(sub, (*pointer, key, index), inside)
