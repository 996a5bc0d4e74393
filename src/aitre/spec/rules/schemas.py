"""Rules on schemas, wherever they sit (openapi-spec-validator skips those under paths)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

from aitre.spec.bundle import Bundle
from aitre.spec.problems import Problem
from aitre.spec.rules import rule
from aitre.spec.walk import all_schemas, resolve_pointer, root_schemas

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
    """Every property has a description, its own or that of the schema its `$ref` names."""
    for pointer, schema in all_schemas(bundle.document):
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
