"""The fidelity section of every report format: per operation, the differences with the upstream and the
relay value side by side, and the fault matrix. Each writer calls the one function for its format."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict
from html import escape
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from aitre.conform.failures import Severity
from aitre.conform.fidelity.model import FaultResult, FidelityReport

STYLE = {Severity.VIOLATION: "bold red", Severity.WARNING: "dark_orange"}


def _fault_outcome(fault: FaultResult) -> str:
    return "skipped" if fault.skipped else fault.severity.value if fault.severity else "pass"


def fidelity_dict(fidelity: FidelityReport | None) -> dict[str, Any] | None:
    """report.json's `fidelity` member (None without --upstream)."""
    if fidelity is None:
        return None
    return {
        "upstream": fidelity.upstream_url,
        "elapsed_seconds": round(fidelity.elapsed, 3),
        "summary": {"violations": fidelity.violations, "warnings": fidelity.warnings,
                    "exchanges": len(fidelity.exchanges), "differences": len(fidelity.differences)},
        "exchanges": [asdict(exchange) for exchange in fidelity.exchanges],
        "operations": {operation: [asdict(d) for d in found] for operation, found in fidelity.by_operation().items()},
        "faults": [{**asdict(fault), "outcome": _fault_outcome(fault)} for fault in fidelity.faults],
        "notes": fidelity.notes,
    }


def fidelity_junit(root: ET.Element, fidelity: FidelityReport | None) -> None:
    """One testsuite `fidelity`: a testcase per exchange and per fault; violations fail, warnings are output."""
    if fidelity is None:
        return
    suite = ET.SubElement(root, "testsuite", name="fidelity", time=f"{fidelity.elapsed:.3f}")
    cases = failures = skipped = 0
    for exchange in fidelity.exchanges:
        cases += 1
        case = ET.SubElement(suite, "testcase", classname=f"fidelity.{exchange.operation}", name=exchange.name)
        found = [d for d in fidelity.differences if d.exchange == exchange.name]
        text = "\n".join(f"{d.severity.value}: {d.path} {d.kind}: upstream {d.upstream} / relay {d.relay}"
                         for d in found)
        if exchange.skipped:
            skipped += 1
            ET.SubElement(case, "skipped", message=exchange.skipped)
        elif any(d.severity is Severity.VIOLATION for d in found):
            failures += 1
            ET.SubElement(case, "failure", message="the relay changed the answer").text = text
        elif found:
            ET.SubElement(case, "system-out").text = text
    for fault in fidelity.faults:
        cases += 1
        case = ET.SubElement(suite, "testcase", classname="fidelity.faults", name=f"upstream fault {fault.fault}")
        if fault.skipped:
            skipped += 1
            ET.SubElement(case, "skipped", message=fault.message)
        elif fault.severity is Severity.VIOLATION:
            failures += 1
            ET.SubElement(case, "failure", message=fault.message).text = (
                f"expected {fault.expected}; upstream {fault.upstream}, relay {fault.relay}")
        elif fault.severity is Severity.WARNING:
            ET.SubElement(case, "system-out").text = f"warning: {fault.message}"
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))


def fidelity_html(fidelity: FidelityReport | None) -> str:
    """The HTML section (empty without --upstream)."""
    if fidelity is None:
        return ""
    parts = [f"<h2>Relay fidelity</h2><p>Upstream {escape(fidelity.upstream_url)}: {fidelity.violations} "
             f"violations, {fidelity.warnings} warnings over {len(fidelity.exchanges)} exchanges.</p>"]
    parts += [f"<p><small>note: {escape(note)}</small></p>" for note in fidelity.notes]
    for operation, found in fidelity.by_operation().items():
        skipped = [e.skipped for e in fidelity.exchanges if e.operation == operation and e.skipped]
        rows = "".join(
            f'<tr><td><span class="badge {d.severity.value}">{d.severity.value}</span></td><td>{escape(d.exchange)}'
            f"</td><td><code>{escape(d.path)}</code></td><td>{escape(d.kind)}</td><td><code>{escape(d.upstream)}"
            f"</code></td><td><code>{escape(d.relay)}</code></td><td>{escape(d.note)}</td></tr>" for d in found)
        body = (f"<table><tr><th></th><th>exchange</th><th>path</th><th>kind</th><th>upstream</th><th>relay</th>"
                f"<th></th></tr>{rows}</table>") if rows else "<p>No differences.</p>"
        extra = "".join(f"<p><small>skipped: {escape(reason)}</small></p>" for reason in skipped)
        parts.append(f"<h3>{escape(operation)}</h3>{body}{extra}")
    rows = "".join(
        f'<tr><td>{escape(f.fault)}</td><td>{escape(f.expected)}</td><td>{escape(f.upstream)}</td>'
        f'<td>{escape(f.relay)}</td><td><span class="badge {_fault_outcome(f).replace(" ", "-")}">'
        f"{escape(_fault_outcome(f))}</span></td><td>{escape(f.message)}</td></tr>" for f in fidelity.faults)
    parts.append("<h3>Fault matrix</h3><table><tr><th>upstream fault</th><th>the client should get</th>"
                 f"<th>upstream</th><th>relay</th><th>outcome</th><th></th></tr>{rows}</table>")
    return "".join(parts)


def print_fidelity(fidelity: FidelityReport | None, console: Console) -> None:
    """The console view: a differences table per operation with differences, then the fault matrix."""
    if fidelity is None:
        return
    console.print(Text(f"relay fidelity against {fidelity.upstream_url}: {fidelity.violations} violations, "
                       f"{fidelity.warnings} warnings over {len(fidelity.exchanges)} exchanges", style="bold"))
    for operation, found in fidelity.by_operation().items():
        if not found:
            continue
        table = Table(title=operation, title_justify="left")
        for column in ("", "exchange", "path", "kind", "upstream", "relay"):
            table.add_column(column, overflow="fold")
        for d in found:
            table.add_row(Text(d.severity.value, style=STYLE[d.severity]), d.exchange, d.path, d.kind,
                          d.upstream[:80], d.relay[:80])
        console.print(table)
    faults = Table(title="fault matrix", title_justify="left")
    for column in ("upstream fault", "the client should get", "upstream", "relay", "outcome"):
        faults.add_column(column, overflow="fold")
    for f in fidelity.faults:
        outcome = _fault_outcome(f)
        style = STYLE[f.severity] if f.severity else "green" if not f.skipped else "yellow"
        shown = outcome if f.severity is None and not f.skipped else f"{outcome}: {f.message}"
        faults.add_row(f.fault, f.expected, f.upstream, f.relay, Text(shown, style=style))
    console.print(faults)
    for note in fidelity.notes:
        console.print(Text(f"note: {note}", style="yellow"))
