"""Turning what checks and schemathesis raised into redacted results, and deciding what is "not supported"."""

from __future__ import annotations

import hashlib
import re
import shlex
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from aitre.conform.checks._common import route_evidence
from aitre.conform.client import UNSUPPORTED_STATUSES, Exchange
from aitre.conform.failures import Failure, NotSupportedButRequired
from aitre.conform.redact import Redactor
from aitre.conform.registry import CheckSpec
from aitre.conform.results import CheckResult, FailureRecord, Outcome
from aitre.conform.schema_checks import SchemaOutcome
from aitre.conform.schema_records import RawFailure
from aitre.conform.schema_verdicts import FEATURES, LATITUDE, RULES, allow_lists_supported

EXCERPT = 1500


def unsupported_operations(
    spec_operations: Iterable[str], log: Iterable[Exchange], schema: SchemaOutcome | None
) -> list[str]:
    """Spec operations the server does not offer, judged from every authenticated answer to them.

    An operation is supported once any authenticated answer is 2xx (or a server error other than 501,
    which shows the route ran), or a refusal shows its handler ran (an error naming a field or an
    unknown model). Otherwise a 404, 405 or 501 among the answers means the route is missing: a body
    parser's 400 to a malformed request proves nothing about routing. Only 4xx refusals and no
    404/405/501 means the route exists and refuses everything, which the checks then report.
    """
    known = set(spec_operations)
    statuses: dict[str, list[int]] = defaultdict(list)
    routed: set[str] = set(schema.routed) if schema is not None else set()
    for exchange in log:
        if exchange.authenticated and exchange.status is not None and exchange.operation in known:
            statuses[exchange.operation].append(exchange.status)
            if route_evidence(exchange.status, exchange.body):
                routed.add(exchange.operation)
    if schema is not None:
        for operation, seen in schema.statuses.items():
            statuses[operation].extend(seen)
    return sorted(op for op, seen in statuses.items() if op not in routed and not _offered(seen))


def _offered(statuses: list[int]) -> bool:
    if any(200 <= status < 300 or (status >= 500 and status != 501) for status in statuses):
        return True
    return not any(status in UNSUPPORTED_STATUSES for status in statuses)


def failure_record(spec: CheckSpec, failure: Failure, redactor: Redactor) -> FailureRecord:
    """A check's failure as reported, with the key removed from every field."""
    exchange = failure.exchange if isinstance(failure.exchange, Exchange) else None
    files = (exchange.request_file_data or {}) if exchange is not None else {}
    names = (exchange.request_files or {}) if exchange is not None else {}
    paths = {name: attachment_path(name, names.get(name, name), data) for name, data in files.items()}
    request: dict[str, object] | None = None
    if exchange is not None:
        body = redactor.text(exchange.request_body.decode("utf-8", errors="replace")) if exchange.request_body else None
        request = {
            "method": exchange.method,
            "url": exchange.url,
            "headers": {name: redactor.curl(value) for name, value in exchange.request_headers.items()},
            "body": body[:EXCERPT] if body else None,
            "form": exchange.request_form,
            "files": exchange.request_files,
        }
    return FailureRecord(
        check=spec.name,
        area=spec.area,
        feature=spec.feature,
        operation=failure.operation or (exchange.operation if exchange else None),
        title=failure.title,
        message=redactor.text(failure.message),
        request=request,
        status=exchange.status if exchange else None,
        response_excerpt=redactor.text(exchange.excerpt(EXCERPT)) if exchange else None,
        curl=redactor.curl(exchange.curl(dict(paths))) if exchange else None,
        severity=failure.severity,
        attachments=tuple((paths[name], data) for name, data in files.items()),
        cause=redactor.text(failure.cause) if failure.cause else spec.name,
    )


def apply_support(
    result: CheckResult, spec: CheckSpec, unsupported: set[str], required: set[str], redactor: Redactor
) -> CheckResult:
    """Mark a check "not supported" when one of its operations is; a violation when its area is required."""
    missing = [op for op in spec.operations if op in unsupported]
    if not missing:
        return result
    reason = f"{', '.join(missing)}: no authenticated request got a 2xx, and the server answered 404/405/501"
    if spec.area not in required:
        result.outcome, result.reason, result.failures = Outcome.NOT_SUPPORTED, reason, []
        return result
    failure = NotSupportedButRequired(f"{reason}, and --require names {spec.area}", operation=missing[0])
    result.outcome, result.reason = Outcome.FAIL, reason
    result.failures = [failure_record(spec, failure, redactor)]
    return result


def schema_results(
    outcome: SchemaOutcome,
    area_ops: Mapping[str, list[str]],
    unsupported: set[str],
    required: set[str],
    redactor: Redactor,
) -> list[CheckResult]:
    """One result per area and schemathesis check that ran there (plus request failures)."""
    results = []
    for area, operations in area_ops.items():
        supported = [op for op in operations if op not in unsupported]
        for check in (*FEATURES, "network"):
            failures = [raw for op in supported for raw in outcome.failures.get((op, check), [])]
            count = sum(outcome.failure_counts.get((op, check), 0) for op in supported)
            passes = sum(outcome.passes.get((op, check), 0) for op in supported)
            if check == "allow_header_conformance":
                # An Allow header may leave out methods the server does not support at all.
                explained = [raw for raw in failures if allow_lists_supported(
                    raw.response_headers.get("allow"), raw.operation.split(" ", 1)[1], outcome.declared_methods,
                    unsupported)]
                failures = [raw for raw in failures if raw not in explained]
                count, passes = count - len(explained), passes + len(explained)
            feature = FEATURES.get(check, "schema")
            result = CheckResult(
                name=f"schemathesis.{check}",
                area=area,
                feature=feature,
                rule=RULES.get(check, "Generated requests get an answer."),
                latitude=LATITUDE.get(check, ""),
                outcome=Outcome.PASS,
                operations=tuple(operations),
                source="schemathesis",
            )
            if failures:
                result.failures = [_schema_record(raw, area, feature, redactor) for raw in failures]
                result.settle()
                if count > len(failures):
                    result.reason = f"{count} failing cases; the first {len(failures)} are shown"
            elif passes:
                result.reason = f"{passes} cases passed"
            elif operations and not supported and check == "status_code_conformance":
                result.outcome = Outcome.FAIL if area in required else Outcome.NOT_SUPPORTED
                result.reason = "no operation of the area got a 2xx, and the server answered 404/405/501"
            elif unjudged := sum(outcome.unjudged.get((op, check), 0) for op in supported):
                # Nothing was judged: a redirect is not followed, so it shows nothing of the operation.
                result.outcome = Outcome.SKIPPED
                result.reason = f"not run: all {unjudged} answers were 3xx redirects, which are not followed"
            elif outcome.stopped and check in FEATURES:
                result.outcome = Outcome.SKIPPED
                result.reason = f"not run: {outcome.stopped}"
            else:
                continue
            results.append(result)
    return results


def _schema_record(raw: RawFailure, area: str, feature: str, redactor: Redactor) -> FailureRecord:
    curl, attachments = _curl(raw)
    body = None
    if raw.request_body:
        body = redactor.text(raw.request_body.decode("utf-8", errors="replace"))[:EXCERPT]
    request: dict[str, object] | None = None
    if raw.method:
        request = {
            "method": raw.method,
            "url": raw.url,
            "headers": {name: redactor.curl(value) for name, value in raw.request_headers.items()},
            "body": redactor.text(body) if body else None,
        }
    excerpt = None
    if raw.response_body is not None:
        text = raw.response_body.decode("utf-8", errors="replace")
        excerpt = redactor.text(text)[:EXCERPT]
    return FailureRecord(
        check=f"schemathesis.{raw.check}",
        area=area,
        feature=feature,
        operation=raw.operation,
        title=raw.title,
        message=redactor.text(f"{raw.message}\n({raw.why})" if raw.why else raw.message)[:4000],
        request=request,
        status=raw.status,
        response_excerpt=excerpt,
        curl=redactor.curl(curl) if raw.method else None,
        severity=raw.severity,
        attachments=attachments if raw.method else (),
        cause=redactor.text(raw.why) if raw.why else f"schemathesis.{raw.check}",
        authenticated=raw.authenticated,
    )


def attachment_path(name: str, filename: str, data: bytes) -> str:
    """Where a request's file is written, relative to the report directory (named by content, so stable)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:60] or name
    return f"files/{hashlib.sha256(data).hexdigest()[:12]}-{safe}"


def _curl(raw: RawFailure) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """The curl of a schemathesis request; a body that is not plain text goes to a file it reads."""
    parts = ["curl", "-sS", "-X", raw.method or "GET", shlex.quote(raw.url or "")]
    for name, value in raw.request_headers.items():
        if name.lower() in ("content-length", "accept-encoding", "connection", "user-agent", "accept"):
            continue
        escaped = f"{name}: {value}".replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        parts += ["-H", f'"{escaped}"']
    attachments: tuple[tuple[str, bytes], ...] = ()
    if raw.request_body:
        try:
            text = raw.request_body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            # Raw bytes (a multipart form with a picture) cannot be pasted into a shell: curl reads the file.
            path = attachment_path("body", "request.body", raw.request_body)
            attachments = ((path, raw.request_body),)
            parts += ["--data-binary", shlex.quote(f"@{path}")]
        else:
            parts += ["--data-binary", shlex.quote(text)]
    return " ".join(parts), attachments


# Purpose-built checks that a schemathesis finding may only restate: the finding's check, which of its
# findings (by status, and by a phrase of the message when not empty) restate, and the checks that already
# report the cause.
_AUTH_CHECKS = ("missing_key_is_401", "missing_key_is_401_on_post", "wrong_key_is_401", "wrong_key_is_401_on_post")
_RESTATES: tuple[tuple[str, tuple[int, int], str, tuple[str, ...]], ...] = (
    ("schemathesis.ignored_auth", (0, 1000), "", _AUTH_CHECKS),
    ("schemathesis.missing_required_header", (0, 1000), "'Authorization'", _AUTH_CHECKS),
    ("schemathesis.response_schema_conformance", (400, 500), "", ("every_4xx_has_error_object",)),
)


def fold_restatements(results: list[CheckResult]) -> None:
    """One root cause, one group: schemathesis findings that restate a failed purpose-built check move
    into that check as further examples, so a server without auth or without the error object is one
    finding (with a count), not one per operation and area."""
    failed = {result.name: result for result in results if result.outcome is Outcome.FAIL}
    auth_failed = next((failed[name] for name in _AUTH_CHECKS if name in failed), None)
    for result in results:
        if auth_failed is not None and result.name.startswith("schemathesis.") and result.failures:
            # Any schemathesis finding on a request sent without the key (its auth probes) is the
            # answer of a server that mishandles authentication: that check's finding, not a new one.
            _move(result, auth_failed, [f for f in result.failures if f.authenticated is False])
        for check, (low, high), phrase, causes in _RESTATES:
            target = next((failed[name] for name in causes if name in failed), None)
            if result.name != check or target is None or not result.failures:
                continue
            restating = [f for f in result.failures
                         if f.status is not None and low <= f.status < high and phrase in f.message]
            if not restating:
                continue
            _move(result, target, restating)


def _move(result: CheckResult, target: CheckResult, restating: list[FailureRecord]) -> None:
    """Move `restating` findings of `result` into `target` (a few as examples, under its cause)."""
    if not restating:
        return
    # Restatements join the target's cause, so the defect stays one group.
    cause = target.failures[0].cause if target.failures else target.name
    target.failures.extend(replace(f, cause=cause) for f in restating[: max(0, 3 - len(target.failures) + 1)])
    result.failures = [f for f in result.failures if f not in restating]
    note = f"{len(restating)} finding(s) restate {target.name}, and are reported there"
    result.reason = f"{note}; {result.reason}" if result.reason else note
    if result.failures:
        result.settle()
    else:
        # No verdict of its own: the cause is the target's finding.
        result.outcome = Outcome.SKIPPED
