"""MidJourney submit routes beyond imagine and action: blend, describe, shorten, change, simple-change,
modal, upload, imagine with reference pictures, and the `state` tag every submission carries back."""

from __future__ import annotations

import base64
import secrets
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aitre.conform.checks._common import (
    MJ_ACTION,
    MJ_BLEND,
    MJ_CHANGE,
    MJ_DESCRIBE,
    MJ_FETCH,
    MJ_IMAGINE,
    MJ_MODAL,
    MJ_SHORTEN,
    MJ_SIMPLE_CHANGE,
    MJ_UPLOAD,
    is_int,
    js,
    json_type,
    ok_json,
    require_error,
)
from aitre.conform.checks.midjourney import (
    ACCEPTED_CODES,
    IMAGINE_STATE,
    PROMPT,
    UPSCALE_STATE,
    TaskRun,
    accepted,
    check_snapshot,
    imagine,
    poll,
    upscale,
)
from aitre.conform.client import Exchange
from aitre.conform.context import CheckContext
from aitre.conform.failures import Skipped, expect, warn_unless
from aitre.conform.registry import check
from aitre.conform.samples import image_kind, tiny_png

# Codes that create a new task (21 may instead hand back a task that already exists, with its own state).
NEW_TASK_CODES = frozenset({1, 22})
# Height over width of a blend result per `dimensions` (2:3, 1:1, 3:2), and the tolerance on it.
ASPECT = {"PORTRAIT": 1.5, "SQUARE": 1.0, "LANDSCAPE": 2 / 3}
ASPECT_TOLERANCE = 0.12


def data_url(colour: tuple[int, int, int, int] = (200, 30, 30, 255)) -> str:
    """A small PNG picture as the data URL the MJ routes take (spec M14)."""
    return "data:image/png;base64," + base64.b64encode(tiny_png(16, colour)).decode()


def tag(kind: str) -> str:
    """A `state` text unique to this run, so a relay cannot pass by returning another task's tag."""
    return f"aitre-conform {kind} {secrets.token_hex(3)}"


def judge_state(*seen: tuple[dict[str, Any], tuple[str, ...], str]) -> None:
    """Each fetched task (final, the states it may carry, where) carries back a `state` that was sent.

    Call it last: another text is a violation, judged for every task first; a relay that drops the tag
    (null, absent or "") then gets a warning, which ends the check.
    """
    for final, sent, where in seen:
        got = final.get("state")
        expect(got in (None, "", *sent), f"{where}: state is {js(got)}, not the {js(sent[0])} that was sent")
    for final, sent, where in seen:
        got = final.get("state")
        warn_unless(got, f"{where}: the task does not carry back its state {js(sent[0])} (state is {js(got)})")


def judge_action(final: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    action = final.get("action")
    expect(action in (None, "", *allowed), f"{where} has action {js(action)}, not {' or '.join(allowed)}")


@dataclass
class Submitted:
    """A task submitted with a `state` tag and polled to its end; `code` is the submit answer's."""

    run: TaskRun
    code: int
    state: str

    @property
    def final(self) -> dict[str, Any]:
        return self.run.final


def submit_and_poll(ctx: CheckContext, operation: str, body: dict[str, Any], *, picture: bool = True) -> Submitted:
    state = tag(operation.rsplit("/", 1)[-1])
    task_id, code = accepted(ctx.send(operation, json_body={**body, "state": state}))
    return Submitted(poll(ctx, task_id, picture=picture), code, state)


def blend(ctx: CheckContext) -> Submitted:
    """One two-picture PORTRAIT blend, shared by the blend checks."""
    body = {"base64Array": [data_url(), data_url((30, 30, 200, 255))], "dimensions": "PORTRAIT"}
    return ctx.shared("mj:blend", lambda: submit_and_poll(ctx, MJ_BLEND, body))


@check("midjourney", "blend", MJ_BLEND, MJ_FETCH)
def mj_blend_lifecycle(ctx: CheckContext) -> None:
    """POST /mj/submit/blend with two pictures answers a task id whose task reaches a terminal state with
    action BLEND and carries back the `state` sent.

    Refusal codes (23, 24, ...) skip; action may be empty (relays that do not record it); a relay that
    drops `state` is a warning.
    """
    done = blend(ctx)
    judge_action(done.final, ("BLEND",), "the blend task")
    judge_state((done.final, (done.state,), "the blend task"))


def _picture_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG or baseline/progressive JPEG header; None for other formats."""
    kind = image_kind(data)
    if kind == "png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if kind == "jpeg":
        at = 2
        while at + 9 <= len(data) and data[at] == 0xFF:
            marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[at + 5:at + 9])
                return width, height
            at += 2 + length
    return None


@check("midjourney", "blend dimensions", MJ_BLEND, MJ_FETCH)
def mj_blend_dimensions_honoured(ctx: CheckContext) -> None:
    """A successful PORTRAIT blend's picture is 2:3 (height 1.5 times the width, within 12%).

    Only a PNG or JPEG picture served from the server's own base URL is read (imageUrl may point at
    Discord or elsewhere, where the key must not go): otherwise, or when the blend failed, not observable.
    """
    final = blend(ctx).final
    if final.get("status") != "SUCCESS":
        raise Skipped(f"not observable: the blend task ended {final.get('status')}, without a picture")
    url, base = final.get("imageUrl"), ctx.client.base_url
    if not isinstance(url, str) or not url.startswith(base + "/"):
        raise Skipped(f"not observable: imageUrl {js(str(url)[:80])} is not under the server's base URL")
    picture = ctx.send(f"GET {urlsplit(url).path}", path=url[len(base):])
    size = _picture_size(picture.body) if picture.status == 200 else None
    if size is None or not all(size):
        raise Skipped(f"not observable: the picture link answered {picture.status} without a PNG/JPEG size")
    width, height = size
    ratio = height / width
    expect(abs(ratio - ASPECT["PORTRAIT"]) <= ASPECT_TOLERANCE * ASPECT["PORTRAIT"],
           f"the PORTRAIT (2:3) blend's picture is {width}x{height}, height/width {ratio:.2f} instead of 1.5")


def _judge_refusal(exchange: Exchange, what: str) -> None:
    """A request outside the contract is refused: a 4xx error (either MJ error shape) or a 200 envelope
    with a code that creates no task."""
    status = exchange.status or 0
    if 400 <= status < 500:
        require_error(exchange, status)
        return
    answer = ok_json(exchange)
    code = answer.get("code")
    expect(is_int(code), f"{what}: the answer's code is {js(code)}, not an integer")
    expect(code not in ACCEPTED_CODES,
           f"{what} was accepted (code {code}, task {js(answer.get('result'))}); blend takes 2 to 5 pictures")


@check("midjourney", "blend count", MJ_BLEND)
def mj_blend_picture_count_bounded(ctx: CheckContext) -> None:
    """A blend of one picture, or of six, is refused: blend takes 2 to 5 pictures in base64Array.

    The refusal may be a 4xx with the OpenAI or the MJ error shape, or HTTP 200 with a refusal code
    (midjourney-proxy answers code 4 that way, spec M4/M18); only a created task is a violation.
    """
    for count in (1, 6):
        body = {"base64Array": [data_url()] * count}
        _judge_refusal(ctx.send(MJ_BLEND, json_body=body), f"a blend of {count} picture{'s' * (count > 1)}")


@check("midjourney", "describe", MJ_DESCRIBE, MJ_FETCH)
def mj_describe_lifecycle(ctx: CheckContext) -> None:
    """POST /mj/submit/describe answers a task id whose task reaches a terminal state with action DESCRIBE;
    on SUCCESS its prompt (or promptEn) holds the suggested prompts; the `state` sent comes back.

    A describe task needs no imageUrl (some relays show the described picture there); FAILURE is a valid
    end (no prompts then); a relay that drops `state` is a warning.
    """
    done = submit_and_poll(ctx, MJ_DESCRIBE, {"base64": data_url()}, picture=False)
    final = done.final
    judge_action(final, ("DESCRIBE",), "the describe task")
    if final.get("status") == "SUCCESS":
        prompts = [final.get(name) for name in ("prompt", "promptEn")]
        expect(any(isinstance(text, str) and text.strip() for text in prompts),
               f"a successful describe task has no suggested prompts: prompt {js(prompts[0])}, "
               f"promptEn {js(prompts[1])}")
    judge_state((final, (done.state,), "the describe task"))


@check("midjourney", "shorten", MJ_SHORTEN, MJ_FETCH)
def mj_shorten_lifecycle(ctx: CheckContext) -> None:
    """POST /mj/submit/shorten answers a task id whose task reaches a terminal state with action SHORTEN
    and carries back the `state` sent.

    A shorten task ends without a picture, so no imageUrl is required; where the proposals appear
    (properties.finalPrompt, buttons) is not judged; a relay that drops `state` is a warning.
    """
    body = {"prompt": "a very detailed, beautiful portrait of an old fisherman, dramatic light"}
    done = submit_and_poll(ctx, MJ_SHORTEN, body, picture=False)
    judge_action(done.final, ("SHORTEN",), "the shorten task")
    judge_state((done.final, (done.state,), "the shorten task"))


def _finished_imagine(ctx: CheckContext) -> dict[str, Any]:
    source = imagine(ctx).final
    if source.get("status") != "SUCCESS":
        raise Skipped(f"the imagine task ended {source.get('status')}; changes need a successful one")
    return source


@check("midjourney", "change", MJ_IMAGINE, MJ_CHANGE, MJ_FETCH)
def mj_change_lifecycle(ctx: CheckContext) -> None:
    """POST /mj/submit/change with UPSCALE (index 2), VARIATION (index 3) and REROLL of a finished imagine
    task each starts a task with another id that reaches a terminal state with that action, carrying
    back the `state` sent.

    Code 21 may hand back a task that already exists (its state is then its own and not judged);
    which picture `index` picks shows only in the pixels; a relay that drops `state` is a warning.
    """
    source = _finished_imagine(ctx)
    made: list[Submitted] = []
    for action, index in (("UPSCALE", 2), ("VARIATION", 3), ("REROLL", None)):
        body: dict[str, Any] = {"taskId": source["id"], "action": action}
        if index is not None:
            body["index"] = index
        done = submit_and_poll(ctx, MJ_CHANGE, body)
        expect(done.run.task_id != source["id"], f"change {action} returned the source task's own id")
        judge_action(done.final, (action,), f"the change {action} task")
        made.append(done)
    judge_state(*((done.final, (done.state,), f"the change {done.final.get('action')} task")
                  for done in made if done.code in NEW_TASK_CODES))


@check("midjourney", "simple-change", MJ_IMAGINE, MJ_SIMPLE_CHANGE, MJ_FETCH)
def mj_simple_change_starts_new_task(ctx: CheckContext) -> None:
    """POST /mj/submit/simple-change `<taskId> U1` on a finished imagine task starts a task with another
    id that reaches a terminal state with action UPSCALE, carrying back the `state` sent.

    Code 21 may hand back the U1 task the action check already made (its state is then not judged);
    a relay that drops `state` is a warning.
    """
    source = _finished_imagine(ctx)
    done = submit_and_poll(ctx, MJ_SIMPLE_CHANGE, {"content": f"{source['id']} U1"})
    expect(done.run.task_id != source["id"], "simple-change U1 returned the source task's own id")
    judge_action(done.final, ("UPSCALE",), "the simple-change U1 task")
    if done.code in NEW_TASK_CODES:
        judge_state((done.final, (done.state,), "the simple-change U1 task"))


DIALOG_BUTTONS = ("Inpaint", "CustomZoom")


@check("midjourney", "modal", MJ_IMAGINE, MJ_ACTION, MJ_MODAL, MJ_FETCH)
def mj_modal_continues_waiting_task(ctx: CheckContext) -> None:
    """A dialog button (Vary (Region), else Custom Zoom) of an upscaled task leaves a task in MODAL; POST
    /mj/submit/modal with a prompt (and a mask for vary region) is accepted and the task it names
    reaches a terminal state, showing the new prompt and carrying back a `state` sent.

    Without such a button, or when the relay does not leave the task in MODAL, nothing is observable
    (skipped). Modal may answer the waiting task's id or a new one; the state may be the action's or
    the modal's; a prompt the task does not show (relays may translate it) or a dropped state warns.
    """
    source = upscale(ctx).final
    if source.get("status") != "SUCCESS":
        raise Skipped(f"not observable: the upscaled task ended {source.get('status')}, without buttons")
    buttons = [b.get("customId") for b in source.get("buttons") or [] if isinstance(b, dict)]
    dialog = [cid for key in DIALOG_BUTTONS for cid in buttons if isinstance(cid, str) and key in cid]
    if not dialog:
        raise Skipped("not observable: the upscaled task has no Vary (Region) or Custom Zoom button")
    action_state = tag("dialog")
    waiting_id, code = accepted(ctx.send(MJ_ACTION, json_body={
        "taskId": source["id"], "customId": dialog[0], "state": action_state}))
    waiting = ok_json(ctx.send(MJ_FETCH, path=f"/mj/task/{waiting_id}/fetch"))
    check_snapshot(waiting, waiting_id, "the task after the dialog button", picture=False)
    if waiting.get("status") != "MODAL":
        raise Skipped(f"not observable: after the dialog button (code {code}) the task is "
                      f"{js(waiting.get('status'))}, not waiting in MODAL")
    prompt, modal_state = "a red scarf around the cube --zoom 2", tag("modal")
    body = {"taskId": waiting_id, "prompt": prompt, "state": modal_state}
    if "Inpaint" in dialog[0]:
        body["maskBase64"] = data_url((255, 255, 255, 255))
    resumed_id, _ = accepted(ctx.send(MJ_MODAL, json_body=body))
    final = poll(ctx, resumed_id).final
    judge_state((final, (modal_state, action_state), "the task after modal"))
    shown = [final.get(name) for name in ("prompt", "promptEn")] + [(final.get("properties") or {}).get("finalPrompt")]
    warn_unless(any(isinstance(text, str) and "red scarf" in text for text in shown),
                f"after modal with prompt {js(prompt)} the task shows prompt {js(shown[0])}, promptEn {js(shown[1])}")


@check("midjourney", "upload", MJ_UPLOAD)
def mj_upload_one_link_per_picture(ctx: CheckContext) -> None:
    """POST /mj/submit/upload-discord-images with two pictures answers code 1 and `result` holding two
    absolute http(s) links, one per picture.

    Another code is a refusal the relay may give (no Discord account): skipped.
    """
    answer = ok_json(ctx.send(MJ_UPLOAD, json_body={"base64Array": [data_url(), data_url((30, 200, 30, 255))]}))
    code = answer.get("code")
    expect(is_int(code), f"upload answer code is {js(code)}, not an integer")
    if code != 1:
        raise Skipped(f"the relay refused the upload: code {code} ({answer.get('description')})")
    links = answer.get("result")
    expect(isinstance(links, list), f"upload code 1 with result {json_type(links)}, not an array of links")
    expect(len(links) == 2, f"two pictures uploaded but {len(links)} links returned")  # type: ignore[arg-type]  # expect() above checked it
    for position, link in enumerate(links):  # type: ignore[arg-type]  # expect() above checked it
        parts = urlsplit(link) if isinstance(link, str) else None
        expect(parts is not None and parts.scheme in ("http", "https") and parts.netloc,
               f"result[{position}] is {js(link)}, not an absolute http(s) link")


@check("midjourney", "reference pictures", MJ_IMAGINE, MJ_FETCH)
def mj_imagine_with_reference_pictures(ctx: CheckContext) -> None:
    """POST /mj/submit/imagine with a reference picture in base64Array answers a task id whose task reaches
    a terminal state as an IMAGINE task.

    How much the picture guides the drawing is the model's; FAILURE (Midjourney may reject a tiny
    picture) is a valid end; refusal codes skip.
    """
    done = submit_and_poll(ctx, MJ_IMAGINE, {"prompt": PROMPT, "base64Array": [data_url()]})
    judge_action(done.final, ("IMAGINE",), "the imagine task with a reference picture")


@check("midjourney", "state", MJ_IMAGINE, MJ_ACTION, MJ_FETCH)
def mj_state_returned_unchanged(ctx: CheckContext) -> None:
    """The `state` sent with an imagine submission, and with a button action, comes back unchanged in the
    fetched task.

    A relay that drops the tag (null, absent or "") is a warning: clients that use it to match tasks
    lose it, but nothing else breaks; another text is a violation.
    """
    judge_state((imagine(ctx).final, (IMAGINE_STATE,), "the imagine task"),
                (upscale(ctx).final, (UPSCALE_STATE,), "the task made by a button"))
