"""Servers with one pervasive defect each (issue 12): the defect is one root cause, nothing else changes,
every supported operation still gets its schemathesis cases, and every finding can be repeated.

The defects: no authentication at all; a plain-text 500 to requests without a key; no `param` in any
error object; no event streams (a request with `stream: true` is answered as if it had none); a body
parser that answers 400 to every POST.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aitre.conform.results import Outcome, RunReport
from tests.conform.conftest import run_checks
from tests.conform.servers import KEY, Breakable, Breaker, reference_app, serve
from tests.conform.test_runs import _drop_param
from tests.conform.variants import App, Captured, NoAuth, Scope, Variant, call, json_answer

MAX_EXAMPLES = 3


class NoStreaming(Variant):
    """Ignores `stream: true`: the answer is the plain JSON the request would get without it."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("stream") is True:
            data.pop("stream")
            data.pop("stream_options", None)
            body = json.dumps(data).encode()
        return await call(self.app, scope, body)


class ParserRefusesEverything(Variant):
    """A body parser in front of every route that refuses every POST with a 400 naming no field."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        if scope["method"] != "POST":
            return await call(self.app, scope, body)
        error = {"message": "the request body could not be parsed", "type": "invalid_request_error",
                 "param": None, "code": None}
        return Captured(*json_answer(400, {"error": error}))


class CrashesWithoutKey(Variant):
    """Answers a request without `Authorization` with a plain-text 500 (a relay whose key lookup fails)."""

    async def handle(self, scope: Scope, body: bytes) -> Captured:
        if not any(name.lower() == b"authorization" for name, _ in scope["headers"]):
            return Captured(500, [(b"content-type", b"text/plain; charset=utf-8")], b"Internal Server Error")
        return await call(self.app, scope, body)


def _no_param(app: App) -> App:
    breakable = Breakable(app)
    breakable.breakers = [Breaker(method, "/*", _drop_param) for method in ("GET", "POST", "DELETE")]
    return breakable


DEFECTS: dict[str, Callable[[App], App]] = {
    "no auth": lambda app: NoAuth(app, KEY),
    "500 without a key": CrashesWithoutKey,
    "no param in errors": _no_param,
    "no event streams": NoStreaming,
    "body parser refuses every POST": ParserRefusesEverything,
}


def _run(app: Any) -> RunReport:
    with serve(app) as url:
        return run_checks(url, None, schema_checks=True, max_examples=MAX_EXAMPLES)


@pytest.fixture(scope="module")
def reference() -> Iterator[RunReport]:
    yield _run(reference_app())


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_one_pervasive_defect_is_one_cause_and_changes_nothing_else(defect: str, reference: RunReport) -> None:
    report = _run(DEFECTS[defect](reference_app()))

    causes = report.causes()
    assert len(causes) == 1, [(cause.text, cause.checks) for cause in causes]
    explained = set(causes[0].checks)
    # Every other result is as on the reference server, or the defect's shadow: blocked by (or restating)
    # a check of the cause, or not supported because the defect hides the operation.
    before = {result.name: result.outcome for result in reference.results}
    unsupported = set(report.unsupported_operations)
    changed = {
        result.name: (before.get(result.name), result.outcome, result.reason[:80]) for result in report.results
        if result.name not in explained and result.outcome is not before.get(result.name)
        and not any(name in result.reason for name in explained)
        and not (result.outcome is Outcome.NOT_SUPPORTED and unsupported)
    }
    assert changed == {}

    # Continue past failing cases: every supported operation gets its example budget.
    starved = {operation: count for operation, count in report.cases_per_operation.items()
               if " /" in operation and operation not in unsupported and count < MAX_EXAMPLES}
    assert starved == {}

    # Every finding carries its exchange: the request, an excerpt of the answer, and a curl.
    bare = [(failure.check, failure.operation) for result in report.results for failure in result.failures
            if not (failure.request and failure.curl and failure.response_excerpt is not None)]
    assert bare == []


def test_the_reference_server_has_no_cause(reference: RunReport) -> None:
    assert reference.causes() == []
    assert not reference.unsupported_operations
