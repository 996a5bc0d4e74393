"""Why a run could not be carried out at all (exit code 2), as opposed to finding violations (exit code 1).

    ConformError
    ├── TargetUnreachable   the base URL does not accept connections (refused, DNS, TLS)
    ├── KeyRejected         the given key gets 401 on GET /v1/models, so nothing else can be tested
    └── EmbeddedServerError the reference server could not be started
"""

from __future__ import annotations


class ConformError(Exception):
    """A run that cannot proceed; the message is one line for the user."""


class TargetUnreachable(ConformError):
    """Raised when the first request cannot connect to the base URL."""


class KeyRejected(ConformError):
    """Raised when GET /v1/models answers 401 to the configured key."""


class EmbeddedServerError(ConformError):
    """Raised when the reference server cannot be started for a run without a base URL."""
