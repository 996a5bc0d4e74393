"""report.html: one self-contained page (no scripts, no external assets) to read a run in a browser."""

from __future__ import annotations

from html import escape
from pathlib import Path

from aitre.conform.failures import Severity
from aitre.conform.report.fidelity import fidelity_html
from aitre.conform.results import CELL_ORDER, FailureRecord, Outcome, RunReport

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;
vertical-align:top}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;margin:.1rem .15rem;font-size:12px}
.pass{background:#dff3e0;color:#1a5e20}.fail{background:#fde0df;color:#8e1b16;font-weight:600}
.warning{background:#fff0d9;color:#8a4b00}.waived{background:#e0f2f1;color:#00695c}.not-supported{background:#eceff1;color:#455a64}.skipped{background:#fff6d6;color:#7a5d00}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
details{margin:.4rem 0 1rem}summary{cursor:pointer}.meta td:first-child{color:#666;width:14rem}
"""


def _css(outcome: Outcome) -> str:
    return outcome.value.replace(" ", "-")


def _matrix(report: RunReport) -> str:
    rows = []
    for area in report.areas:
        cells = [(feature, outcome) for cell_area, feature, outcome, _ in report.matrix() if cell_area == area]
        if not cells:
            continue
        worst = next((o for o in CELL_ORDER if any(outcome is o for _, outcome in cells)), Outcome.SKIPPED)
        badges = "".join(
            f'<span class="badge {_css(outcome)}" title="{escape(outcome.value)}">{escape(feature)}</span>'
            for feature, outcome in cells
        )
        rows.append(f'<tr><th>{escape(area)}</th><td><span class="badge {_css(worst)}">{escape(worst.value)}'
                    f"</span></td><td>{badges}</td></tr>")
    return "<table><tr><th>Area</th><th>Result</th><th>Features</th></tr>" + "".join(rows) + "</table>"


def _failure(failure: FailureRecord) -> str:
    parts = [f'<h3><span class="badge {escape(failure.severity.value)}">{escape(failure.severity.value)}</span> '
             f"{escape(failure.area)} / {escape(failure.check)}: {escape(failure.title)}</h3>",
             f"<p><b>{escape(failure.operation or '')}</b> {escape(str(failure.status or ''))}</p>",
             f"<pre>{escape(failure.message)}</pre>"]
    if failure.curl:
        parts.append(f"<details open><summary>Reproduce</summary><pre>{escape(failure.curl)}</pre></details>")
    if failure.response_excerpt:
        parts.append(f"<details><summary>Response</summary><pre>{escape(failure.response_excerpt)}</pre></details>")
    return "".join(parts)


def render_html(report: RunReport) -> str:
    counts = report.counts()
    meta = [
        ("Target", report.base_url + (" (embedded reference server)" if report.embedded else "")),
        ("Violations", str(len(report.violations))),
        ("Warnings", str(len(report.warnings))),
        ("Results", ", ".join(f"{count} {name}" for name, count in counts.items())),
        ("Requests", f"{report.requests_sent} in {report.elapsed:.1f} s ({report.requests_per_second:.0f}/s)"
                     + (f", budget {report.budget}" if report.budget else "")),
        ("Models", ", ".join(f"{role}: {name or '-'} ({report.model_sources.get(role, '?')})"
                             for role, name in report.models.items())),
        ("Seed / examples", f"{report.seed} / {report.max_examples}"),
        ("Not supported", ", ".join(report.unsupported_operations) or "none"),
    ]
    meta_rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in meta)
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
    notes += "".join(f"<li><strong>incomplete:</strong> {escape(reason)}</li>" for reason in report.incomplete)
    findings = [f for result in report.results for f in result.failures]
    failures = "".join(_failure(f) for f in findings if f.severity is Severity.VIOLATION)
    warnings = "".join(_failure(f) for f in findings if f.severity is Severity.WARNING)
    rules = "".join(
        f'<tr><td>{escape(r.area)}</td><td>{escape(r.name)}</td><td><span class="badge {_css(r.outcome)}">'
        f"{escape(r.outcome.value)}</span></td><td>{escape(r.rule)}<br><small><i>{escape(r.latitude)}</i></small>"
        f"<br><small>{escape(r.reason)}</small></td></tr>"
        for r in report.results
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>aitre conform report</title>'
        f"<style>{_STYLE}</style></head><body><h1>aitre conform</h1>"
        f'<table class="meta">{meta_rows}</table>'
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + f"<h2>Matrix</h2>{_matrix(report)}"
        + (f"<h2>Violations</h2>{failures}" if failures else "<h2>Violations</h2><p>None.</p>")
        + (f"<h2>Warnings</h2><p>Differences that break no correct client.</p>{warnings}" if warnings else "")
        + fidelity_html(report.fidelity)
        + f"<h2>All checks</h2><table>{rules}</table></body></html>\n"
    )


def write_html(report: RunReport, path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path
