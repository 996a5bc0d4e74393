"""Request validation driven by the bundled spec.

Each operation's request-body schema is compiled once with jsonschema-rs, straight from
generated/openapi.json (the whole document is the root, so every `$ref` resolves). There is no
hand-written copy of the rules: a bound changed in spec/ changes what the server accepts.
The first error becomes a 400 whose `param` names the offending field (`messages[0].role`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import jsonschema_rs

from aitre.server.contract import Operation, resolve
from aitre.server.errors import ApiError, bad_request
from aitre.spec.schema_errors import deepest_error

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def param_name(path: Sequence[str | int]) -> str | None:
    """`["messages", 0, "role"]` -> `messages[0].role`; the root -> None."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or None


def _rule_text(schema: Any, error: jsonschema_rs.ValidationError) -> str | None:
    """The `description` of the if/then rule (spec G8) whose `then` or `else` produced `error`.

    A rule's own words ("DALL·E 3 makes one picture...") tell a client more than the keyword that failed
    inside it ("False schema does not allow ...").
    """
    path = list(error.schema_path)
    cuts = [i for i, part in enumerate(path) if part in ("then", "else")]
    if not cuts:
        return None
    node: Any = schema
    for part in path[: cuts[-1]]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    description = node.get("description") if isinstance(node, dict) else None
    return description if isinstance(description, str) else None


def _to_api_error(error: jsonschema_rs.ValidationError, schema: Any) -> ApiError:
    chosen = deepest_error(error)
    path = list(chosen.instance_path)
    prop = getattr(chosen.kind, "property", None)
    if isinstance(chosen.kind, jsonschema_rs.ValidationErrorKind.Required) and isinstance(prop, str):
        path.append(prop)
    param = param_name(path)
    where = f" at '{param}'" if param else ""
    rule = _rule_text(schema, chosen)
    detail = f"{rule} (got {chosen.instance!r})" if rule else chosen.message
    return bad_request(f"Invalid request body{where}: {_shorten(detail)}", param=param)


# The validator's messages quote the offending value whole; a refusal should not send a big request back.
MAX_DETAIL = 600


def _shorten(text: str) -> str:
    """`text` cut in the middle to about MAX_DETAIL characters, keeping its end (where the reason is)."""
    if len(text) <= MAX_DETAIL:
        return text
    head, tail = MAX_DETAIL * 2 // 3, MAX_DETAIL // 3
    return f"{text[:head]}... ({len(text) - head - tail} characters left out) ...{text[-tail:]}"


# OpenAPI's integer formats are ranges; JSON Schema validators ignore them unless told.
INTEGER_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _with_integer_ranges(node: Any) -> Any:
    """A copy of a schema tree in which `format: int32/int64` also bounds the value."""
    if isinstance(node, list):
        return [_with_integer_ranges(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _with_integer_ranges(value) for key, value in node.items()}
    number_format = copy.get("format")
    bounds = INTEGER_FORMATS.get(number_format) if isinstance(number_format, str) else None
    if bounds is not None:
        copy.setdefault("minimum", bounds[0])
        copy.setdefault("maximum", bounds[1])
    return copy


class RequestValidator:
    """Compiled request-body validators for every operation of one bundled document."""

    def __init__(self, document: dict[str, Any], ops: Iterable[Operation]) -> None:
        self._document = document
        self._validators: dict[tuple[str, str], jsonschema_rs.Validator] = {}
        self._schemas: dict[tuple[str, str], dict[str, Any]] = {}  # what each validator compiled
        # The document minus its paths is a schema resource whose components every $ref reaches.
        root = _with_integer_ranges({key: value for key, value in document.items() if key != "paths"})
        for op in ops:
            for media_type, pointer in op.request_media.items():
                # The pointer into paths is replaced by the resolved schema itself.
                schema = dict(root, **_with_integer_ranges(resolve(document, pointer)))
                schema["$schema"] = DRAFT
                # Formats are assertions here (a `notifyHook` must be a URI), as the spec's readers expect.
                validator = jsonschema_rs.validator_for(schema, validate_formats=True)
                self._validators[(op.operation_id, media_type)] = validator
                self._schemas[(op.operation_id, media_type)] = schema

    def schema_for(self, op: Operation, media_type: str) -> dict[str, Any]:
        """The (unresolved) request schema of one operation and media type."""
        result: dict[str, Any] = resolve(self._document, op.request_media[media_type])
        return result

    def validate(self, op: Operation, media_type: str, instance: Any) -> None:
        """Raise a 400 `ApiError` naming the first offending field, or return when the body is valid."""
        validator = self._validators.get((op.operation_id, media_type))
        if validator is None or validator.is_valid(instance):
            return
        for error in validator.iter_errors(instance):
            raise _to_api_error(error, self._schemas[(op.operation_id, media_type)])


# ---- multipart: text parts arrive as strings and are typed by the schema before validation ----


def _types(document: dict[str, Any], schema: Any, depth: int = 0) -> set[str]:
    """The JSON types a (sub)schema allows, following `$ref` and unions a few levels deep."""
    if not isinstance(schema, dict) or depth > 8:
        return set()
    if "$ref" in schema:
        return _types(document, resolve(document, schema["$ref"]), depth + 1)
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(str(item) for item in declared)
    if "const" in schema:
        found.add(_json_type(schema["const"]))
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword, []):
            found |= _types(document, branch, depth + 1)
    return found


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def _item_schema(document: dict[str, Any], schema: Any, depth: int = 0) -> Any:
    """The `items` schema of the array branch of a (sub)schema, if any."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "$ref" in schema:
        return _item_schema(document, resolve(document, schema["$ref"]), depth + 1)
    if "items" in schema:
        return schema["items"]
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword, []):
            found = _item_schema(document, branch, depth + 1)
            if found is not None:
                return found
    return None


def _coerce_text(text: str, allowed: set[str]) -> Any:
    """A form value typed the way the schema expects; left a string when nothing else fits."""
    if "null" in allowed and text == "null":
        return None
    if "boolean" in allowed and text in ("true", "false"):
        return text == "true"
    if "integer" in allowed:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in allowed or "integer" in allowed:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if number == number and abs(number) != float("inf"):  # NaN and infinities are not JSON numbers
                return int(number) if "integer" in allowed and number.is_integer() else number
    if ("object" in allowed or "array" in allowed) and text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def typed_form(document: dict[str, Any], schema: dict[str, Any], fields: dict[str, list[Any]]) -> dict[str, Any]:
    """Turn multipart fields (name -> values, files as bytes) into a JSON-like object for validation.

    Files stand in as the string `"<binary>"` (their schema is `type: string, format: binary`, which
    constrains nothing else); repeated names and `name[]` become arrays where the schema has one.
    """
    root = resolve(document, schema["$ref"]) if "$ref" in schema else schema
    properties: dict[str, Any] = root.get("properties", {}) if isinstance(root, dict) else {}
    result: dict[str, Any] = {}
    for name, values in fields.items():
        prop = properties.get(name, {})
        allowed = _types(document, prop)
        item = _item_schema(document, prop)
        item_allowed = _types(document, item) if item is not None else {"string"}
        if "array" in allowed and len(values) == 1 and isinstance(values[0], str) and values[0][:1] in "[{":
            # One text part holding JSON is the whole array, as generated clients send it (`["en", "de"]`);
            # a JSON object there is simply not an array.
            parsed = _coerce_text(values[0], {"array", "object"})
            if not isinstance(parsed, str):
                result[name] = parsed
                continue
        typed = [
            "<binary>"
            if isinstance(value, bytes)
            else _coerce_text(value, item_allowed if "array" in allowed else allowed)
            for value in values
        ]
        if "array" in allowed and (len(typed) > 1 or not allowed - {"array", "null"}):
            result[name] = typed
        else:
            result[name] = typed[0] if len(typed) == 1 else typed
    return result


def _is_binary(document: dict[str, Any], schema: Any, depth: int = 0) -> bool:
    """Whether a (sub)schema is a file: `format: binary`, directly, as array items or in a union branch."""
    if not isinstance(schema, dict) or depth > 8:
        return False
    if "$ref" in schema:
        return _is_binary(document, resolve(document, schema["$ref"]), depth + 1)
    if schema.get("format") == "binary":
        return True
    branches = [schema.get("items"), *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return any(_is_binary(document, branch, depth + 1) for branch in branches if branch is not None)


def misplaced_parts(document: dict[str, Any], schema: dict[str, Any], fields: dict[str, list[Any]],
                    typed: frozenset[str]) -> list[tuple[str, str]]:
    """(field, problem) for parts of the wrong kind: a file sent as plain text, or text sent as a typed part.

    A file part has a filename or its own media type; every other declared field is a plain text part,
    as the SDKs send them. A JSON part where text belongs, or bare text where a file belongs, is an
    invalid request rather than something to reinterpret.
    """
    root = resolve(document, schema["$ref"]) if "$ref" in schema else schema
    properties: dict[str, Any] = root.get("properties", {}) if isinstance(root, dict) else {}
    problems = []
    for name in sorted(fields):
        if name not in properties:
            continue
        binary = _is_binary(document, properties[name])
        if binary and name not in typed:
            problems.append((name, f"`{name}` must be a file part (with a filename or a media type), not text."))
        elif not binary and name in typed:
            problems.append((name, f"`{name}` must be a plain text part, not a file or typed part."))
    return problems


def invalid_json(detail: str) -> ApiError:
    return bad_request(
        f"We could not parse the JSON body of your request ({detail}). The body must be a JSON object.",
        code="invalid_json",
    )
