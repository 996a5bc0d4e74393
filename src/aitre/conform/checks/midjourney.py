"""MidJourney tasks: submit, poll to a terminal state, press a button, list by ids, unknown ids."""

from __future__ import annotations

import itertools
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aitre.conform.checks._common import (
    MJ_ACTION,
    MJ_FETCH,
    MJ_IMAGINE,
    MJ_LIST,
    MJ_SEED,
    is_int,
    js,
    json_type,
    ok_json,
    require_error,
)
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import ContractViolation, NotSupported, Skipped, expect
from aitre.conform.registry import check

STATUSES = frozenset({"NOT_START", "SUBMITTED", "MODAL", "IN_PROGRESS", "FAILURE", "SUCCESS", "CANCEL", ""})
TERMINAL = frozenset({"SUCCESS", "FAILURE", "CANCEL"})
# A task never moves backwards through these ranks (MODAL waits at the same stage as IN_PROGRESS).
_RANK = {"": 0, "NOT_START": 0, "SUBMITTED": 1, "IN_PROGRESS": 2, "MODAL": 2, "SUCCESS": 3, "FAILURE": 3, "CANCEL": 3}
PROGRESS = re.compile(r"^((100|[1-9]?[0-9])%)?$")
# Codes that mean "a task exists now": 1 submitted, 21 exists / waits for a modal, 22 queued.
ACCEPTED_CODES = frozenset({1, 21, 22})
PROMPT = "a small red cube on a white table --v 6"
# The `state` tags the shared imagine and upscale tasks carry, judged by mj_state_returned_unchanged.
IMAGINE_STATE, UPSCALE_STATE = "aitre-conform imagine 7", "aitre-conform upscale 8"


@dataclass
class TaskRun:
    """A submitted task and every state it was fetched in, oldest first."""

    task_id: str
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> dict[str, Any]:
        return self.snapshots[-1]


def accepted(exchange: Exchange) -> tuple[str, int]:
    """The task id and code of an accepted submission; a refusal code skips (the relay's right), a malformed
    answer fails."""
    answer = ok_json(exchange)
    code = answer.get("code")
    expect(is_int(code), f"submit answer code is {js(code)}, not an integer")
    expect(isinstance(answer.get("description"), str), f"submit answer description is {js(answer.get('description'))}")
    if code not in ACCEPTED_CODES:
        raise Skipped(f"the relay refused the submission: code {code} ({answer.get('description')})")
    result = answer.get("result")
    expect(isinstance(result, str) and result, f"code {code} but result is {js(result)}, not a task id")
    return result, code  # type: ignore[return-value]  # expect() above checked the shape


def submit(ctx: CheckContext, operation: str, body: dict[str, Any]) -> str:
    """Submit a task and return its id; a refusal code skips (the relay's right), a malformed answer fails."""
    return accepted(ctx.send(operation, json_body=body))[0]


def check_snapshot(task: dict[str, Any], task_id: str, where: str, *, picture: bool = True) -> None:
    """One fetched state of a task; `picture` False for kinds that end without one (shorten, describe)."""
    expect(task.get("id") == task_id, f"{where}: id is {js(task.get('id'))}, fetched {js(task_id)}")
    status = task.get("status")
    expect(status in STATUSES, f"{where}: status {js(status)} is not in the enum")
    progress = task.get("progress")
    well_formed = progress is None or (isinstance(progress, str) and PROGRESS.match(progress))
    expect(well_formed, f"{where}: progress {js(progress)} is not `N%`")
    times = [(name, task.get(name)) for name in ("submitTime", "startTime", "finishTime")]
    set_times = [(name, value) for name, value in times if value]
    for name, value in set_times:
        expect(is_int(value) and value > 10**11, f"{where}: {name} = {js(value)} is not Unix milliseconds")
    for (first, a), (second, b) in itertools.pairwise(set_times):
        expect(a <= b, f"{where}: {first} {a} is after {second} {b}")
    if status == "SUCCESS":
        expect(progress == "100%", f"{where}: SUCCESS with progress {js(progress)}")
        expect(task.get("finishTime"), f"{where}: SUCCESS without finishTime")
        if picture:
            expect(isinstance(task.get("imageUrl"), str) and task["imageUrl"], f"{where}: SUCCESS without imageUrl")
    if status == "FAILURE":
        expect(isinstance(task.get("failReason"), str) and task["failReason"], f"{where}: FAILURE without failReason")


def poll(ctx: CheckContext, task_id: str, *, picture: bool = True) -> TaskRun:
    """Fetch a task until it is terminal, checking every snapshot; bounded in fetches and time."""
    run = TaskRun(task_id)
    limits = ctx.limits
    delay, started = 0.05, time.monotonic()
    for attempt in range(limits.mj_max_polls):
        task = ok_json(ctx.send(MJ_FETCH, path=f"/mj/task/{task_id}/fetch"))
        check_snapshot(task, task_id, f"fetch #{attempt + 1}", picture=picture)
        if run.snapshots:
            before: Any = run.snapshots[-1].get("status")
            now: Any = task.get("status")
            expect(_RANK[now] >= _RANK[before], f"fetch #{attempt + 1}: status went back from {before} to {now}")
        run.snapshots.append(task)
        if task.get("status") in TERMINAL:
            return run
        if time.monotonic() - started > limits.mj_max_wait:
            break
        time.sleep(delay)
        delay = min(delay * 1.5, limits.mj_poll_interval)
    raise ContractViolation(
        f"task {task_id} still {js(run.final.get('status'))} after {len(run.snapshots)} fetches "
        f"and {time.monotonic() - started:.0f} s"
    )


def imagine(ctx: CheckContext) -> TaskRun:
    """One imagine task polled to its end, shared by the MJ checks."""
    body = {"prompt": PROMPT, "state": IMAGINE_STATE}
    return ctx.shared("mj:imagine", lambda: poll(ctx, submit(ctx, MJ_IMAGINE, body)))


def upscale(ctx: CheckContext) -> TaskRun:
    """One button of the shared imagine task pressed (an upsample preferred) and polled to its end."""
    return ctx.shared("mj:upscale", lambda: _press_a_button(ctx))


def _press_a_button(ctx: CheckContext) -> TaskRun:
    source = imagine(ctx).final
    if source.get("status") != "SUCCESS":
        raise Skipped(f"the imagine task ended {source.get('status')}, so it has no buttons")
    buttons = [b for b in source.get("buttons") or [] if isinstance(b, dict) and isinstance(b.get("customId"), str)]
    expect(buttons, "a SUCCESS imagine task has no buttons with a customId")
    button = next((b for b in buttons if "upsample" in b["customId"]), buttons[0])
    body = {"taskId": source["id"], "customId": button["customId"], "state": UPSCALE_STATE}
    new_id = submit(ctx, MJ_ACTION, body)
    expect(new_id != source["id"], f"the action returned the source task's own id {js(new_id)}")
    return poll(ctx, new_id)


@check("midjourney", "submit", MJ_IMAGINE)
def mj_submit_answer_shape(ctx: CheckContext) -> None:
    """POST /mj/submit/imagine answers 200 `{code, description, result}`; codes 1/21/22 carry a task id.

    Other codes (23 queue full, 24 banned prompt) are refusals the relay may give: skipped, not failed.
    """
    imagine(ctx)


@check("midjourney", "lifecycle", MJ_IMAGINE, MJ_FETCH)
def mj_task_reaches_terminal_state(ctx: CheckContext) -> None:
    """Polling a new imagine task: status in the enum and never moving back, progress `N%`, ms timestamps in
    order, ending SUCCESS (progress 100%, imageUrl, finishTime) or FAILURE (failReason) within the poll bound.

    Unset timestamps may be 0 or null; a relay that has not polled upstream yet may report status "".
    """
    final = imagine(ctx).final
    expect(final.get("action") in (None, "", "IMAGINE"), f"the imagine task has action {js(final.get('action'))}")


@check("midjourney", "action", MJ_IMAGINE, MJ_FETCH, MJ_ACTION)
def mj_button_action_starts_new_task(ctx: CheckContext) -> None:
    """Pressing a button of a finished task (/mj/submit/action with its customId) starts a new task with
    another id that is fetchable and reaches a terminal state.

    An upsample button is preferred; a task that failed has no buttons and skips the check.
    """
    upscale(ctx)


@check("midjourney", "list", MJ_IMAGINE, MJ_LIST)
def mj_list_by_condition_returns_requested(ctx: CheckContext) -> None:
    """list-by-condition with a known and an unknown id returns an array holding the known task only.

    Order is not specified; the items may carry any task fields.
    """
    task_id = imagine(ctx).task_id
    unknown = f"9{secrets.randbelow(10**15):015d}"
    answer = ctx.send(MJ_LIST, json_body={"ids": [task_id, unknown]})
    answer.require_status(200)
    items = answer.json()
    expect(isinstance(items, list), f"list-by-condition answered {json_type(items)}, not an array")
    ids: list[Any] = [item.get("id") for item in items if isinstance(item, dict)]
    expect(task_id in ids, f"the known task {task_id} is missing from {ids}")
    extra = sorted(set(ids) - {task_id})
    expect(not extra, f"list-by-condition returned ids that were not asked for: {extra}")


@check("midjourney", "unknown id", MJ_FETCH)
def mj_unknown_task_is_404(ctx: CheckContext) -> None:
    """Fetching a task id that does not exist gets 404 with the error object.

    novicezk's proxy answers 200 with an empty body; the spec does not allow that.
    """
    unknown = f"9{secrets.randbelow(10**15):015d}"
    require_error(ctx.send(MJ_FETCH, path=f"/mj/task/{unknown}/fetch"), 404)


@check("midjourney", "mj-api-secret", MJ_LIST)
def mj_secret_header_accepted(ctx: CheckContext) -> None:
    """On /mj routes a key accepted in the `mj-api-secret` header (instead of Authorization) works as with it.

    The spec documents the header as an alternative security scheme (midjourney-proxy clients send it,
    new-api reads it), but AITRE's own pages show only the bearer key (spec M2): a server that refuses
    the header with 401 or 403 does not offer it ("not supported"), which is no violation.
    """
    key = ctx.client.auth_headers().get("Authorization", "").removeprefix("Bearer ")
    if not key:
        raise Skipped("no API key configured")
    answer = ctx.send(MJ_LIST, json_body={"ids": []}, auth=False, headers={"mj-api-secret": key})
    if answer.status in (401, 403):
        raise NotSupported(f"the server refuses the mj-api-secret header ({answer.status}); it takes the bearer key")
    answer.require_status(200)
    expect(isinstance(answer.json(), list), "list-by-condition with mj-api-secret did not answer an array")


@check("midjourney", "image seed", MJ_IMAGINE, MJ_FETCH, MJ_SEED)
def mj_image_seed_of_finished_task(ctx: CheckContext) -> None:
    """GET /mj/task/{id}/image-seed of a finished imagine task answers `{code, description, result}`;
    with code 1 the seed in `result` is a non-empty string.

    A relay may refuse with another code (its upstream may not keep seeds): skipped, not failed.
    """
    source = imagine(ctx).final
    if source.get("status") != "SUCCESS":
        raise Skipped(f"the imagine task ended {source.get('status')}, so it has no seed")
    answer = ok_json(ctx.send(MJ_SEED, path=f"/mj/task/{source['id']}/image-seed"))
    code = answer.get("code")
    expect(is_int(code), f"image-seed code is {js(code)}, not an integer")
    if code != 1:
        raise Skipped(f"the relay gives no seed: code {code} ({answer.get('description')})")
    seed = answer.get("result")
    expect(isinstance(seed, str) and seed, f"image-seed code 1 with result {js(seed)}")


MODE_PREFIXES = ("/mj-fast", "/mj-turbo", "/mj-relax")


@check("midjourney", "mode prefixes", MJ_IMAGINE, MJ_FETCH)
def mj_mode_prefixes_route_alike(ctx: CheckContext) -> None:
    """Under each mode prefix (`/mj-fast`, `/mj-turbo`, `/mj-relax`) a route answers as under `/mj`: an
    imagine submission answers `{code, description, result}` and its task fetches by id under the prefix.

    A relay without mode routing may answer 404 on every prefixed route: reported as not supported. A
    refusal code (23, 24) skips; whether the mode changes the speed is not observable.
    """
    for prefix in MODE_PREFIXES:
        exchange = ctx.send(MJ_IMAGINE, path=f"{prefix}/mj/submit/imagine", json_body={"prompt": PROMPT})
        if exchange.status == 404:
            raise NotSupported(f"{prefix}/mj/submit/imagine answers 404: no mode routing")
        answer = ok_json(exchange)
        code = answer.get("code")
        expect(is_int(code) and isinstance(answer.get("description"), str),
               f"{prefix}: submit answer is {str(answer)[:120]}, not {{code, description, result}}")
        if code not in ACCEPTED_CODES:
            raise Skipped(f"{prefix}: the relay refused the submission: code {code}")
        task_id = answer.get("result")
        expect(isinstance(task_id, str) and task_id, f"{prefix}: code {code} but result is {js(task_id)}")
        task = ok_json(ctx.send(MJ_FETCH, path=f"{prefix}/mj/task/{task_id}/fetch"))
        expect(task.get("id") == task_id, f"{prefix}: fetched task id is {js(task.get('id'))}, not {js(task_id)}")
