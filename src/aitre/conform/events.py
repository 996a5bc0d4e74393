"""What the runner announces while it works; the console's live display and the tests listen to these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aitre.conform.results import CheckResult, RunReport


@dataclass(frozen=True)
class RunStarted:
    base_url: str
    checks: int
    schema_operations: int


@dataclass(frozen=True)
class CheckFinished:
    result: CheckResult
    requests: int


@dataclass(frozen=True)
class SchemaProgress:
    """schemathesis finished one scenario (an operation in one phase)."""

    label: str
    done: int
    requests: int


@dataclass(frozen=True)
class RunFinished:
    report: RunReport


Event = RunStarted | CheckFinished | SchemaProgress | RunFinished
Listener = Callable[[Event], None]
