"""Bearer-key check. Keys are compared in constant time and never echoed back in full."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from aitre.server.errors import unauthorized
from aitre.server.settings import redact


def _raw_header(request: Request, name: bytes) -> str | None:
    # Straight from the ASGI scope (names arrive lower-cased): this runs on every request, and Starlette's
    # Headers object costs more than the lookup.
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _presented_key(request: Request, mj_route: bool) -> tuple[str | None, bool]:
    """The key the request carries, and whether it came in `mj-api-secret` (whose `sk-` prefix is optional)."""
    header = _raw_header(request, b"authorization")
    if header:
        scheme, _, value = header.strip().partition(" ")
        return (value.strip() if scheme.lower() == "bearer" and value.strip() else ""), False
    if mj_route:
        # midjourney-proxy clients send the key in `mj-api-secret`, with or without "Bearer " (spec M2).
        secret = _raw_header(request, b"mj-api-secret")
        if secret is not None:
            return secret.strip().removeprefix("Bearer ").strip(), True
    return None, False


def authenticate(request: Request, api_keys: tuple[str, ...], mj_route: bool) -> None:
    """Return when the request carries one of `api_keys`; raise 401 otherwise."""
    key, from_mj_header = _presented_key(request, mj_route)
    if key is None:
        raise unauthorized("You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'.")
    matched = False
    for candidate in api_keys:
        # No early exit: the time taken does not reveal which key (if any) was close.
        matched |= hmac.compare_digest(key.encode(), candidate.encode())
        if from_mj_header:
            matched |= hmac.compare_digest(key.removeprefix("sk-").encode(), candidate.removeprefix("sk-").encode())
    if not matched:
        shown = redact(key) if key else "(empty)"
        raise unauthorized(f"Incorrect API key provided: {shown}.")
