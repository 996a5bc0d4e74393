"""Conformance power: how many servers broken in exactly one rule the semantic checks catch, per area, and
how many false alarms they raise on servers that differ only where the contract allows.

Targets (issue 13): at least 95% of at least 60 broken variants caught, 0 false alarms. The broken
variants are tests/conform/test_checks.py::BREAKS (one per check, the reference server behind a breaker);
the allowed ones are the middlewares of tests/conform/variants.py. Semantic checks only (no schemathesis),
so the number measures the checks this catalogue is about.

    .venv/bin/python bench/power.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aitre.conform.failures import Severity
from aitre.conform.registry import load_checks
from aitre.conform.runner import Runner
from tests.conform.conftest import settings_for
from tests.conform.servers import Breakable, reference_app, serve
from tests.conform.test_checks import BREAKS, COMPANIONS
from tests.conform.test_latitude import _reference
from tests.conform.variants import (
    MidjourneyErrors,
    MidjourneyProxyRefusals,
    NoMjState,
    NoModelPolicy,
    NotFoundForUnknownMethods,
    OctetStreamSpeech,
    PlainTextChat,
    Variant,
)

ALLOWED: dict[str, Any] = {cls.__name__: cls for cls in (Variant, MidjourneyErrors, MidjourneyProxyRefusals, NoMjState,
                                                         NoModelPolicy, NotFoundForUnknownMethods, OctetStreamSpeech,
                                                         PlainTextChat)}


@dataclass
class Verdict:
    name: str
    area: str
    violations: list[str]


def violations_of(url: str, names: list[str] | None = None) -> list[str]:
    checks = load_checks()
    selected = [checks[name] for name in names] if names is not None else list(checks.values())
    report = Runner(settings_for(url), checks=selected).run()
    return [f"{result.name}: {failure.message[:100]}" for result in report.results for failure in result.failures
            if failure.severity is Severity.VIOLATION]


def broken_verdicts(only: list[str] | None = None) -> list[Verdict]:
    """Each BREAKS entry as a server broken in one rule, judged by the whole set of semantic checks."""
    checks = load_checks()
    verdicts = []
    app = Breakable(reference_app())
    with serve(app) as url:
        for name in only or sorted(BREAKS):
            app.breakers = BREAKS[name]
            # Final checks judge what the run saw; the companions provoke it, as in the test.
            names = None if not COMPANIONS.get(name) else [*COMPANIONS[name], name]
            verdicts.append(Verdict(name, checks[name].area, violations_of(url, names)))
            app.breakers = []
    return verdicts


def allowed_verdicts(only: list[str] | None = None) -> list[Verdict]:
    verdicts = []
    for name in only or sorted(ALLOWED):
        with serve(ALLOWED[name](_reference())) as url:
            verdicts.append(Verdict(name, "allowed", violations_of(url)))
    return verdicts


def table(broken: list[Verdict], allowed: list[Verdict]) -> str:
    per_area: dict[str, list[bool]] = defaultdict(list)
    for verdict in broken:
        per_area[verdict.area].append(bool(verdict.violations))
    lines = [f"{'area':<12} {'caught':>7} {'of':>4} {'rate':>6}"]
    for area, caught in sorted(per_area.items()):
        lines.append(f"{area:<12} {sum(caught):>7} {len(caught):>4} {sum(caught) / len(caught):>6.0%}")
    total = sum(bool(v.violations) for v in broken)
    lines.append(f"{'total':<12} {total:>7} {len(broken):>4} {total / max(len(broken), 1):>6.0%}")
    missed = [v.name for v in broken if not v.violations]
    alarms = [f"{v.name}: {message}" for v in allowed for message in v.violations]
    lines.append(f"missed: {', '.join(missed) or 'none'}")
    lines.append(f"false alarms ({len(allowed)} allowed variants): {len(alarms)}")
    lines.extend(f"  {alarm}" for alarm in alarms)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="broken variants (BREAKS names) to run; all when absent")
    args = parser.parse_args()
    broken = broken_verdicts(args.only)
    allowed = allowed_verdicts() if not args.only else []
    print(table(broken, allowed))
    caught = sum(bool(v.violations) for v in broken)
    alarms = sum(len(v.violations) for v in allowed)
    return 0 if caught >= 0.95 * len(broken) and not alarms else 1


if __name__ == "__main__":
    sys.exit(main())
