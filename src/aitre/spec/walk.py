"""Walk the schemas, operations and examples of a bundled OpenAPI document, with their pointers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aitre.spec.source import Pointer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords whose value is one subschema, a list of them, or a map of them.
_ONE = (
    "items",
    "not",
    "contentSchema",
    "if",
    "then",
    "else",
    "propertyNames",
    "contains",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalProperties",
)
_MANY = ("oneOf", "anyOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")


def operations(document: dict[str, Any]) -> Iterator[tuple[Pointer, str, str, dict[str, Any]]]:
    """Yield (pointer, path, method, operation) for every operation."""
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                yield ("paths", path, method), path, method, operation


def media_types(document: dict[str, Any]) -> Iterator[tuple[Pointer, str, dict[str, Any]]]:
    """Yield (pointer, media type name, media type object) for every request and response body."""
    for pointer, _path, _method, operation in operations(document):
        body = operation.get("requestBody")
        if isinstance(body, dict):
            for name, media in (body.get("content") or {}).items():
                yield (*pointer, "requestBody", "content", name), name, media
        for status, response in (operation.get("responses") or {}).items():
            if isinstance(response, dict):
                for name, media in (response.get("content") or {}).items():
                    yield (*pointer, "responses", status, "content", name), name, media
    for name, response in ((document.get("components") or {}).get("responses") or {}).items():
        for media_name, media in (response.get("content") or {}).items():
            yield ("components", "responses", name, "content", media_name), media_name, media


def root_schemas(document: dict[str, Any]) -> Iterator[tuple[Pointer, Any]]:
    """Yield every schema that is not inside another schema: components, bodies, parameters, headers."""
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        yield ("components", "schemas", name), schema
    for pointer, _name, media in media_types(document):
        if isinstance(media, dict) and "schema" in media:
            yield (*pointer, "schema"), media["schema"]
    for pointer, _path, _method, operation in operations(document):
        for index, parameter in enumerate(operation.get("parameters") or []):
            if isinstance(parameter, dict) and "schema" in parameter:
                yield (*pointer, "parameters", index, "schema"), parameter["schema"]
    components = document.get("components") or {}
    for kind in ("parameters", "headers"):
        for name, item in (components.get(kind) or {}).items():
            if isinstance(item, dict) and "schema" in item:
                yield ("components", kind, name, "schema"), item["schema"]


# Keywords whose subschemas only constrain an instance that other keywords describe: `if` tests it,
# `then`/`else`/`dependentSchemas` add rules when a test holds, `not` forbids. A property named in them
# is declared (and described) in the `properties` of the schema they belong to.
CONDITIONAL = frozenset({"if", "then", "else", "not", "dependentSchemas"})


def subschemas(schema: Any, pointer: Pointer, skip: frozenset[str] = frozenset()) -> Iterator[tuple[Pointer, Any]]:
    """Yield `schema` and every schema nested in it, depth first, without entering the keywords in `skip`."""
    yield pointer, schema
    if not isinstance(schema, dict):
        return
    for key in _ONE:
        if key not in skip and isinstance(schema.get(key), dict):
            yield from subschemas(schema[key], (*pointer, key), skip)
    for key in _MANY:
        if key not in skip and isinstance(schema.get(key), list):
            for index, item in enumerate(schema[key]):
                yield from subschemas(item, (*pointer, key, index), skip)
    for key in _MAP:
        if key not in skip and isinstance(schema.get(key), dict):
            for name, item in schema[key].items():
                yield from subschemas(item, (*pointer, key, name), skip)


def all_schemas(document: dict[str, Any], skip: frozenset[str] = frozenset()) -> Iterator[tuple[Pointer, Any]]:
    """Every schema of the document, nested ones included (except those under the keywords in `skip`)."""
    for pointer, schema in root_schemas(document):
        yield from subschemas(schema, pointer, skip)


def refs(value: Any, pointer: Pointer = ()) -> Iterator[tuple[Pointer, str]]:
    """Yield (pointer of the `$ref` key, target) for every `$ref` and discriminator mapping."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield (*pointer, key), item
            elif key == "discriminator" and isinstance(item, dict) and isinstance(item.get("mapping"), dict):
                for tag, target in item["mapping"].items():
                    if isinstance(target, str):
                        yield (*pointer, key, "mapping", tag), target
            else:
                yield from refs(item, (*pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from refs(item, (*pointer, index))


def resolve_pointer(document: Any, ref: str) -> Any:
    """The value an internal `#/...` reference points at; KeyError when it does not exist."""
    if not ref.startswith("#"):
        raise KeyError(ref)
    value = document
    for token in ref[1:].lstrip("/").split("/") if ref != "#" else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            raise KeyError(ref)
    return value


def to_ref(pointer: Pointer) -> str:
    """A JSON pointer fragment (`#/a/b~1c`) for `pointer`."""
    return "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in pointer)
