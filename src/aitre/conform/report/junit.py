"""junit.xml: one testsuite per area, one testcase per check, for CI test tabs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from aitre.conform.report.fidelity import fidelity_junit
from aitre.conform.results import Outcome, RunReport


def junit_tree(report: RunReport) -> ET.ElementTree:
    root = ET.Element("testsuites", name="aitre conform", tests=str(len(report.results)),
                      failures=str(len(report.violations)), time=f"{report.elapsed:.3f}")
    for area in report.areas:
        results = [result for result in report.results if result.area == area]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=area,
            tests=str(len(results)),
            failures=str(sum(result.outcome is Outcome.FAIL for result in results)),
            skipped=str(sum(result.outcome in (Outcome.SKIPPED, Outcome.NOT_SUPPORTED) for result in results)),
            time=f"{sum(result.elapsed for result in results):.3f}",
        )
        for result in results:
            case = ET.SubElement(suite, "testcase", classname=f"{area}.{result.feature}", name=result.name,
                                 time=f"{result.elapsed:.3f}")
            if result.outcome is Outcome.FAIL:
                first = result.failures[0] if result.failures else None
                failure = ET.SubElement(case, "failure", message=first.title if first else "failed")
                failure.text = "\n\n".join(
                    f"{f.operation or ''}: {f.title}\n{f.message}" + (f"\n\n{f.curl}" if f.curl else "")
                    for f in result.failures
                )
            elif result.outcome in (Outcome.WARN, Outcome.WAIVED):
                # Warnings do not fail the suite; CI test tabs still show them as output of the case.
                out = ET.SubElement(case, "system-out")
                out.text = "\n\n".join(
                    f"{'waived' if f.waived else 'warning'}: {f.operation or ''}: {f.title}\n{f.message}"
                    for f in result.failures
                )
            elif result.outcome in (Outcome.SKIPPED, Outcome.NOT_SUPPORTED):
                ET.SubElement(case, "skipped", message=f"{result.outcome.value}: {result.reason}".strip(": "))
    fidelity_junit(root, report.fidelity)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(report: RunReport, path: Path) -> Path:
    junit_tree(report).write(path, encoding="utf-8", xml_declaration=True)
    return path
