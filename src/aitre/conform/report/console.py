"""The terminal view: a live progress line while the run works, then the area x feature matrix."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from aitre.conform.events import CheckFinished, Event, RunFinished, RunStarted, SchemaProgress
from aitre.conform.failures import Severity
from aitre.conform.report.fidelity import print_fidelity
from aitre.conform.results import CELL_ORDER, Outcome, RunReport

SYMBOLS = {Outcome.PASS: ("✓", "green"), Outcome.FAIL: ("✗", "bold red"), Outcome.WARN: ("!", "dark_orange"),
           Outcome.NOT_SUPPORTED: ("○", "dim"), Outcome.SKIPPED: ("·", "yellow")}
MAX_FAILURES_SHOWN = 25


class LiveProgress:
    """A one-line live status on stderr (silent when stderr is not a terminal); a run `Listener`."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        # No stdout/stderr redirection: we print only through our console, and a redirect left behind
        # by an interrupted or overlapping Live would swallow everything printed after it.
        self._live = Live(Text(""), console=self.console, transient=True, refresh_per_second=8,
                          redirect_stdout=False, redirect_stderr=False)
        self._checks = self._total = self._scenarios = self._requests = self._failed = 0
        self._last = ""

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self._live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._live.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._total = event.checks
        elif isinstance(event, CheckFinished):
            self._checks += 1
            self._requests = event.requests
            self._failed += event.result.outcome is Outcome.FAIL
            self._last = event.result.name
        elif isinstance(event, SchemaProgress):
            self._scenarios, self._requests, self._last = event.done, event.requests, event.label
        elif isinstance(event, RunFinished):
            return
        line = Text.assemble(
            ("conform ", "bold"),
            f"checks {self._checks}/{self._total}  ",
            (f"{self._failed} failing  ", "red" if self._failed else "green"),
            f"schemathesis {self._scenarios} scenarios  {self._requests} requests  ",
            (self._last[:60], "dim"),
        )
        self._live.update(line)


def matrix_table(report: RunReport) -> Table:
    table = Table(title="aitre conform", title_justify="left", show_lines=False, expand=False)
    table.add_column("Area", style="bold")
    table.add_column("Result")
    table.add_column("Features (✓ pass  ✗ violation  ! warning  ○ not supported  · skipped)", overflow="fold")
    rows = report.matrix()
    for area in report.areas:
        cells = [(feature, outcome) for cell_area, feature, outcome, _ in rows if cell_area == area]
        if not cells:
            continue
        outcomes = {outcome for _, outcome in cells}
        worst = next(o for o in CELL_ORDER if o in outcomes)
        features = Text()
        for feature, outcome in cells:
            symbol, style = SYMBOLS[outcome]
            features.append(f"{symbol} {feature}", style=style)
            features.append("  ")
        symbol, style = SYMBOLS[worst]
        table.add_row(area, Text(f"{symbol} {worst.value}", style=style), features)
    return table


def print_report(report: RunReport, console: Console, report_dir: str | None = None) -> None:
    """The matrix, the failures (capped) and a one-line summary."""
    console.print(matrix_table(report))
    findings = [failure for result in report.results for failure in result.failures]
    # Violations first: a long list of warnings must not push them off the screen.
    failures = sorted(findings, key=lambda failure: failure.severity is not Severity.VIOLATION)
    for failure in failures[:MAX_FAILURES_SHOWN]:
        violation = failure.severity is Severity.VIOLATION
        mark, style = ("✗ ", "bold red") if violation else ("! warning ", "dark_orange")
        console.print(Text.assemble((mark, style), (f"{failure.area} / {failure.check}", "bold"),
                                    f"  {failure.operation or ''}  ", (failure.title, "red" if violation else style)))
        console.print(Text("    " + "\n    ".join(failure.message.splitlines()[:4])))
        if failure.curl:
            console.print(Text("    " + failure.curl[:400], style="dim"), soft_wrap=True)
    if len(failures) > MAX_FAILURES_SHOWN:
        console.print(f"... and {len(failures) - MAX_FAILURES_SHOWN} more findings (see report.json)")
    for note in report.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    if report.unsupported_operations:
        console.print(Text(f"not supported: {', '.join(report.unsupported_operations)}", style="dim"))
    print_fidelity(report.fidelity, console)
    counts = report.counts()
    violations = len(report.violations) + (report.fidelity.violations if report.fidelity else 0)
    warnings = len(report.warnings) + (report.fidelity.warnings if report.fidelity else 0)
    summary = Text.assemble(
        (f"{violations} violation{'s' if violations != 1 else ''}", "bold red" if violations else "bold green"),
        " · ",
        (f"{warnings} warning{'s' if warnings != 1 else ''}", "dark_orange" if warnings else ""),
        f" · {counts['pass']} pass · {counts['not supported']} not supported · {counts['skipped']} skipped · ",
        f"{report.requests_sent} requests in {report.elapsed:.1f} s ({report.requests_per_second:.0f}/s)",
        f" against {report.base_url}" + (" (embedded reference server)" if report.embedded else ""),
    )
    console.print(summary)
    if report_dir:
        console.print(Text(f"reports: {report_dir}/report.json, junit.xml, report.html", style="dim"))
