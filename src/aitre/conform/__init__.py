"""`aitre conform`: tests a live OpenAI-format server (and MidJourney task API) against the bundled spec.

Layers, one way: settings/areas -> client (bounded HTTP) -> checks (semantic rules, one module per area)
and schema_checks (schemathesis) -> runner (orchestration, events) -> collect/results -> report writers.
Nothing here imports `aitre.cli`, and no check imports `aitre.server`.
"""

from __future__ import annotations

from aitre.conform.results import CheckResult, FailureRecord, Outcome, RunReport
from aitre.conform.runner import Runner, run_conformance, run_embedded
from aitre.conform.settings import ConformSettings, Limits

__all__ = [
    "CheckResult",
    "ConformSettings",
    "FailureRecord",
    "Limits",
    "Outcome",
    "RunReport",
    "Runner",
    "run_conformance",
    "run_embedded",
]
