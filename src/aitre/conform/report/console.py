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
from aitre.conform.results import CELL_ORDER, CheckResult, Outcome, RunReport

SYMBOLS = {Outcome.PASS: ("✓", "green"), Outcome.FAIL: ("✗", "bold red"), Outcome.WARN: ("!", "dark_orange"),
           Outcome.WAIVED: ("~", "cyan"),
           Outcome.NOT_SUPPORTED: ("○", "dim"), Outcome.SKIPPED: ("·", "yellow")}
MAX_FAILURES_SHOWN = 15  # checks whose first example is printed; the one-line list is never cut


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
    table.add_column("Features (✓ pass  ✗ violation  ! warning  ~ waived  ○ not supported  · skipped)", overflow="fold")
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


def _flagged(report: RunReport) -> list[CheckResult]:
    """Checks with findings: violations first, then warnings, each by area order and name."""
    order = {area: position for position, area in enumerate(report.areas)}
    flagged = [result for result in report.results if result.outcome in (Outcome.FAIL, Outcome.WARN)]
    return sorted(flagged, key=lambda r: (r.outcome is not Outcome.FAIL, order.get(r.area, 99), r.name))


def print_findings(report: RunReport, console: Console) -> None:
    """One line for every check with findings (never cut), then the first example of each, capped."""
    flagged = _flagged(report)
    causes = report.causes()
    if len(causes) < len(flagged):
        # Several checks fail for one reason: say the reasons first, so one defect reads as one.
        console.print(Text(f"{len(causes)} root cause(s) behind {len(flagged)} flagged checks:", style="bold"))
        for cause in causes:
            violation = cause.severity is Severity.VIOLATION
            console.print(Text.assemble(("✗ " if violation else "! ", "bold red" if violation else "dark_orange"),
                                        cause.text[:140], (f"  ({len(cause.checks)} checks, {cause.findings} "
                                                           f"findings: {', '.join(cause.checks[:4])}"
                                                           f"{', ...' if len(cause.checks) > 4 else ''})", "dim")))
        console.print("")
    for result in flagged:
        violation = result.outcome is Outcome.FAIL
        first = result.failures[0] if result.failures else None
        where = f"  {first.operation}" if first and first.operation else ""
        gist = first.message.splitlines()[0][:110] if first and first.message else result.reason
        console.print(Text.assemble(("✗ " if violation else "! ", "bold red" if violation else "dark_orange"),
                                    (f"{result.area} / {result.name}", "bold"),
                                    f" ({len(result.failures)}){where}  ", (gist, "dim")))
    # Details: one example per root cause, so a pervasive defect does not crowd out the others.
    detailed = [result for result in flagged if result.failures]
    by_cause: dict[str, CheckResult] = {}
    for result in detailed:
        by_cause.setdefault(result.failures[0].cause or result.name, result)
    distinct = list(by_cause.values())
    for result in distinct[:MAX_FAILURES_SHOWN]:
        failure = result.failures[0]
        style = "red" if failure.severity is Severity.VIOLATION else "dark_orange"
        console.print(Text.assemble(("\n  ", ""), (f"{failure.area} / {failure.check}", "bold"),
                                    f"  {failure.operation or ''}  ", (failure.title, style)))
        console.print(Text("    " + "\n    ".join(failure.message.splitlines()[:4])))
        if failure.curl:
            console.print(Text("    " + failure.curl[:400], style="dim"), soft_wrap=True)
    if len(detailed) > min(len(distinct), MAX_FAILURES_SHOWN):
        more = len(detailed) - min(len(distinct), MAX_FAILURES_SHOWN)
        console.print(f"... examples of {more} more checks in report.json / report.md")
    for result in report.results:
        for failure in result.failures:
            if failure.waived is not None:
                console.print(Text.assemble(("~ waived ", "cyan"), (f"{failure.area} / {failure.check}", "bold"),
                                            f"  {failure.operation or ''}  ", (failure.waived, "dim")))


def print_report(report: RunReport, console: Console, report_dir: str | None = None) -> None:
    """The matrix, every check with findings, capped examples, notes and the one-line verdict last."""
    console.print(matrix_table(report))
    print_findings(report, console)
    chosen = [f"{role} {name} ({report.model_sources.get(role, '?')})" for role, name in report.models.items()
              if name and report.model_sources.get(role) != "discovered"]
    if chosen:
        console.print(Text(f"models not from the list: {'; '.join(chosen)}", style="dim"))
    thin = {op: n for op, n in report.cases_per_operation.items()
            if " /" in op and n < report.max_examples and op not in report.unsupported_operations}
    if thin:
        listed = ", ".join(f"{op} {n}" for op, n in thin.items())
        console.print(Text(f"fewer schemathesis cases than --max-examples {report.max_examples}: {listed}",
                           style="yellow"))
    for note in report.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    for reason in report.incomplete:
        console.print(Text(f"incomplete: {reason}", style="bold red"))
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
        console.print(Text(f"reports: {report_dir}/report.json, junit.xml, report.html, report.md", style="dim"))
