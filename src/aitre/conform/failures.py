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
    ├── TransportFailure      the exchange itself went wrong (timeout, reset, oversize, endless stream)
    └── Deviation             the server differs from the contract in a way no correct client notices

Each failure carries a `Severity` (see ARCHITECTURE.md, "Severity"): a violation breaks or misleads a
correct client of the format; a warning is a difference that breaks none. Only violations fail a run.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters to a client of the format."""

    VIOLATION = "violation"
    WARNING = "warning"


class Failure(AssertionError):
    """A contract violation found by a check; `title` is fixed per subclass, `message` says what was seen."""

    title = "Contract violation"
    default_severity = Severity.VIOLATION

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        expected: Any = None,
        actual: Any = None,
        exchange: Any = None,
        severity: Severity | None = None,
        cause: str | None = None,
    ) -> None:
        super().__init__(message)
        # The root cause in words shared by every check it fails (see `RunReport.causes`); None: the check's own.
        self.cause = cause
        self.severity = severity or self.default_severity
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


class Deviation(Failure):
    """A difference a correct client survives: leniency beyond the core rules, model policy not enforced,
    a generic media type where a specific one is documented, an optional field OpenAI always sends left out."""

    title = "Deviation"
    default_severity = Severity.WARNING


class Skipped(Exception):
    """Raised by a check that cannot run here (no model for its area, budget spent, model-dependent refusal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotSupported(Skipped):
    """Raised by a check whose feature the server does not offer, where offering it is optional."""


class Blocked(Skipped):
    """Raised by a check whose shared answer already failed another check: one defect, reported once."""

    def __init__(self, owner: str, message: str) -> None:
        super().__init__(f"blocked by {owner}: {message[:160]}")
        self.owner = owner


class BudgetExhausted(Skipped):
    """The --budget of requests is spent; nothing more is sent."""

    def __init__(self) -> None:
        super().__init__("request budget exhausted")


def expect(condition: object, message: str, *, expected: Any = None, actual: Any = None,
           cause: str | None = None) -> None:
    """Raise `ContractViolation(message)` unless `condition` holds; the usual one-line assertion of a check.

    `cause` names the defect in words shared by every check that can meet it, so the report groups them.
    """
    if not condition:
        raise ContractViolation(message, expected=expected, actual=actual, cause=cause)


def warn_unless(condition: object, message: str, *, expected: Any = None, actual: Any = None) -> None:
    """Raise `Deviation(message)` (a warning) unless `condition` holds."""
    if not condition:
        raise Deviation(message, expected=expected, actual=actual)
