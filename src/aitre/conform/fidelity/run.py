"""A fidelity run: the marked exchanges and the fault matrix through the relay, each paired with the
upstream's answer by its marker, compared, and gathered into a `FidelityReport`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from aitre.conform.client import ConformClient, Exchange
from aitre.conform.failures import BudgetExhausted, Severity, TransportFailure
from aitre.conform.fidelity.diff import Collector, compare_json
from aitre.conform.fidelity.exchanges import CHAT, PLANS, Plan, fault_request
from aitre.conform.fidelity.faultmatrix import JUDGES
from aitre.conform.fidelity.model import ExchangeResult, FaultResult, FidelityReport
from aitre.conform.fidelity.streams import compare_streams
from aitre.conform.fidelity.upstream import Upstream, UpstreamAnswer, new_marker

NOT_FORWARDED = "the upstream never saw this request: is the relay's channel for this model pointed at --upstream?"


def _send(client: ConformClient, operation: str, request: dict[str, Any]) -> Exchange | None:
    try:
        return client.request(operation, **request)
    except TransportFailure as exc:
        return exc.exchange if isinstance(exc.exchange, Exchange) else None
    except BudgetExhausted:
        return None


def _media(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def compare_exchange(plan: Plan, relay: Exchange, upstream: UpstreamAnswer, found: Collector,
                     requested_model: str) -> None:
    """Status, Content-Type and body of one relay answer against the upstream's, into `found`."""
    if relay.status != upstream.status:
        same_class = relay.status is not None and relay.status // 100 == upstream.status // 100
        found("(status)", "status", upstream.status, relay.status, Severity.WARNING if same_class
              else Severity.VIOLATION, "the status the client got is not the upstream's")
        return
    if relay.error is not None:
        found("(answer)", "lost", "a whole answer", relay.error, Severity.VIOLATION, "the relay's answer broke off")
        return
    up_type, relay_type = upstream.content_type, relay.content_type
    if up_type != relay_type:
        generic = relay_type == "application/octet-stream" and plan.kind == "binary"
        found("(header) Content-Type", "header", up_type, relay_type or "(none)",
              Severity.WARNING if generic else Severity.VIOLATION, "the media type changed")
        if not generic:
            return
    if plan.kind == "stream":
        compare_streams(upstream.body, relay.body, found, kind=plan.stream_kind, requested_model=requested_model)
    elif plan.kind == "binary" or up_type != "application/json":
        if upstream.body != relay.body:
            found("(body)", "content", f"{len(upstream.body)} bytes", f"{len(relay.body)} bytes",
                  Severity.VIOLATION, "the bytes differ")
    else:
        try:
            up_json, relay_json = json.loads(upstream.body), json.loads(relay.body)
        except ValueError:
            found("(body)", "content", "JSON", relay.text[:100], Severity.VIOLATION, "the relay's body is not JSON")
            return
        compare_json(up_json, relay_json, found, requested_model=requested_model)


class FidelityRun:
    """Carries one fidelity run over a relay client (the run's `ConformClient`) and the upstream."""

    def __init__(self, client: ConformClient, upstream: Upstream, models: Mapping[str, str | None],
                 areas: frozenset[str]) -> None:
        self.client, self.upstream, self.models, self.areas = client, upstream, models, areas

    def redact(self, text: str) -> str:
        return self.upstream.redactor.text(self.client.redactor.text(text))

    def run(self) -> FidelityReport:
        started = time.monotonic()
        report = FidelityReport(self.upstream.url)
        plans = [plan for plan in PLANS if plan.area in self.areas and self.models.get(plan.role)]
        faults = list(JUDGES) if "chat" in self.areas and self.models.get("chat") else []
        if not faults:
            report.notes.append("the fault matrix needs a chat model; none was found, so faults were not tried")
        jobs: list[Callable[[], None]] = [partial(self._exchange, plan, report) for plan in plans]
        jobs += [partial(self._fault, fault, report) for fault in faults]
        # The slow fault waits on the upstream; running the jobs side by side keeps it off the critical path.
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="fidelity") as pool:
            list(pool.map(lambda job: job(), jobs))
        order = {plan.name: position for position, plan in enumerate(PLANS)}
        report.exchanges.sort(key=lambda result: order[result.name])
        report.differences.sort(key=lambda difference: order[difference.exchange])
        report.faults.sort(key=lambda result: list(JUDGES).index(result.fault))
        skipped = [result for result in report.exchanges if result.skipped]
        if skipped and len(skipped) == len(report.exchanges):
            report.notes.append("no exchange could be compared: " + skipped[0].skipped)
        report.elapsed = time.monotonic() - started
        return report

    def _exchange(self, plan: Plan, report: FidelityReport) -> None:
        model = self.models[plan.role] or ""
        marker = new_marker()
        result = ExchangeResult(plan.name, plan.operation, marker)
        relay = _send(self.client, plan.operation, plan.build(model, f"Say hello. {marker}"))
        answers = self.upstream.answers(marker) if relay is not None else []
        result.relay_status = relay.status if relay is not None else None
        result.upstream_status = answers[-1].status if answers else None
        if relay is None:
            result.skipped = "the request budget is spent"
        elif not answers:
            result.skipped = NOT_FORWARDED
        else:
            found = Collector(plan.name, plan.operation, self.redact)
            compare_exchange(plan, relay, answers[-1], found, model)
            report.differences.extend(found.found)
            if found.more:
                report.notes.append(f"{plan.name}: {found.more} more differences not shown")
        report.exchanges.append(result)

    def _fault(self, fault: str, report: FidelityReport) -> None:
        expected, judge = JUDGES[fault]
        marker = new_marker()
        relay = _send(self.client, CHAT, fault_request(fault, self.models.get("chat") or "", marker))
        answers = self.upstream.answers(marker) if relay is not None else []
        fired = [answer for answer in answers if answer.fault == fault]
        relay_shown = "no answer" if relay is None or relay.status is None else str(relay.status)
        if relay is not None and relay.error:
            relay_shown += f" ({relay.error[:80]})"
        if relay is None or not fired:
            why = ("the request budget is spent" if relay is None else NOT_FORWARDED if not answers
                   else "the upstream did not fail: start it with `aitre serve --faults`")
            report.faults.append(FaultResult(fault, CHAT, expected, "-", relay_shown, None, why, skipped=True))
            return
        upstream = fired[-1]
        up_shown = f"{upstream.status}" + ("" if upstream.complete else " (cut)")
        if len(answers) > 1:
            up_shown += f", asked {len(answers)} times"
        verdict = judge(relay, upstream)
        severity, message = verdict if verdict else (None, "handled")
        report.faults.append(FaultResult(fault, CHAT, expected, up_shown, self.redact(relay_shown), severity,
                                         self.redact(message)))
