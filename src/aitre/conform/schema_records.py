"""What the schemathesis phase keeps of one failure, before redaction, and how it is read off the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aitre.conform.checks._common import error_object
from aitre.conform.failures import Severity

# `error.param` of an error object that has no `param` at all (distinct from `"param": null`).
PARAM_ABSENT = "?"


@dataclass
class RawFailure:
    """A schemathesis failure before redaction (the runner redacts it into a FailureRecord)."""

    check: str
    operation: str
    title: str
    message: str
    method: str | None = None
    url: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes | None = None
    status: int | None = None
    response_body: bytes | None = None
    response_type: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    curl: str | None = None
    severity: Severity = Severity.VIOLATION
    why: str = ""
    # Whether the request carried the run's key (None when the run has none, or it is not known).
    authenticated: bool | None = None


def network_failure(operation: str, message: str, cause: Exception) -> RawFailure:
    """A request that got no answer: the request it was (from the `requests` exception) and what went wrong.

    The "response" is the transport error in parentheses, as our own client shows a missing answer, so
    the operator sees which request failed and can repeat it.
    """
    raw = RawFailure("network", operation, "Request failed", message, response_body=f"({message})".encode())
    request: Any = getattr(cause, "request", None)
    if request is not None and getattr(request, "method", None):
        raw.method, raw.url = str(request.method), str(request.url)
        raw.request_headers = {str(name): str(value) for name, value in (request.headers or {}).items()}
        body = request.body
        raw.request_body = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else None
    return raw


def error_param(content: bytes) -> str | None:
    """The `error.param` of an OpenAI error body; PARAM_ABSENT when the object has no `param` at all."""
    error = error_object(content)
    if error is None:
        return None
    param = error.get("param", PARAM_ABSENT)
    return param if isinstance(param, str) else None
