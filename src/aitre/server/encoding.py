"""JSON on the hot path: parsing request bodies, encoding responses and hashing requests.

orjson does the work; the standard library takes over for the few values orjson treats differently:
- NaN and Infinity literals and lone surrogates in strings, which `json.loads` accepts;
- integers beyond 64 bits, which orjson refuses to write, and anything else it refuses to encode
  (non-string keys, unknown types).
orjson reads integers beyond 64 bits as floats, losing digits; `loads` leaves catching that to its caller
(`bodies.parse_json_object` parses again when it meets such a float), so the common body pays nothing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response

_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
encode_string = json.encoder.encode_basestring


def loads(raw: bytes) -> Any:
    """Parse JSON as `json.loads` does (ValueError or RecursionError on bad input), except that an
    integer beyond 64 bits may come back as a float (see the module docstring)."""
    return parse(raw)[0]


def parse(raw: bytes) -> tuple[Any, bool]:
    """`loads`, and whether the standard library had to take over: only then can a string hold a lone
    surrogate, so a caller that refuses them need not look at the common body."""
    try:
        return orjson.loads(raw), False
    except orjson.JSONDecodeError:
        return json.loads(raw), True  # maybe NaN, Infinity or a lone surrogate, which the stdlib accepts


def dumps(value: Any) -> str:
    """Compact JSON on one line (newlines inside strings are escaped, so SSE framing stays intact)."""
    return dump_bytes(value).decode()


def dump_bytes(value: Any) -> bytes:
    """`dumps` as UTF-8 bytes, without the round trip through str."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _COMPACT.encode(value).encode()


def canonical(value: Any) -> bytes:
    """Key-sorted JSON, for hashing what a request asks for."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return _CANONICAL.encode(value).encode()


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dump_bytes(content), status_code=status_code, headers=headers, media_type="application/json")
