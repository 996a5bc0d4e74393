"""Seeded JSON values that satisfy a client's JSON Schema (tool parameters, `json_schema` formats).

Covers what tool and structured-output schemas use in practice: types, enum/const, properties and
required, arrays with item counts, string lengths and common formats, numeric bounds and multipleOf,
anyOf/oneOf/allOf and local `$ref`s (`#/$defs/...`). `pattern` is not inverted: a string under a
pattern gets a plain word, and `conforming_instance` then tries the next candidate. Every result is
checked with jsonschema-rs before it is used.
"""

from __future__ import annotations

import random
from typing import Any

import jsonschema_rs

from aitre.server.textgen import WORDS

MAX_DEPTH = 6
ATTEMPTS = 4
_FORMATS = {
    "date": "2024-05-17",
    "date-time": "2024-05-17T09:30:00Z",
    "time": "09:30:00",
    "email": "someone@example.com",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uuid": "3f2b8c1e-9d4a-4e7b-8f6a-2c1d0e9b7a55",
    "ipv4": "192.0.2.7",
    "hostname": "example.com",
}


def _resolve(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        return {}
    node = root
    for raw in ref.removeprefix("#").strip("/").split("/"):
        if not raw:
            continue
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return {}
    return node


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    high = schema.get("maximum", schema.get("exclusiveMaximum", max(low, 0) + 100))
    low = low if isinstance(low, int | float) and not isinstance(low, bool) else 0
    high = high if isinstance(high, int | float) and not isinstance(high, bool) else low + 100
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low = low + (1 if integer else 0.5)
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        high = high - (1 if integer else 0.5)
    high = max(high, low)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        first = -(-low // step) * step
        value = first if first <= high else low
        return int(value) if integer else float(value)
    if integer:
        return rng.randint(int(-(-low // 1)), int(high // 1)) if int(-(-low // 1)) <= int(high // 1) else int(low)
    return round(rng.uniform(low, high), 3)


def _string(schema: dict[str, Any], rng: random.Random) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    low = schema.get("minLength", 0)
    high = schema.get("maxLength", max(low, 24))
    low = low if isinstance(low, int) else 0
    high = high if isinstance(high, int) else 24
    text = " ".join(rng.choice(WORDS) for _ in range(3))
    while len(text) < low:
        text += " " + rng.choice(WORDS)
    return text[: max(high, 0)] if len(text) > high else text


def _object(schema: dict[str, Any], rng: random.Random, root: Any, depth: int) -> dict[str, Any]:
    result: dict[str, Any] = {}
    declared = schema.get("properties")
    properties = declared if isinstance(declared, dict) else {}
    required = [name for name in schema.get("required", []) if isinstance(name, str)]
    # All declared properties, so `strict` schemas (every property required) are satisfied too.
    for name, sub in properties.items():
        if depth < MAX_DEPTH or name in required:
            result[name] = instance(sub, rng, root, depth + 1)
    for name in required:
        if name not in result:
            extra = schema.get("additionalProperties")
            result[name] = instance(extra if isinstance(extra, dict) else {}, rng, root, depth + 1)
    minimum = schema.get("minProperties", 0)
    extra_schema = schema.get("additionalProperties", {})
    while isinstance(minimum, int) and len(result) < minimum and extra_schema is not False:
        result[f"{rng.choice(WORDS)}_{len(result)}"] = instance(
            extra_schema if isinstance(extra_schema, dict) else {}, rng, root, depth + 1
        )
    return result


def _array(schema: dict[str, Any], rng: random.Random, root: Any, depth: int) -> list[Any]:
    declared = schema.get("prefixItems")
    prefix = declared if isinstance(declared, list) else []
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    low = schema.get("minItems", 1 if depth < MAX_DEPTH else 0)
    high = schema.get("maxItems", max(low if isinstance(low, int) else 0, 2))
    low = low if isinstance(low, int) else 0
    high = high if isinstance(high, int) else low
    count = max(low, min(high, len(prefix) or min(2, high)))
    values: list[Any] = [instance(sub, rng, root, depth + 1) for sub in prefix[:count]]
    while len(values) < count:
        value = instance(items, rng, root, depth + 1)
        if schema.get("uniqueItems") and value in values:
            value = f"{value}-{len(values)}" if isinstance(value, str) else value
        values.append(value)
    return values


def _merged(schema: dict[str, Any], root: Any) -> dict[str, Any]:
    """`allOf` folded into one object schema (properties and required lists are merged)."""
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    for part in schema.get("allOf", []):
        part = _resolve(root, part["$ref"]) if isinstance(part, dict) and "$ref" in part else part
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required" and isinstance(value, list):
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def instance(schema: Any, rng: random.Random, root: Any, depth: int = 0) -> Any:
    """One value meant to satisfy `schema` (`root` resolves `$ref`s)."""
    if schema is True or not isinstance(schema, dict):
        return rng.choice(WORDS)
    if "$ref" in schema and isinstance(schema["$ref"], str) and depth <= MAX_DEPTH + 2:
        return instance(_resolve(root, schema["$ref"]), rng, root, depth + 1)
    if "allOf" in schema:
        return instance(_merged(schema, root), rng, root, depth)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and branches:
            return instance(branches[0], rng, root, depth + 1)
    declared = schema.get("type")
    kinds = declared if isinstance(declared, list) else [declared]
    kind = next((k for k in kinds if k != "null"), kinds[0] if kinds else None)
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if depth > MAX_DEPTH and "null" in kinds:
        return None
    if kind == "object":
        return _object(schema, rng, root, depth)
    if kind == "array":
        return _array(schema, rng, root, depth)
    if kind == "integer":
        return _number(schema, rng, integer=True)
    if kind == "number":
        return _number(schema, rng, integer=False)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _string(schema, rng)


def conforming_instance(schema: Any, rng: random.Random) -> Any:
    """A value that validates against `schema` when one of a few seeded tries does; the last try otherwise.

    An invalid client schema (which jsonschema-rs refuses to compile) still gets a best-effort value.
    """
    value = instance(schema, rng, schema)
    try:
        validator = jsonschema_rs.validator_for(schema)
    except Exception:  # a malformed client schema is the client's problem, never a 500
        return value
    for _ in range(ATTEMPTS):
        if validator.is_valid(value):
            return value
        value = instance(schema, rng, schema)
    return value
