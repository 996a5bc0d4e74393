"""Reading request bodies: the size limit (413), JSON objects and multipart/form-data.

The multipart parser is a small stdlib one: the project has no python-multipart dependency, and the
forms here (one audio or image file plus a few text fields) need nothing more.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request

from aitre.server import encoding, surrogates
from aitre.server.errors import ApiError, bad_request
from aitre.server.validation import invalid_json, param_name

# Far beyond any real request (tool schemas included), far below Python's recursion limit.
MAX_NESTING = 64
_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_DISPOSITION_PARAM = re.compile(r';\s*([a-zA-Z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The request body exceeds the size limit of {limit} bytes.",
        code="request_too_large",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it (or its declared Content-Length) passes `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    # Straight from `receive`: Starlette's `request.stream()` generator costs more than the rest of this.
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def lone_surrogate(path: list[str | int]) -> ApiError:
    """400 `invalid_unicode` naming the field whose string (or key) holds a lone surrogate."""
    param = param_name([surrogates.printable(part) for part in path])
    where = f" at '{param}'" if param else ""
    return bad_request(
        f"Invalid request body{where}: the string holds a lone UTF-16 surrogate, which is not Unicode text.",
        param=param,
        code="invalid_unicode",
    )


def media_type(request: Request) -> str:
    """The request's media type without parameters, lower case ("" when absent)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def parse_json_object(
    raw: bytes, content_type: str, precheck: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """The body as a JSON object, or 400 for another media type, bad JSON or a non-object.

    `precheck` sees the object as soon as it is parsed, before any walk over its items: the place for
    checks that must stay cheap however big the body is (the spec's size limits).
    """
    if content_type and content_type != "application/json" and not content_type.endswith("+json"):
        raise bad_request(
            f"Unsupported Content-Type '{content_type}'; this operation takes application/json.",
            code="unsupported_content_type",
        )
    if not raw.strip():
        raise invalid_json("the body is empty")
    value: dict[str, Any]
    try:
        value, by_stdlib = encoding.parse(raw)
        if not isinstance(value, dict):
            raise invalid_json(f"got a JSON {type(value).__name__}")
        if precheck is not None:
            precheck(value)
        where = surrogates.find(value) if by_stdlib else None
        if where is not None:
            raise lone_surrogate(where)
        walk = normalise(value)
        if walk.inexact:
            # A float this large may be an integer the fast parser rounded; the exact parser settles it.
            value = json.loads(raw)  # the same document, so an object again
            walk = normalise(value)
    except (ValueError, RecursionError) as exc:
        raise invalid_json(type(exc).__name__) from None
    if walk.depth > MAX_NESTING:
        raise bad_request(f"The JSON body is nested more than {MAX_NESTING} levels deep.", code="invalid_json")
    return value


# Beyond this magnitude a float no longer holds every integer exactly.
EXACT_FLOAT_LIMIT = 2.0**53


class Walk:
    """What `normalise` found: the nesting depth (capped just past MAX_NESTING) and any inexact floats."""

    __slots__ = ("depth", "inexact")

    def __init__(self) -> None:
        self.depth = 0
        self.inexact = False


def normalise(value: Any) -> Walk:
    """Turn integral floats into ints in place, and measure the nesting depth.

    JSON Schema's `integer` accepts 10.0, so a valid body may carry floats where handlers count or index
    with ints. The walk stops descending just past MAX_NESTING, so a deeply nested body cannot exhaust
    the stack here.
    """
    walk = Walk()
    _visit(value, 1, walk)
    return walk


def _visit(node: Any, level: int, walk: Walk) -> None:
    if level > walk.depth:
        walk.depth = level
    if level > MAX_NESTING:
        return
    # Only values change, never keys, so iterating while assigning is safe.
    pairs = node.items() if type(node) is dict else enumerate(node)
    for key, child in pairs:
        kind = type(child)
        if kind is float:
            if child.is_integer():
                node[key] = int(child)
                if abs(child) >= EXACT_FLOAT_LIMIT:
                    walk.inexact = True
        elif kind is dict or kind is list:
            _visit(child, level + 1, walk)


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart body."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Form:
    """A parsed multipart body: text values and files by field name, repeated names kept in order."""

    fields: dict[str, list[str | bytes]]
    files: dict[str, list[UploadedFile]]
    # Names of parts that were not plain text: a filename, or a Content-Type other than text/plain.
    typed: frozenset[str] = frozenset()

    def text(self, name: str) -> str | None:
        values = self.fields.get(name)
        if not values:
            return None
        first = values[0]
        return first.decode("utf-8", "replace") if isinstance(first, bytes) else first

    def uploads(self, name: str) -> list[UploadedFile]:
        """The files sent under `name`; a plain text part counts as a file without a name."""
        if name in self.files:
            return self.files[name]
        return [
            UploadedFile("", "", value if isinstance(value, bytes) else value.encode())
            for value in self.fields.get(name, [])
        ]


def _disposition(header: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in _DISPOSITION_PARAM.finditer(";" + header.split(";", 1)[-1] if ";" in header else ""):
        params[match.group(1).lower()] = match.group(2) if match.group(2) is not None else match.group(3).strip()
    return params


def parse_multipart(raw: bytes, content_type_header: str) -> Form:
    """Split a multipart/form-data body into fields and files, or 400 when it is not one."""
    if not content_type_header.lower().startswith("multipart/form-data"):
        raise bad_request("This operation takes multipart/form-data.", code="unsupported_content_type")
    found = _BOUNDARY.search(content_type_header)
    if not found:
        raise bad_request("The multipart Content-Type has no boundary.", code="invalid_multipart")
    delimiter = b"--" + (found.group(1) or found.group(2)).encode("latin-1")
    if delimiter not in raw:
        raise bad_request("The multipart body does not contain its boundary.", code="invalid_multipart")
    fields: dict[str, list[str | bytes]] = {}
    files: dict[str, list[UploadedFile]] = {}
    typed: set[str] = set()
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, body = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        body = body.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            header, colon, value = line.partition(":")
            if colon:
                headers[header.strip().lower()] = value.strip()
        params = _disposition(headers.get("content-disposition", ""))
        name = params.get("name")
        if name is None:
            continue
        part_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if part_type not in ("", "text/plain") or "filename" in params or "filename*" in params:
            typed.add(name.removesuffix("[]"))
        if "filename" in params or "filename*" in params:
            upload = UploadedFile(params.get("filename", "upload"), headers.get("content-type", ""), body)
            files.setdefault(name.removesuffix("[]"), []).append(upload)
            fields.setdefault(name.removesuffix("[]"), []).append(body)
        else:
            try:
                fields.setdefault(name.removesuffix("[]"), []).append(body.decode("utf-8"))
            except UnicodeDecodeError:
                fields.setdefault(name.removesuffix("[]"), []).append(body)
    return Form(fields, files, frozenset(typed))
