"""What `aitre serve` logs: uvicorn's logging, minus credentials in query strings, plus the server's own lines.

Clients that cannot set headers put the key in the URL (`?api_key=sk-...`, `?key=...`); uvicorn's access log
wrote the whole target, key included. `RedactCredentials` sits on the access logger and masks the value of
every query parameter whose name looks like a credential, and any value that looks like an OpenAI-style
key whatever its name. The `aitre.server` logger (head-size refusals, client disconnects, bugs) goes to
uvicorn's own handler, so its lines look like uvicorn's instead of reaching stderr bare.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG

MASK = "****"
# Matched against the decoded, lower-cased parameter name: api_key, apikey, key, x-api-key, access_token,
# client_secret, password, auth, signature, session...
_CREDENTIAL_NAME = re.compile(r"key|token|secret|passw|pwd|auth|credential|signature|sig$|session")
_KEY_LIKE_VALUE = re.compile(r"(?i)^(sk|pk|rk)[-_]")
# uvicorn's access record: (client address, method, path with query, HTTP version, status).
_TARGET_ARG = 2


def _redact_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    looks_secret = _CREDENTIAL_NAME.search(unquote_plus(name).lower()) or _KEY_LIKE_VALUE.match(unquote_plus(value))
    if equals and value and looks_secret:
        return f"{name}={MASK}"
    if not equals and _KEY_LIKE_VALUE.match(unquote_plus(name)):
        return MASK  # a bare `?sk-...`
    return pair


def redact_target(target: str) -> str:
    """A request target (`/path?query`) with credential values in its query string masked."""
    path, question, query = target.partition("?")
    if not question:
        return target
    return f"{path}?{'&'.join(_redact_pair(pair) for pair in query.split('&'))}"


class RedactCredentials(logging.Filter):
    """Masks credentials in the request target of uvicorn's access records (it keeps every record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _TARGET_ARG:
            target = args[_TARGET_ARG]
            if isinstance(target, str):
                record.args = (*args[:_TARGET_ARG], redact_target(target), *args[_TARGET_ARG + 1 :])
        return True


def log_config(level: str = "info") -> dict[str, Any]:
    """uvicorn's logging configuration with the redacting filter and the `aitre.server` logger added."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_credentials"] = {"()": f"{__name__}.RedactCredentials"}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_credentials"]
    config["loggers"]["aitre.server"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config
