"""The OpenAI error object and the one exception every handler raises to produce it.

Handlers raise `ApiError`; `app.py` turns it, Starlette's own `HTTPException` (unknown route, wrong
method) and any unexpected exception into `{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from aitre.server.encoding import json_response

INVALID_REQUEST = "invalid_request_error"


class ApiError(Exception):
    """A request the server refuses, with the HTTP status and the fields of the OpenAI error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    """400 for a body or parameter the contract does not allow."""
    return ApiError(400, message, param=param, code=code)


def model_not_found(model: str, hint: str = "") -> ApiError:
    """404 `model_not_found`, as OpenAI answers for a model the key cannot use."""
    message = f"The model '{model}' does not exist or you do not have access to it.{hint}"
    return ApiError(404, message, param="model", code="model_not_found")


def not_found(message: str, param: str | None = None, code: str | None = "not_found") -> ApiError:
    """404 for an unknown route, task or file."""
    return ApiError(404, message, param=param, code=code)


def unauthorized(message: str) -> ApiError:
    """401 for a missing or unknown key; the message never repeats the key itself."""
    return ApiError(401, message, type="authentication_error", code="invalid_api_key")
