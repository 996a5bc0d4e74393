"""Both sides of `aitre coverage` set against each other per operation, and the report that prints them."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aitre import paths
from aitre.coverage.operations import OPERATIONS, PARTS, Operation
from aitre.coverage.sdk import sdk_fields, sdk_parameters
from aitre.coverage.spec import spec_parts


@dataclass(frozen=True)
class PartCoverage:
    """The fields of one part of an operation (request, response, ...) on both sides."""

    part: str
    sdk: frozenset[str]
    spec: frozenset[str]

    @property
    def missing(self) -> list[str]:
        """SDK fields the spec lacks."""
        return sorted(self.sdk - self.spec)

    @property
    def extra(self) -> list[str]:
        """Spec fields the SDK lacks."""
        return sorted(self.spec - self.sdk)


@dataclass(frozen=True)
class OperationCoverage:
    """Coverage of one operation; `in_spec` is false when the spec has no such operation."""

    operation: Operation
    in_spec: bool
    parts: tuple[PartCoverage, ...]

    @property
    def sdk_fields(self) -> int:
        return sum(len(part.sdk) for part in self.parts)

    @property
    def covered(self) -> int:
        return sum(len(part.sdk & part.spec) for part in self.parts)

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.sdk_fields if self.sdk_fields else 100.0

    @property
    def complete(self) -> bool:
        return self.in_spec and self.covered == self.sdk_fields


def coverage_of(document: dict[str, Any], operations: Iterable[Operation] = OPERATIONS) -> list[OperationCoverage]:
    """Coverage of each operation in a bundled spec document."""
    results = []
    for operation in operations:
        sdk = {
            "parameters": sdk_parameters(operation.parameters),
            "request": sdk_fields(operation.request),
            "response": sdk_fields(operation.response),
            "stream": sdk_fields(operation.stream),
        }
        found = _find_operation(document, operation)
        spec = spec_parts(document, found, document["paths"][operation.path]) if found else {}
        parts = tuple(
            PartCoverage(part, frozenset(sdk[part]), frozenset(spec.get(part, ())))
            for part in PARTS
            if sdk[part] or spec.get(part)
        )
        results.append(OperationCoverage(operation, found is not None, parts))
    return results


def check_coverage(
    spec_root: Path = paths.SPEC_ROOT, operations: Iterable[Operation] = OPERATIONS
) -> list[OperationCoverage]:
    """Bundle the split spec at `spec_root` and compute the coverage of each operation."""
    from aitre.spec.bundle import bundle_spec

    return coverage_of(bundle_spec(spec_root).document, operations)


def _find_operation(document: dict[str, Any], operation: Operation) -> dict[str, Any] | None:
    item = (document.get("paths") or {}).get(operation.path)
    found = item.get(operation.method) if isinstance(item, dict) else None
    return found if isinstance(found, dict) else None


def render(results: list[OperationCoverage], *, details: bool = True) -> str:
    """The report: per operation the fields missing on either side, then a summary table."""
    lines: list[str] = []
    if details:
        for result in results:
            lines.append(result.operation.name + ("" if result.in_spec else "  (not in the spec)"))
            for part in result.parts:
                lines.append(f"  {part.part}: {len(part.sdk)} SDK fields, {len(part.sdk & part.spec)} in the spec")
                lines += [f"    missing from spec: {name}" for name in part.missing]
                lines += [f"    not in SDK:        {name}" for name in part.extra]
        lines.append("")
    width = max([len("operation"), *(len(r.operation.name) for r in results)])
    lines.append(f"{'operation':<{width}}  {'SDK fields':>10}  {'covered':>7}  {'%':>6}  {'spec only':>9}")
    for result in results:
        extra = sum(len(part.extra) for part in result.parts)
        lines.append(
            f"{result.operation.name:<{width}}  {result.sdk_fields:>10}  {result.covered:>7}  "
            f"{result.percent:>6.1f}  {extra:>9}"
        )
    total = sum(r.sdk_fields for r in results)
    covered = sum(r.covered for r in results)
    percent = 100.0 * covered / total if total else 100.0
    lines.append(f"{'total':<{width}}  {total:>10}  {covered:>7}  {percent:>6.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the coverage report; exit 1 when an SDK field or an operation is missing from the spec."""
    parser = argparse.ArgumentParser(prog="aitre coverage", description=main.__doc__)
    parser.add_argument("--spec", type=Path, default=paths.SPEC_ROOT, help="root document of the split spec")
    parser.add_argument(
        "--operation", action="append", metavar="'METHOD /path'", help="only this operation (repeatable)"
    )
    parser.add_argument("--summary", action="store_true", help="print only the summary table")
    args = parser.parse_args(argv)
    wanted = {_normal(name) for name in args.operation or ()}
    operations = [op for op in OPERATIONS if not wanted or op.name in wanted]
    if not operations:
        parser.error(f"no such operation; known: {', '.join(op.name for op in OPERATIONS)}")
    results = check_coverage(args.spec, operations)
    print(render(results, details=not args.summary))
    return 0 if all(result.complete for result in results) else 1


def _normal(name: str) -> str:
    method, _, path = name.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"
