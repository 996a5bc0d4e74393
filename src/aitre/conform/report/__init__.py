"""Report writers (JSON, JUnit XML, HTML, Markdown) and the rich console view of a run."""

from __future__ import annotations

from pathlib import Path

from aitre.conform.report.html import write_html
from aitre.conform.report.json_report import report_dict, write_json
from aitre.conform.report.junit import write_junit
from aitre.conform.report.markdown import write_markdown
from aitre.conform.results import RunReport

__all__ = ["report_dict", "write_html", "write_json", "write_junit", "write_markdown", "write_reports"]


def write_attachments(report: RunReport, directory: Path) -> list[Path]:
    """The files curl commands read (`-F image=@files/...`), written under `directory/files/`."""
    written = []
    for result in report.results:
        for failure in result.failures:
            for relative, data in failure.attachments:
                path = directory / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                written.append(path)
    return written


def write_reports(report: RunReport, directory: Path) -> list[Path]:
    """Write report.json, junit.xml, report.html and report.md into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    reports = [
        write_json(report, directory / "report.json"),
        write_junit(report, directory / "junit.xml"),
        write_html(report, directory / "report.html"),
        write_markdown(report, directory / "report.md"),
    ]
    return [*write_attachments(report, directory), *reports]
