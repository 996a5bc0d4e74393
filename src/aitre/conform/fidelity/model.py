"""What a fidelity run found, as plain data for the reporters (free of keys)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aitre.conform.failures import Severity


@dataclass(frozen=True)
class Difference:
    """One place where the relay's answer differs from the upstream's answer to the same request.

    `kind` is one of dropped, changed, added, merged, split, reordered, lost, status, header, content.
    Values are shown as short JSON text.
    """

    exchange: str
    operation: str
    path: str
    kind: str
    upstream: str
    relay: str
    severity: Severity
    note: str = ""


@dataclass
class ExchangeResult:
    """One marked request sent through the relay; `skipped` says why it could not be compared."""

    name: str
    operation: str
    marker: str
    relay_status: int | None = None
    upstream_status: int | None = None
    skipped: str = ""


@dataclass(frozen=True)
class FaultResult:
    """One upstream fault driven through the relay and what the client got. `severity` None means it passed."""

    fault: str
    operation: str
    expected: str
    upstream: str
    relay: str
    severity: Severity | None
    message: str
    skipped: bool = False


@dataclass
class FidelityReport:
    """The fidelity section of a run."""

    upstream_url: str
    exchanges: list[ExchangeResult] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    faults: list[FaultResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def violations(self) -> int:
        findings = [d.severity for d in self.differences] + [f.severity for f in self.faults]
        return sum(severity is Severity.VIOLATION for severity in findings)

    @property
    def warnings(self) -> int:
        findings = [d.severity for d in self.differences] + [f.severity for f in self.faults]
        return sum(severity is Severity.WARNING for severity in findings)

    def by_operation(self) -> dict[str, list[Difference]]:
        """Differences grouped by operation, in the order the exchanges were sent."""
        grouped: dict[str, list[Difference]] = {exchange.operation: [] for exchange in self.exchanges}
        for difference in self.differences:
            grouped.setdefault(difference.operation, []).append(difference)
        return grouped
