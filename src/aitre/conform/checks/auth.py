"""Authentication: a missing or wrong key is refused with 401, and the key is never repeated back."""

from __future__ import annotations

import secrets

from aitre.conform.checks._common import CHAT, MODELS, chat_body, require_error
from aitre.conform.context import CheckContext
from aitre.conform.failures import KeyLeaked
from aitre.conform.registry import check


@check("auth", "missing key", MODELS)
def missing_key_is_401(ctx: CheckContext) -> None:
    """GET /v1/models without Authorization gets 401 and the OpenAI error object.

    Any `type` and `code` values are accepted; relays use their own (`new_api_error`, `invalid_api_key`).
    """
    require_error(ctx.send(MODELS, auth=False), 401)


@check("auth", "missing key", CHAT)
def missing_key_is_401_on_post(ctx: CheckContext) -> None:
    """A valid chat request without Authorization gets 401, not an answer and not a validation error.

    The body is complete and valid, so a 400 would mean the key is checked after the body (or not at all).
    """
    body = {"model": ctx.models.get("chat") or "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    require_error(ctx.send(CHAT, json_body={**body, "max_tokens": 1}, auth=False), 401)


@check("auth", "wrong key", MODELS)
def wrong_key_is_401(ctx: CheckContext) -> None:
    """A syntactically plausible but unknown bearer key gets 401 and the OpenAI error object.

    The key is random per run, so no server can know it.
    """
    wrong = "sk-aitre-conform-" + secrets.token_hex(16)
    require_error(ctx.send(MODELS, auth=False, headers={"Authorization": f"Bearer {wrong}"}), 401)


@check("auth", "wrong key", MODELS)
def malformed_authorization_is_401(ctx: CheckContext) -> None:
    """An Authorization header that is not `Bearer <key>` (here: HTTP Basic credentials) gets 401.

    Only the status and the error object are checked; the message may say anything.
    """
    require_error(ctx.send(MODELS, auth=False, headers={"Authorization": "Basic YWl0cmU6Y29uZm9ybQ=="}), 401)


@check("auth", "wrong key", CHAT)
def wrong_key_is_401_on_post(ctx: CheckContext) -> None:
    """A valid chat request with an unknown key gets 401; the relay must not forward it upstream.

    Uses the run's chat model so the body itself is acceptable.
    """
    wrong = "sk-aitre-conform-" + secrets.token_hex(16)
    exchange = ctx.send(CHAT, json_body=chat_body(ctx, max_tokens=1), headers={"Authorization": f"Bearer {wrong}"})
    require_error(exchange, 401)


@check("auth", "key not echoed", final=True)
def key_never_echoed(ctx: CheckContext) -> None:
    """No response of the whole run (ours or schemathesis's) repeats the API key, in body or headers.

    The key counts as echoed in full or without its `sk-` prefix; masked forms such as `sk-abc***` are fine.
    """
    leaks = list(ctx.client.leaks)
    if leaks:
        first = leaks[0]
        places = sorted({f"{leak.operation} ({leak.where})" for leak in leaks})
        raise KeyLeaked(
            f"{len(leaks)} response(s) contained the API key: {'; '.join(places[:5])}",
            operation=first.operation,
            exchange=first.exchange,
        )
