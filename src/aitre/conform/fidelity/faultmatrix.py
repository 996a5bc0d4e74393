"""Judging what a client gets from the relay when the upstream fails (the fault matrix).

One function per fault, each with the rule (paragraph 1) and the latitude (the rest) in its docstring.
A judge returns None when the relay handled the fault, else (severity, message).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aitre.conform.client import Exchange
from aitre.conform.failures import Severity
from aitre.conform.fidelity.upstream import UpstreamAnswer
from aitre.conform.sse import DONE

Verdict = tuple[Severity, str] | None
V, W = Severity.VIOLATION, Severity.WARNING


def error_object(exchange: Exchange) -> dict[str, Any] | None:
    """The `error` member of an OpenAI error object in the body, if the body is one."""
    try:
        data = json.loads(exchange.body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) and isinstance(error.get("message"), str) else None


def _error_answer(exchange: Exchange, statuses: Callable[[int], bool], wanted: str) -> Verdict:
    if exchange.status is None:
        return V, f"no answer: {exchange.error}"
    if 200 <= exchange.status < 300:
        hidden = " with an error hidden in the body" if b'"error"' in exchange.body else ""
        return V, f"the relay answered {exchange.status}{hidden}; the client takes a failure for a success"
    if not statuses(exchange.status):
        return V, f"the relay answered {exchange.status}; a client needs {wanted} to react right (retry or not)"
    if error_object(exchange) is None:
        return V, f"{exchange.status} without the OpenAI error object {{\"error\": {{\"message\", ...}}}}"
    return None


def judge_429(exchange: Exchange, upstream: UpstreamAnswer) -> Verdict:
    """An upstream 429 reaches the client as 429 with the error object and the upstream's `Retry-After`.

    A missing `Retry-After` is a violation: the SDKs wait as long as it says, and without it retry on their
    own schedule into the same limit. Latitude: another `Retry-After` value is a warning (the relay may know
    better, e.g. after its own retries).
    """
    verdict = _error_answer(exchange, lambda status: status == 429, "429")
    if verdict:
        return verdict
    given = exchange.headers.get("retry-after")
    wanted = upstream.headers.get("retry-after")
    if given is None:
        return V, f"Retry-After dropped (upstream sent {wanted!r})"
    if given != wanted:
        return W, f"Retry-After {given!r} where the upstream sent {wanted!r}"
    return None


def judge_5xx(exchange: Exchange, upstream: UpstreamAnswer) -> Verdict:
    """An upstream 500 or 503 reaches the client as a 5xx with the error object, so the SDKs retry it.

    Latitude: any 5xx (502, 503, 504 for a 500) keeps the meaning, and the message may be the relay's own.
    """
    return _error_answer(exchange, lambda status: status >= 500, "a 5xx")


def judge_400(exchange: Exchange, upstream: UpstreamAnswer) -> Verdict:
    """An upstream 400 naming a parameter reaches the client as 400 with the same `param` and the message.

    Latitude: another 4xx the SDKs map to BadRequest/UnprocessableEntity (422) is accepted; the message may
    be wrapped (prefixed or suffixed) as long as the upstream's text is in it, otherwise a warning.
    """
    verdict = _error_answer(exchange, lambda status: status in (400, 422), "400")
    if verdict:
        return verdict
    error = error_object(exchange) or {}
    try:
        up_error = json.loads(upstream.body)["error"]
    except (ValueError, KeyError, TypeError):
        return None
    if error.get("param") != up_error.get("param"):
        return V, f"param {error.get('param')!r} where the upstream named {up_error.get('param')!r}"
    if str(up_error.get("message")) not in str(error.get("message")):
        return W, f"the upstream's message was replaced: {str(error.get('message'))[:200]!r}"
    return None


def judge_not_json(exchange: Exchange, upstream: UpstreamAnswer) -> Verdict:
    """An upstream 200 whose body is not JSON (an HTML page) reaches the client as a 5xx error object.

    Latitude: any 5xx; a 4xx is a warning (the client gives up rather than retrying).
    """
    verdict = _error_answer(exchange, lambda status: status >= 400, "a 5xx")
    if verdict:
        return verdict
    if exchange.status is not None and exchange.status < 500:
        return W, f"the relay answered {exchange.status}; an upstream failure is a 5xx"
    return None


def judge_slow(exchange: Exchange, upstream: UpstreamAnswer) -> Verdict:
    """An upstream that waits before its first byte still reaches the client, within conform's timeout.

    Latitude: a relay that gives up earlier with a 5xx error object (a 504 gateway timeout) is a warning:
    the client is told, but a slow model is cut short.
    """
    if exchange.status is None:
        return V, f"no answer: {exchange.error}"
    if exchange.status == upstream.status:
        return None
    verdict = _error_answer(exchange, lambda status: status >= 500, "the answer or a 5xx")
    return verdict or (W, f"the relay gave up with {exchange.status} before the upstream answered")


def judge_cut(exchange: Exchange, upstream: UpstreamAnswer) -> Verdict:
    """An upstream stream cut in the middle reaches the client as a failure: an error event, a 5xx, or a
    broken connection, never a stream that ends normally.

    A stream ending with `[DONE]` (or without it but cleanly, with no error event) hands the client a
    truncated answer as if it were whole: violation. Latitude: how the failure is told is the relay's.
    """
    if exchange.status is not None and exchange.status >= 500:
        return None
    if exchange.error is not None and exchange.status is not None:
        return None  # the connection broke mid-answer: the SDK raises
    events = exchange.events or []
    if any('"error"' in event.data for event in events):
        return None
    if any(event.data.strip() == DONE for event in events):
        return V, "the cut stream was closed with a silent [DONE]: the client takes half an answer for all of it"
    if exchange.status is None:
        return V, f"no answer: {exchange.error}"
    return V, f"the cut stream ended cleanly after {len(events)} events, with no error"


JUDGES: dict[str, tuple[str, Callable[[Exchange, UpstreamAnswer], Verdict]]] = {
    "429": ("429 + OpenAI error + Retry-After", judge_429),
    "500": ("5xx + OpenAI error", judge_5xx),
    "503": ("5xx + OpenAI error", judge_5xx),
    "400": ("400 + OpenAI error, param and message kept", judge_400),
    "slow": ("the answer, no hang", judge_slow),
    "cut": ("an error, not a silent end", judge_cut),
    "notjson": ("5xx + OpenAI error, not a 200", judge_not_json),
}
