"""The outcome of a run as plain data: what reporters read. Everything here is already free of the key."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from aitre.conform.failures import Severity
from aitre.conform.fidelity.model import FidelityReport
from aitre.conform.waivers import Waiver


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"  # at least one violation
    WARN = "warning"  # findings, all of them warnings
    WAIVED = "waived"  # findings, every one of them excused by a waiver
    NOT_SUPPORTED = "not supported"
    SKIPPED = "skipped"


# When several results share one matrix cell, the cell shows the most telling outcome.
CELL_ORDER = (Outcome.FAIL, Outcome.WARN, Outcome.WAIVED, Outcome.PASS, Outcome.NOT_SUPPORTED, Outcome.SKIPPED)


@dataclass(frozen=True)
class FailureRecord:
    """One failure as reported: redacted, with enough to reproduce it."""

    check: str
    area: str
    feature: str
    operation: str | None
    title: str
    message: str
    request: dict[str, object] | None = None
    status: int | None = None
    response_excerpt: str | None = None
    curl: str | None = None
    severity: Severity = Severity.VIOLATION
    waived: str | None = None  # the reason of the waiver that excuses this finding
    # The root cause in words; findings of several checks with one cause are one group (`RunReport.causes`).
    cause: str = ""
    # Whether the request carried the run's key (None when not known): a schemathesis finding on a
    # request without it restates a failed authentication check.
    authenticated: bool | None = None
    # Files a curl command reads (path relative to the report directory, bytes), written beside the reports.
    attachments: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)


@dataclass
class CheckResult:
    """The outcome of one registered check (or one schemathesis check over an area's operations)."""

    name: str
    area: str
    feature: str
    rule: str
    outcome: Outcome
    operations: tuple[str, ...] = ()
    failures: list[FailureRecord] = field(default_factory=list)
    reason: str = ""
    elapsed: float = 0.0
    source: str = "aitre"  # "aitre" for our checks, "schemathesis" for the schema checks
    latitude: str = ""  # what the rule allows a server (docstring paragraph 2 on of a check)

    def settle(self) -> None:
        """Set the outcome from the failures: FAIL with a violation among them, WARN with warnings only."""
        if not self.failures:
            return
        standing = [failure for failure in self.failures if failure.waived is None]
        if not standing:
            self.outcome = Outcome.WAIVED
            return
        violated = any(failure.severity is Severity.VIOLATION for failure in standing)
        self.outcome = Outcome.FAIL if violated else Outcome.WARN


@dataclass(frozen=True)
class Cause:
    """One root cause and the flagged checks it explains: a defect reported once, with its reach."""

    text: str
    severity: Severity
    checks: tuple[str, ...]
    findings: int
    example: FailureRecord


@dataclass
class RunReport:
    """Everything a run found, in report order."""

    base_url: str
    embedded: bool
    areas: list[str]
    required: list[str]
    models: dict[str, str | None]
    model_sources: dict[str, str]
    seed: int
    max_examples: int
    budget: int | None
    requests_sent: int = 0
    schemathesis_requests: int = 0
    schemathesis_cases: int = 0
    cases_per_operation: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    results: list[CheckResult] = field(default_factory=list)
    unsupported_operations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Why some checks could not run (the server vanished, schemathesis stopped); such a run is never conformant.
    incomplete: list[str] = field(default_factory=list)
    # Only with --upstream: what the relay changes between the upstream and the client.
    fidelity: FidelityReport | None = None

    @property
    def violations(self) -> list[CheckResult]:
        return [result for result in self.results if result.outcome is Outcome.FAIL]

    @property
    def warnings(self) -> list[CheckResult]:
        return [result for result in self.results if result.outcome is Outcome.WARN]

    def failed(self, *, strict: bool = False) -> bool:
        """Whether the run fails: on violations, and with `strict` on warnings too."""
        fidelity_violations = self.fidelity.violations if self.fidelity else 0
        fidelity_warnings = self.fidelity.warnings if self.fidelity else 0
        return bool(self.violations or fidelity_violations or (strict and (self.warnings or fidelity_warnings)))

    def causes(self) -> list[Cause]:
        """Standing findings grouped by root cause: violations first, then by how many checks each explains."""
        groups: dict[str, list[tuple[str, FailureRecord]]] = {}
        for result in self.results:
            if result.outcome not in (Outcome.FAIL, Outcome.WARN):
                continue
            for failure in result.failures:
                if failure.waived is None:
                    groups.setdefault(failure.cause or result.name, []).append((result.name, failure))
        causes = []
        for text, members in groups.items():
            checks = tuple(dict.fromkeys(name for name, _ in members))
            violated = any(failure.severity is Severity.VIOLATION for _, failure in members)
            causes.append(Cause(text, Severity.VIOLATION if violated else Severity.WARNING, checks, len(members),
                                members[0][1]))
        return sorted(causes, key=lambda cause: (cause.severity is not Severity.VIOLATION, -len(cause.checks)))

    @property
    def requests_per_second(self) -> float:
        return self.requests_sent / self.elapsed if self.elapsed > 0 else 0.0

    def counts(self) -> dict[str, int]:
        totals = {outcome.value: 0 for outcome in Outcome}
        for result in self.results:
            totals[result.outcome.value] += 1
        return totals

    def matrix(self) -> list[tuple[str, str, Outcome, list[CheckResult]]]:
        """(area, feature, cell outcome, results) in area order, features in first-seen order."""
        cells: dict[tuple[str, str], list[CheckResult]] = {}
        for result in self.results:
            cells.setdefault((result.area, result.feature), []).append(result)
        rows = []
        for area in self.areas:
            for (cell_area, feature), results in cells.items():
                if cell_area == area:
                    rows.append((area, feature, cell_outcome(results), results))
        return rows


def cell_outcome(results: list[CheckResult]) -> Outcome:
    outcomes = {result.outcome for result in results}
    return next(outcome for outcome in CELL_ORDER if outcome in outcomes)


def apply_waivers(report: RunReport, waivers: tuple[Waiver, ...]) -> None:
    """Mark the findings each waiver excuses, settle the results again, and note waivers that matched nothing."""
    used: set[Waiver] = set()
    for result in report.results:
        if not result.failures or result.outcome not in (Outcome.FAIL, Outcome.WARN):
            continue
        for index, failure in enumerate(result.failures):
            waiver = next((w for w in waivers if w.matches(failure.check, failure.operation)), None)
            if waiver is not None:
                result.failures[index] = replace(failure, waived=waiver.reason)
                used.add(waiver)
        result.settle()
    for waiver in waivers:
        if waiver not in used:
            report.notes.append(f"the waiver for {waiver} matched no finding; remove it if the deviation is gone")
