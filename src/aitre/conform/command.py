"""What `aitre conform` does once typer has parsed its options: settings, run, print, write, exit code.

Kept out of `aitre/cli.py` so the command stays a thin signature there; this module never imports typer.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from aitre.conform.areas import AREAS, parse_area_list
from aitre.conform.errors import ConformError
from aitre.conform.report import write_reports
from aitre.conform.report.console import LiveProgress, print_report
from aitre.conform.runner import run_conformance, run_embedded
from aitre.conform.settings import ConformSettings, clean_api_key, normalize_base_url, parse_model_overrides
from aitre.conform.waivers import load_waivers

EXIT_CONFORMANT, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2
DEFAULT_REPORT_DIR = Path("reports") / "conform"


@dataclass
class ConformOptions:
    """The command line as typed (strings and numbers, not yet validated)."""

    base_url: str | None = None
    api_key: str | None = None
    report_dir: Path | None = None
    only: str | None = None
    skip: str | None = None
    require: str | None = None
    model: list[str] = field(default_factory=list)
    max_examples: int | None = None
    seed: int | None = None
    workers: int | None = None
    budget: int | None = None
    timeout: float | None = None
    strict: bool = False
    waivers: Path | None = None
    # Relay fidelity: the upstream the relay forwards to, and its key (default $AITRE_UPSTREAM_API_KEY).
    upstream: str | None = None
    upstream_api_key: str | None = None


def build_settings(options: ConformOptions, notes: list[str] | None = None) -> tuple[ConformSettings, bool]:
    """Validated settings and whether to start the embedded server; ValueError with a one-line message."""
    base_url = options.base_url or os.environ.get("OPENAI_BASE_URL") or ""
    api_key, trimmed = clean_api_key(options.api_key if options.api_key is not None
                                     else os.environ.get("OPENAI_API_KEY", ""))
    if trimmed and notes is not None:
        notes.append("note: whitespace around the API key (a trailing newline?) was removed")
    embedded = not base_url
    areas = set(AREAS)
    if options.only:
        areas = set(parse_area_list(options.only))
    if options.skip:
        areas -= parse_area_list(options.skip)
    if not areas:
        raise ValueError("--only/--skip leave no area to test")
    # Only the numbers given on the command line; ConformSettings keeps its defaults for the rest.
    given: dict[str, Any] = {
        name: value
        for name, value in (("max_examples", options.max_examples), ("seed", options.seed),
                            ("workers", options.workers), ("budget", options.budget), ("timeout", options.timeout))
        if value is not None
    }
    settings = ConformSettings(
        base_url=normalize_base_url(base_url) if base_url else "http://127.0.0.1",
        api_key=api_key,
        areas=frozenset(areas),
        required=parse_area_list(options.require, allow_all=True) if options.require else frozenset(),
        models=parse_model_overrides(options.model),
        report_dir=options.report_dir or DEFAULT_REPORT_DIR,
        waivers=load_waivers(options.waivers) if options.waivers else (),
        **_upstream_settings(options, embedded),
        **given,
    )
    return settings, embedded


def _upstream_settings(options: ConformOptions, embedded: bool) -> dict[str, Any]:
    if not options.upstream:
        return {}
    if embedded:
        raise ValueError("--upstream needs --base-url: the relay that forwards to the upstream")
    key = options.upstream_api_key
    return {"upstream": normalize_base_url(options.upstream),
            "upstream_api_key": key if key is not None else os.environ.get("AITRE_UPSTREAM_API_KEY", "")}


def conform(options: ConformOptions, out: Console | None = None, err: Console | None = None) -> int:
    """Run and report; returns the exit code (0 conformant, 1 violations, 2 usage or connection error).

    Warnings fail the run only with `strict`.
    """
    out = out or Console()
    err = err or Console(stderr=True)
    notes: list[str] = []
    try:
        settings, embedded = build_settings(options, notes)
        if settings.report_dir is not None:
            check_writable(settings.report_dir)
    except ValueError as exc:
        err.print(f"aitre conform: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    for note in notes:
        err.print(f"aitre conform: {note}", markup=False, highlight=False)
    try:
        with LiveProgress(err) as progress:
            report = (run_embedded(settings, listener=progress) if embedded
                      else run_conformance(settings, listener=progress))
    except ConformError as exc:
        err.print(f"aitre conform: {exc}", markup=False, highlight=False)
        return EXIT_USAGE
    directory = settings.report_dir
    try:
        if directory is not None:
            write_reports(report, directory)
    except OSError as exc:
        # Checked before the run, but the disk can still fill up or vanish: the summary is not lost.
        print_report(report, out, None)
        err.print(f"aitre conform: cannot write the reports to {directory}: {exc.strerror or exc}",
                  markup=False, highlight=False)
        return EXIT_USAGE
    print_report(report, out, str(directory) if directory else None)
    if report.incomplete:
        # Whatever passed, a run that could not finish its checks says nothing about conformance.
        err.print(f"aitre conform: incomplete run: {report.incomplete[0]}", markup=False, highlight=False)
        return EXIT_USAGE
    return EXIT_VIOLATIONS if report.failed(strict=options.strict) else EXIT_CONFORMANT


def check_writable(directory: Path) -> None:
    """ValueError unless reports can be written to `directory` (created if missing), before any request."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".aitre-write-check-"):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write the reports to {directory}: {exc.strerror or exc}") from None
