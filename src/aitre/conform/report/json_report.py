"""report.json: the whole run as data, with each failure's request, response excerpt and curl command."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aitre import __version__
from aitre.conform.report.fidelity import fidelity_dict
from aitre.conform.results import FailureRecord, RunReport


def report_dict(report: RunReport) -> dict[str, Any]:
    """The JSON document of a run (stable keys; CI tools read it)."""
    counts = report.counts()
    return {
        "tool": "aitre conform",
        "version": __version__,
        "base_url": report.base_url,
        "embedded_reference_server": report.embedded,
        "elapsed_seconds": round(report.elapsed, 3),
        "requests_sent": report.requests_sent,
        "schemathesis_requests": report.schemathesis_requests,
        "schemathesis_cases": report.schemathesis_cases,
        "schemathesis_cases_per_operation": report.cases_per_operation,
        "requests_per_second": round(report.requests_per_second, 1),
        "budget": report.budget,
        "seed": report.seed,
        "max_examples": report.max_examples,
        "areas": report.areas,
        "required": report.required,
        "models": report.models,
        "model_sources": report.model_sources,
        "summary": {**counts, "violations": len(report.violations), "warnings": len(report.warnings),
                    # The relay-fidelity findings (--upstream) count toward the exit code too.
                    "fidelity_violations": report.fidelity.violations if report.fidelity else 0,
                    "fidelity_warnings": report.fidelity.warnings if report.fidelity else 0,
                    "failed": report.failed(), "failed_strict": report.failed(strict=True)},
        "causes": [
            {"cause": cause.text, "severity": cause.severity.value, "checks": list(cause.checks),
             "findings": cause.findings, "example": {"check": cause.example.check, "operation": cause.example.operation,
                                                     "curl": cause.example.curl}}
            for cause in report.causes()
        ],
        "unsupported_operations": report.unsupported_operations,
        "notes": report.notes,
        "incomplete": report.incomplete,
        "matrix": [
            {"area": area, "feature": feature, "outcome": outcome.value, "checks": [r.name for r in results]}
            for area, feature, outcome, results in report.matrix()
        ],
        "results": [
            {
                "name": result.name,
                "area": result.area,
                "feature": result.feature,
                "source": result.source,
                "rule": result.rule,
                "latitude": result.latitude,
                "outcome": result.outcome.value,
                "reason": result.reason,
                "operations": list(result.operations),
                "elapsed_seconds": round(result.elapsed, 3),
                "failures": len(result.failures),
            }
            for result in report.results
        ],
        "failures": [_failure_dict(failure) for result in report.results for failure in result.failures],
        "fidelity": fidelity_dict(report.fidelity),
    }


def write_json(report: RunReport, path: Path) -> Path:
    path.write_text(json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _failure_dict(failure: FailureRecord) -> dict[str, Any]:
    """A finding as JSON; the files its curl reads are named (they are written beside the report)."""
    data = asdict(failure)
    data["attachments"] = [path for path, _ in failure.attachments]
    return data
