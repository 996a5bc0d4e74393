"""report.md: a short summary for a CI job summary or a pull-request comment.

The headline first (never cut), then one line per check with findings, violations before warnings,
each with its first example and the rule it holds the server to; the full detail stays in report.json.
"""

from __future__ import annotations

from pathlib import Path

from aitre.conform.failures import Severity
from aitre.conform.results import CheckResult, Outcome, RunReport

# Markdown renderers of CI systems choke on huge comments: examples are capped, the list is not.
MAX_EXAMPLE_CHARS = 400
MAX_DETAILED = 20


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _headline(report: RunReport) -> str:
    counts = report.counts()
    verdict = "violations found" if report.violations else "conformant"
    target = report.base_url + (" (embedded reference server)" if report.embedded else "")
    return (f"## aitre conform: {verdict}\n\n**{len(report.violations)} violations**, {len(report.warnings)} "
            f"warnings, {counts['pass']} pass, {counts['not supported']} not supported, {counts['skipped']} "
            f"skipped; {report.requests_sent} requests in {report.elapsed:.1f} s against `{target}`.\n")


def _ordered(report: RunReport) -> list[CheckResult]:
    flagged = [result for result in report.results if result.outcome in (Outcome.FAIL, Outcome.WARN)]
    return sorted(flagged, key=lambda result: (result.outcome is not Outcome.FAIL, result.area, result.name))


def _summary_table(results: list[CheckResult]) -> str:
    lines = ["| severity | area | check | findings | first |", "|---|---|---|---|---|"]
    for result in results:
        first = result.failures[0] if result.failures else None
        severity = "violation" if result.outcome is Outcome.FAIL else "warning"
        message = first.message.splitlines()[0] if first and first.message else result.reason
        lines.append(f"| {severity} | {result.area} | `{result.name}` | {len(result.failures)} | "
                     f"{_cell((first.operation or '') + ': ' if first else '')}{_cell(message[:160])} |")
    return "\n".join(lines) + "\n"


def _details(result: CheckResult) -> str:
    first = result.failures[0]
    mark = "violation" if first.severity is Severity.VIOLATION else "warning"
    parts = [f"### {mark}: `{result.name}` ({result.area})", "", f"Rule: {result.rule}"]
    if result.latitude:
        parts.append(f"Allowed: {result.latitude}")
    parts += ["", "```text", first.message[:MAX_EXAMPLE_CHARS], "```"]
    if first.curl:
        parts += ["", "```sh", first.curl[:MAX_EXAMPLE_CHARS * 4], "```"]
    return "\n".join(parts) + "\n"


def render_markdown(report: RunReport) -> str:
    ordered = _ordered(report)
    sections = [_headline(report)]
    causes = report.causes()
    if ordered and len(causes) < len(ordered):
        sections.append("Root causes:\n\n" + "\n".join(
            f"- {cause.severity.value}: {_cell(cause.text[:200])} ({len(cause.checks)} checks: "
            f"{', '.join(f'`{name}`' for name in cause.checks)})" for cause in causes) + "\n")
    if ordered:
        sections.append(_summary_table(ordered))
        sections += [_details(result) for result in ordered[:MAX_DETAILED] if result.failures]
        if len(ordered) > MAX_DETAILED:
            sections.append(f"... {len(ordered) - MAX_DETAILED} more checks with findings: see report.json.\n")
    waived = [f for result in report.results for f in result.failures if f.waived is not None]
    if waived:
        sections.append("Waived:\n\n" + "\n".join(f"- `{f.check}` {f.operation or ''}: {_cell(f.waived or '')}"
                                                   for f in waived) + "\n")
    if report.unsupported_operations:
        sections.append("Not supported: " + ", ".join(f"`{op}`" for op in report.unsupported_operations) + "\n")
    if report.notes:
        sections.append("Notes:\n\n" + "\n".join(f"- {_cell(note)}" for note in report.notes) + "\n")
    return "\n".join(sections)


def write_markdown(report: RunReport, path: Path) -> Path:
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
