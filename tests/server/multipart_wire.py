"""Whether a multipart request, as it went over the wire, satisfies the spec's schema for its operation.

schemathesis judges a multipart negative case by the value it generated; on the wire that value may be
indistinguishable from a valid one (a one-item array and a single value are both one part; an empty
object sends nothing). This module reads the wire the way a server can: parts grouped by name (a `[]`
suffix dropped), a property the schema types as an array gets every part of its name as items, text
parts may be read as text or as the JSON scalar they spell, and file parts stand for any file. The
request is valid on the wire when some such reading validates.
"""

from __future__ import annotations

import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from itertools import product
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FILE = "(a file part)"
CURL_BODY = re.compile(r"-d \$'((?:[^'\\]|\\.)*)'")
CURL_TYPE = re.compile(r"-H 'Content-Type: (multipart/form-data; boundary=[^']+)'")


def curl_request(curl: str) -> tuple[str, bytes] | None:
    """The Content-Type and the body of a `curl ... -d $'...'` line printed by `st run`."""
    body, kind = CURL_BODY.search(curl), CURL_TYPE.search(curl)
    if body is None or kind is None:
        return None
    return kind.group(1), _ansi_c_bytes(body.group(1))


def _ansi_c_bytes(text: str) -> bytes:
    """The bytes of a bash `$'...'` string (the escapes `st run` uses: \\r \\n \\t \\xHH \\\\ \\')."""
    out = bytearray()
    position = 0
    while position < len(text):
        char = text[position]
        if char != "\\":
            out += char.encode()
            position += 1
            continue
        code = text[position + 1]
        if code == "x":
            out.append(int(text[position + 2:position + 4], 16))
            position += 4
            continue
        out += {"r": b"\r", "n": b"\n", "t": b"\t"}.get(code, code.encode())
        position += 2
    return bytes(out)


def parts(content_type: str, body: bytes) -> dict[str, list[str]]:
    """Part values by name; a file part (one with a filename or its own Content-Type) is `FILE`."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    found: dict[str, list[str]] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "").removesuffix("[]")
        payload = part.get_payload(decode=True)
        is_file = part.get_filename() is not None or "content-type" in part
        text = FILE if is_file else (payload if isinstance(payload, bytes) else b"").decode(errors="replace")
        found.setdefault(name, []).append(text)
    return found


def _readings(text: str) -> list[Any]:
    if text == FILE:
        return [FILE]
    try:
        return [text, json.loads(text)]
    except ValueError:
        return [text]


def _is_array(schema: dict[str, Any], resolve: Any) -> bool:
    if "$ref" in schema:
        return _is_array(resolve(schema["$ref"]), resolve)
    if schema.get("type") == "array":
        return True
    return any(_is_array(branch, resolve) for branch in schema.get("anyOf", []) + schema.get("oneOf", []))


def valid_on_the_wire(spec: dict[str, Any], schema_name: str, content_type: str, body: bytes) -> bool:
    """Whether some server reading of the sent form validates against `components.schemas[schema_name]`."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012))
    schema = {"$ref": f"urn:spec#/components/schemas/{schema_name}"}
    validator = Draft202012Validator(schema, registry=registry)
    resolver = registry.resolver()

    def resolve(ref: str) -> dict[str, Any]:
        contents: dict[str, Any] = resolver.lookup(ref if ref.startswith("urn:") else "urn:spec" + ref).contents
        return contents

    properties = resolve(f"#/components/schemas/{schema_name}").get("properties", {})
    fields = parts(content_type, body)
    choices: list[list[tuple[str, Any]]] = []
    for name, texts in fields.items():
        if _is_array(properties.get(name, {}), resolve):
            items = [_readings(text) for text in texts]
            choices.append([(name, list(combo)) for combo in product(*items)][:64])
        else:
            choices.append([(name, reading) for text in texts[-1:] for reading in _readings(text)])
    for combination in list(product(*choices))[:4096]:
        if validator.is_valid(dict(combination)):
            return True
    return False

