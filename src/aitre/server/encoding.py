"""JSON encoding on the hot path: shared encoders and the JSON response.

`json.dumps` with any non-default option builds a new JSONEncoder on every call, and Starlette's
JSONResponse does exactly that; at a few thousand requests per second the construction alone shows up.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
encode_string = json.encoder.encode_basestring  # type: ignore[attr-defined]


def dumps(value: Any) -> str:
    """Compact JSON on one line (newlines inside strings are escaped, so SSE framing stays intact)."""
    return _COMPACT.encode(value)


def canonical(value: Any) -> str:
    """Key-sorted JSON, for hashing what a request asks for."""
    return _CANONICAL.encode(value)


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_COMPACT.encode(content).encode(), status_code=status_code, headers=headers,
                    media_type="application/json")
