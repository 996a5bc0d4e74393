"""One conformance run: discover models, run the checks, run schemathesis, classify, report.

Order matters for robustness: our bounded client meets every operation first, so an operation that
hangs, floods or resets is found and reported there, and schemathesis (whose client reads bodies
whole) is kept away from it. A watchdog bounds the schemathesis phase as a whole.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from aitre.conform.areas import AREAS, area_of
from aitre.conform.checks._common import MODELS
from aitre.conform.client import RESET_PREFIX, ConformClient, RequestCounter
from aitre.conform.collect import (
    apply_support,
    failure_record,
    fold_restatements,
    schema_results,
    unsupported_operations,
)
from aitre.conform.context import CheckContext
from aitre.conform.discovery import choose_models
from aitre.conform.embedded import ChildServer
from aitre.conform.errors import ConformError, KeyRejected, TargetUnreachable
from aitre.conform.events import CheckFinished, Event, RunFinished, RunStarted, SchemaProgress
from aitre.conform.failures import BudgetExhausted, Failure, NotSupported, Skipped, TransportFailure
from aitre.conform.fidelity.model import FidelityReport
from aitre.conform.fidelity.run import FidelityRun
from aitre.conform.fidelity.upstream import Upstream
from aitre.conform.model_probe import probe_defaults, probe_listed
from aitre.conform.redact import redacting_logs
from aitre.conform.registry import CheckSpec, load_checks
from aitre.conform.results import CheckResult, FailureRecord, Outcome, RunReport, apply_waivers
from aitre.conform.schema_cases import area_operations
from aitre.conform.schema_checks import SchemaOutcome, SchemaRun
from aitre.conform.settings import ConformSettings

Listener = Callable[[Event], None]
# The schemathesis phase may take this long beyond its own request timeouts before it is abandoned.
SCHEMA_GRACE_SECONDS = 30.0


def load_spec() -> dict[str, Any]:
    from aitre.paths import BUNDLED_SPEC

    spec: dict[str, Any] = json.loads(BUNDLED_SPEC.read_text(encoding="utf-8"))
    return spec


class Runner:
    """Carries one run; `run()` returns the report (it never raises for a misbehaving server)."""

    def __init__(self, settings: ConformSettings, *, listener: Listener | None = None, embedded: bool = False,
                 spec: dict[str, Any] | None = None, checks: Iterable[CheckSpec] | None = None) -> None:
        self.settings = settings
        self.listener = listener or (lambda event: None)
        self.embedded = embedded
        self.spec = spec or load_spec()
        all_checks = list(checks) if checks is not None else list(load_checks().values())
        self.checks = [spec for spec in all_checks if spec.area in settings.areas]
        self.counter = RequestCounter(settings.budget)
        limits = settings.limits
        self.client = ConformClient(settings.base_url, settings.api_key, timeout=settings.timeout,
                                    counter=self.counter, max_body_bytes=limits.max_body_bytes,
                                    max_stream_events=limits.max_stream_events)
        self.ctx = CheckContext(settings, self.client, {})
        self.notes: list[str] = []
        self.listed: frozenset[str] = frozenset()

    def run(self) -> RunReport:
        with redacting_logs(self.client.redactor):
            return self._run()

    def _run(self) -> RunReport:
        started = time.monotonic()
        try:
            choice = self._discover()
            self.ctx.models = dict(choice.models)
            self.listed = frozenset(choice.listed)
            self.ctx.listed = self.listed
            self.ctx.refused_models = list(choice.refused)
            schema_ops = area_operations(self.spec, self.settings.areas) if self.settings.schema_checks else []
            self.listener(RunStarted(self.settings.base_url, len(self.checks), len(schema_ops)))
            fidelity = self._start_fidelity()
            results = self._run_checks([c for c in self.checks if not c.final])
            outcome = self._run_schema(schema_ops) if schema_ops else None
            if outcome is not None:
                self._share_foreign(outcome)
            results += self._run_checks([c for c in self.checks if c.final])
            fidelity_report = fidelity.result() if fidelity is not None else None
        finally:
            self.client.close()
        if self.client.resets_retried:
            self.notes.append(f"{self.client.resets_retried} request(s) met a connection the server had closed "
                              "without saying so, and were sent again on a fresh one (as the openai SDK does)")
        if self.counter.exhausted:
            self.notes.append(f"the request budget of {self.settings.budget} was reached: checks after it were "
                              "skipped and schemathesis stopped early, so passes there are partial")
        report = self._report(choice, results, outcome, schema_ops)
        apply_waivers(report, self.settings.waivers)
        report.incomplete = self._incomplete(outcome)
        report.fidelity = fidelity_report
        report.elapsed = time.monotonic() - started
        self.listener(RunFinished(report))
        return report

    def _start_fidelity(self) -> Future[FidelityReport] | None:
        """With --upstream: probe the upstream (exit 2 when unusable), then run fidelity beside the checks."""
        if not self.settings.upstream:
            return None
        upstream = Upstream(self.settings.upstream, self.settings.upstream_api_key, timeout=self.settings.timeout)
        try:
            upstream.probe()
        except ConformError:
            upstream.close()
            raise
        run = FidelityRun(self.client, upstream, self.ctx.models, self.settings.areas)

        def work() -> FidelityReport:
            try:
                return run.run()
            except Exception as exc:  # a bug in the fidelity run: reported, and the checks' results still stand
                failed = FidelityReport(upstream.url)
                failed.notes.append(self.client.redactor.text(f"the fidelity run crashed: {exc!r}"))
                return failed
            finally:
                upstream.close()

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conform-fidelity")
        future = pool.submit(work)
        pool.shutdown(wait=False)
        return future

    def _discover(self) -> Any:
        try:
            exchange = self.ctx.send_shared("models:list", MODELS)
        except TransportFailure as exc:
            if exc.exchange is not None and exc.exchange.status is None and "cannot connect" in exc.message:
                raise TargetUnreachable(f"cannot reach {self.settings.base_url}: {exc.message}") from None
            self.notes.append(f"GET /v1/models failed ({exc.message}); using fallback model names")
            return choose_models(None, self.settings.models)
        except BudgetExhausted:
            return choose_models(None, self.settings.models)
        if exchange.status == 401:
            if not self.settings.api_key:
                raise KeyRejected(f"{self.settings.base_url} needs a key: set OPENAI_API_KEY or pass --api-key")
            raise KeyRejected(f"{self.settings.base_url} answered 401 to GET /v1/models: the API key was rejected")
        listed = None
        if exchange.status == 200:
            try:
                data = exchange.json().get("data")
                listed = [item["id"] for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]
            except (Failure, AttributeError, TypeError):
                listed = None
        if listed is None:
            self.notes.append(f"GET /v1/models answered {exchange.status}; using fallback model names")
        choice = choose_models(listed, self.settings.models)
        return probe_defaults(self.client, probe_listed(self.client, choice, self.settings.areas), self.settings.areas)

    def _run_checks(self, specs: list[CheckSpec]) -> list[CheckResult]:
        if not specs:
            return []
        # MidJourney checks poll; starting them first keeps them off the critical path.
        ordered = sorted(specs, key=lambda spec: spec.area != "midjourney")
        with ThreadPoolExecutor(max_workers=max(2, self.settings.workers * 2), thread_name_prefix="conform") as pool:
            results = list(pool.map(self._run_one, ordered))
        order = {spec.name: position for position, spec in enumerate(specs)}
        return sorted(results, key=lambda result: order[result.name])

    def _run_one(self, spec: CheckSpec) -> CheckResult:
        result = CheckResult(spec.name, spec.area, spec.feature, spec.rule, Outcome.PASS, spec.operations,
                             latitude=spec.latitude)
        started = time.monotonic()
        self.ctx.begin_check(spec.name)
        try:
            spec.func(self.ctx)
        except NotSupported as exc:
            result.outcome, result.reason = Outcome.NOT_SUPPORTED, exc.reason
        except Skipped as exc:
            result.outcome, result.reason = Outcome.SKIPPED, exc.reason
        except Failure as exc:
            if exc.exchange is None:
                # A rule that failed on what the check last saw (an `expect`) still shows that exchange.
                exc.exchange = self.ctx.last_exchange()
            result.failures = [failure_record(spec, exc, self.client.redactor)]
        except Exception as exc:  # a bug in the check itself: reported, never hidden
            message = self.client.redactor.text(f"the check crashed: {exc.__class__.__name__}: {exc}")
            result.failures = [FailureRecord(spec.name, spec.area, spec.feature, None, "Check error", message)]
        result.settle()
        result.elapsed = time.monotonic() - started
        self.listener(CheckFinished(result, self.counter.sent))
        return result

    def _run_schema(self, operations: list[str]) -> SchemaOutcome:
        # Only a hang, a flood or an endless stream keeps schemathesis (which reads bodies whole) away from
        # an operation; a reset costs the one request it hit and never drops an operation from fuzzing.
        hostile = sorted({e.operation for e in self.client.log
                          if e.error and not e.error.startswith(RESET_PREFIX) and e.operation in operations})
        if hostile:
            self.notes.append(f"schemathesis skipped {', '.join(hostile)} after hangs or oversized answers in "
                              "the checks")
        wanted = [op for op in operations if op not in hostile]
        schema = SchemaRun(self.settings, self.spec, models=self.ctx.models, counter=self.counter,
                           redactor=self.client.redactor, listed=self.listed,
                           on_progress=lambda label, done, _: self.listener(SchemaProgress(label, done,
                                                                                           self.counter.sent)))
        if self.counter.exhausted or not wanted:
            return schema.outcome
        thread = threading.Thread(target=self._schema_thread, args=(schema, wanted), daemon=True,
                                  name="conform-schemathesis")
        thread.start()
        limit = self._schema_time_limit(len(wanted))
        thread.join(limit)
        if thread.is_alive():
            schema.stop()
            thread.join(min(self.settings.timeout, 10.0))
            self.notes.append(f"schemathesis did not finish within {limit:.0f} s and was stopped; results are partial")
            schema.outcome.stopped = f"the schemathesis phase was stopped after {limit:.0f} s"
        return schema.outcome

    def _schema_thread(self, schema: SchemaRun, operations: list[str]) -> None:
        try:
            schema.run(operations)
        except Exception as exc:  # reported as a note; the run's other results still stand
            schema.outcome.notes.append(self.client.redactor.text(f"schemathesis failed: {exc}"))

    def _schema_time_limit(self, operations: int) -> float:
        # Generous for a healthy server (a few seconds per operation), bounded for a hostile one.
        return self.settings.limits.schema_max_time or (SCHEMA_GRACE_SECONDS + operations * 2 * self.settings.timeout)

    def _incomplete(self, outcome: SchemaOutcome | None) -> list[str]:
        """Why this run cannot count as conformant whatever it found: the server vanished, or checks did not run."""
        reasons = []
        refused = sum(1 for e in self.client.log if e.error and e.error.startswith("cannot connect"))
        refused += outcome.refused if outcome is not None else 0
        if refused:
            reasons.append(f"the server stopped accepting connections during the run ({refused} request(s) "
                           "refused); checks after that could not run")
        if outcome is not None and outcome.stopped and not self.counter.exhausted:
            reasons.append(f"{outcome.stopped}; schemathesis checks it did not reach are marked not run")
        return reasons

    def _share_foreign(self, outcome: SchemaOutcome) -> None:
        self.ctx.foreign_responses.extend(outcome.bad_errors)
        for operation, where in outcome.leaks:
            self.client.record_foreign_leak(operation, where + " (a schemathesis request)")
        self.notes.extend(outcome.notes)

    def _report(self, choice: Any, results: list[CheckResult], outcome: SchemaOutcome | None,
                schema_ops: list[str]) -> RunReport:
        spec_ops = area_operations(self.spec, AREAS)
        unsupported = set(unsupported_operations(spec_ops, self.client.log, outcome))
        required = set(self.settings.required)
        specs = {spec.name: spec for spec in self.checks}
        results = [apply_support(r, specs[r.name], unsupported, required, self.client.redactor) for r in results]
        if outcome is not None:
            area_ops: dict[str, list[str]] = {}
            for op in schema_ops:
                area_ops.setdefault(_area(op), []).append(op)
            results += schema_results(outcome, area_ops, unsupported, required, self.client.redactor)
            fold_restatements(results)
        area_order = {area: position for position, area in enumerate(AREAS)}
        results.sort(key=lambda result: area_order[result.area])
        return RunReport(
            base_url=self.settings.base_url,
            embedded=self.embedded,
            areas=[area for area in AREAS if area in self.settings.areas],
            required=sorted(required),
            models=dict(choice.models),
            model_sources=dict(choice.sources),
            seed=self.settings.seed,
            max_examples=self.settings.max_examples,
            budget=self.settings.budget,
            requests_sent=self.counter.sent,
            schemathesis_requests=outcome.requests if outcome else 0,
            schemathesis_cases=outcome.cases if outcome else 0,
            cases_per_operation=dict(sorted(outcome.cases_per_operation.items())) if outcome else {},
            results=results,
            unsupported_operations=sorted(op for op in unsupported if _area(op) in self.settings.areas),
            # Notes quote servers and exceptions: redacted here once more, whatever their source.
            notes=[self.client.redactor.text(note) for note in self.notes],
        )


def _area(operation: str) -> str:
    return area_of(operation.split(" ", 1)[1])


def run_conformance(settings: ConformSettings, *, listener: Listener | None = None,
                    embedded: bool = False) -> RunReport:
    """Run every selected check against `settings.base_url`."""
    return Runner(settings, listener=listener, embedded=embedded).run()


def run_embedded(settings: ConformSettings, *, listener: Listener | None = None) -> RunReport:
    """Start the reference server on a free loopback port with a fresh key, test it, stop it."""
    key = "sk-aitre-" + secrets.token_urlsafe(24)
    log_path = None
    if settings.report_dir is not None:
        settings.report_dir.mkdir(parents=True, exist_ok=True)
        log_path = settings.report_dir / "embedded-server.log"
    with ChildServer(key, log_path) as server:
        return run_conformance(replace(settings, base_url=server.base_url, api_key=key), listener=listener,
                               embedded=True)
