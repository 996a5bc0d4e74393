"""Typed failures: what a check raises when a server breaks the contract.

Every failure is an `AssertionError` with keyword-only context, so a check can simply `raise` one and
the runner records it. Reporters read the fields; they never import the checks.

    Failure
    ├── UnexpectedStatus      the status code is not the one the contract gives
    ├── WrongContentType      the Content-Type does not match the body the contract gives
    ├── InvalidBody           the body cannot be read as the format (JSON, SSE, audio, ...)
    ├── ContractViolation     a semantic rule of the format is broken (counts, order, arithmetic)
    ├── KeyLeaked             the API key appears in a response
    ├── NotSupportedButRequired  an operation answers 404/405/501 while --require names its area
    ├── SchemaFailure         a schemathesis check failed (status, content type, schema, ...)
    └── TransportFailure      the exchange itself went wrong (timeout, reset, oversize, endless stream)
"""

from __future__ import annotations

from typing import Any


class Failure(AssertionError):
    """A contract violation found by a check; `title` is fixed per subclass, `message` says what was seen."""

    title = "Contract violation"

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        expected: Any = None,
        actual: Any = None,
        exchange: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.expected = expected
        self.actual = actual
        # An `aitre.conform.client.Exchange`; typed loosely to keep this module free of imports.
        self.exchange = exchange

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


class UnexpectedStatus(Failure):
    """The server answered with a status code the contract does not give for this request."""

    title = "Unexpected status code"


class WrongContentType(Failure):
    """The Content-Type header does not match what the contract gives."""

    title = "Wrong Content-Type"


class InvalidBody(Failure):
    """The body cannot be parsed as the format the contract gives (JSON, SSE, audio bytes, ...)."""

    title = "Unreadable body"


class ContractViolation(Failure):
    """A semantic rule of the OpenAI format or the MidJourney task API is broken."""

    title = "Contract violation"


class KeyLeaked(Failure):
    """A response repeats the API key the client sent."""

    title = "API key echoed"


class NotSupportedButRequired(Failure):
    """An operation of an area named by --require answers 404/405/501 to every authenticated request."""

    title = "Required operation not supported"


class SchemaFailure(Failure):
    """A schemathesis check failed on a generated request."""

    title = "Schema check failed"

    def __init__(self, message: str, *, title: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.title = title


class TransportFailure(Failure):
    """The exchange failed below HTTP semantics: timeout, reset, oversize body or endless stream."""

    title = "Transport failure"


class Skipped(Exception):
    """Raised by a check that cannot run here (no model for its area, budget spent, model-dependent refusal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BudgetExhausted(Skipped):
    """The --budget of requests is spent; nothing more is sent."""

    def __init__(self) -> None:
        super().__init__("request budget exhausted")


def expect(condition: object, message: str, *, expected: Any = None, actual: Any = None) -> None:
    """Raise `ContractViolation(message)` unless `condition` holds; the usual one-line assertion of a check."""
    if not condition:
        raise ContractViolation(message, expected=expected, actual=actual)
