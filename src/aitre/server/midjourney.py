"""The MidJourney task API under /mj: submissions, button actions, modal, fetch, list, image seed.

Refusals of a submission are HTTP 200 with the submit envelope and a failure `code` (3 unknown task,
4 invalid request, 24 banned prompt), as the spec decides (M4, M18); unknown ids on fetch and image-seed
are 404 with the error object (M9).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from aitre.server import png, textgen
from aitre.server.contract import Operation
from aitre.server.encoding import json_response
from aitre.server.errors import not_found
from aitre.server.ids import new_id
from aitre.server.mjtasks import GRID_ACTIONS, Task, action_for, new_task_id
from aitre.server.runtime import Handler, Runtime

BANNED_WORD = "aitre-banned"  # a prompt containing it is refused with code 24, to exercise that path
MODAL_ACTIONS = ("CUSTOM_ZOOM", "INPAINT")
BLEND_SIZES = {"PORTRAIT": (512, 768), "SQUARE": (512, 512), "LANDSCAPE": (768, 512)}


def _envelope(code: int, description: str, result: Any = None, **properties: Any) -> Response:
    return json_response({"code": code, "description": description, "result": result, "properties": properties})


def _submitted(runtime: Runtime, task: Task, code: int = 1, description: str = "Submit success") -> Response:
    runtime.tasks.put(task.id, task)
    return _envelope(code, description, task.id, discordInstanceId="aitre", numberOfQueues=0)


def _task(runtime: Runtime, task_id: Any) -> Task | None:
    found = runtime.tasks.get(str(task_id))
    return found if isinstance(found, Task) else None


def _common(body: dict[str, Any]) -> dict[str, Any]:
    return {"state": body.get("state"), "notify_hook": body.get("notifyHook"),
            "bot_type": body.get("botType") or "MID_JOURNEY"}


async def submit_imagine(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    prompt = body["prompt"]
    if BANNED_WORD in prompt.lower():
        return _envelope(24, "Banned prompt", None, promptEn=prompt, bannedWord=BANNED_WORD)
    task = Task(new_task_id(), "IMAGINE", prompt, f"/imagine {prompt}", **_common(body))
    return _submitted(runtime, task)


async def submit_blend(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    if _bad_images(body["base64Array"]):
        return _envelope(4, "base64Array holds a picture that is not valid base64")
    dimensions = body.get("dimensions") or "SQUARE"
    task = Task(new_task_id(), "BLEND", "", f"/blend {len(body['base64Array'])} images {dimensions}", **_common(body))
    task.width, task.height = BLEND_SIZES[dimensions]
    return _submitted(runtime, task)


async def submit_describe(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    if _bad_images([body["base64"]]):
        return _envelope(4, "base64 is not a valid base64 picture")
    task = Task(new_task_id(), "DESCRIBE", "", "/describe", **_common(body))
    key = textgen.request_key(body, runtime.settings.seed)
    # Four suggested prompts, numbered as Midjourney's describe answer lists them.
    task.final_prompt = "\n\n".join(
        f"{i}\ufe0f\u20e3 {textgen.sentences(textgen.entropy(key, 'describe', i), 8, 16, leading_space=False)}"
        for i in range(1, 5)
    )
    return _submitted(runtime, task)


async def submit_shorten(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    prompt = body["prompt"]
    task = Task(new_task_id(), "SHORTEN", prompt, f"/shorten {prompt}", **_common(body))
    words = prompt.split()
    task.final_prompt = "\n".join(f"{i}\ufe0f\u20e3 {' '.join(words[: max(1, len(words) * (5 - i) // 5)])}"
                                  for i in range(1, 5))
    return _submitted(runtime, task)


def _follow_up(runtime: Runtime, body: dict[str, Any], source: Task, action: str, index: int,
               custom_id: str = "") -> Response:
    """A task made from a finished one (button, change): checks, then the new task."""
    if source.status != "SUCCESS":
        return _envelope(4, f"The task {source.id} has not succeeded (status {source.status or 'unknown'}).")
    if action in ("UPSCALE", "VARIATION", "REROLL") and source.action not in GRID_ACTIONS:
        return _envelope(4, f"{action} needs a four-picture task; {source.id} is {source.action}.")
    label = {"UPSCALE": "U", "VARIATION": "V"}.get(action, "")
    command = f"/{action.lower()} {source.id}" + (f" {label}{index}" if label else "")
    task = Task(new_task_id(), action, source.prompt, command, custom_id=custom_id, source_id=source.id,
                **{**_common(body), "bot_type": source.bot_type})
    if action in MODAL_ACTIONS:
        task.status = "MODAL"
        return _submitted(runtime, task, 21, "Waiting for window confirm")
    return _submitted(runtime, task)


async def submit_action(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    source = _task(runtime, body["taskId"])
    if source is None:
        return _envelope(3, f"Task {body['taskId']} not found")
    custom_id = body["customId"]
    mapped = action_for(custom_id)
    if mapped is None or custom_id not in {button["customId"] for button in source.buttons()}:
        return _envelope(4, f"customId '{custom_id}' is not a button of task {source.id}")
    action, index = mapped
    return _follow_up(runtime, body, source, action, index, custom_id)


async def submit_change(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    return _change(runtime, body, body["taskId"], body["action"], body.get("index"))


async def submit_simple_change(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    task_id, _, command = body["content"].strip().rpartition(" ")
    letter, digits = command[:1].upper(), command[1:]
    action = {"U": "UPSCALE", "V": "VARIATION", "R": "REROLL"}.get(letter, "")
    return _change(runtime, body, task_id.strip(), action, int(digits) if digits.isdigit() else None)


def _change(runtime: Runtime, body: dict[str, Any], task_id: str, action: str, index: int | None) -> Response:
    if action in ("UPSCALE", "VARIATION") and index is None:
        return _envelope(4, f"index (1..4) is required for {action}")
    source = _task(runtime, task_id)
    if source is None:
        return _envelope(3, f"Task {task_id} not found")
    return _follow_up(runtime, body, source, action, index or 0)


async def submit_modal(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    task = _task(runtime, body["taskId"])
    if task is None:
        return _envelope(3, f"Task {body['taskId']} not found")
    if task.status != "MODAL":
        return _envelope(4, f"Task {task.id} is not waiting for a modal (status {task.status}).")
    if body.get("prompt"):
        task.prompt = body["prompt"]
    task.mask_base64 = body.get("maskBase64")
    if body.get("state") is not None:
        task.state = body["state"]
    task.status = "NOT_START"
    return _submitted(runtime, task)


def _bad_images(urls: list[str]) -> bool:
    try:
        for url in urls:
            base64.b64decode(url.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        return True
    return False


async def upload_discord_images(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    links: list[str] = []
    for url in body["base64Array"]:
        head, _, data = url.partition(",")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return _envelope(4, "base64Array holds a picture that is not valid base64")
        media_type = head.removeprefix("data:").partition(";")[0] or "application/octet-stream"
        links.append(runtime.store_image(request, new_id("upload_"), raw, media_type))
    return json_response({"code": 1, "description": "Upload success", "result": links, "properties": {}})


def _observe(runtime: Runtime, request: Request, task: Task) -> dict[str, Any]:
    """Advance the task by one look and render it; a task that just succeeded gets its picture."""
    if task.advance(runtime.settings.mj_fetches_per_step) and task.action != "SHORTEN":
        picture = png.render(f"{runtime.settings.seed}|mj|{task.id}|{task.prompt}", task.width, task.height)
        # Named at random, not after the task: task ids are milliseconds plus a counter, and the link needs no key.
        task.image_url = runtime.store_image(request, new_id("mj_") + ".png", picture)
    return task.to_json()


async def fetch_task(runtime: Runtime, request: Request, op: Operation) -> Response:
    task = _task(runtime, request.path_params.get("id"))
    if task is None:
        raise not_found(f"No task with id '{request.path_params.get('id')}'.", param="id", code="task_not_found")
    return json_response(_observe(runtime, request, task))


async def list_by_condition(runtime: Runtime, request: Request, op: Operation) -> Response:
    body = await runtime.json_body(request, op)
    seen: set[str] = set()
    found: list[dict[str, Any]] = []
    for task_id in body["ids"]:
        task = _task(runtime, task_id)
        if task is not None and task_id not in seen:
            seen.add(task_id)
            found.append(_observe(runtime, request, task))
    return json_response(found)


async def image_seed(runtime: Runtime, request: Request, op: Operation) -> Response:
    task = _task(runtime, request.path_params.get("id"))
    if task is None:
        raise not_found(f"No task with id '{request.path_params.get('id')}'.", param="id", code="task_not_found")
    if task.status != "SUCCESS":
        return _envelope(4, f"Task {task.id} has no picture yet (status {task.status}).")
    return _envelope(1, "Success", task.seed)


HANDLERS: dict[str, Handler] = {
    "submitMjImagine": submit_imagine,
    "submitMjAction": submit_action,
    "submitMjBlend": submit_blend,
    "submitMjDescribe": submit_describe,
    "submitMjModal": submit_modal,
    "submitMjShorten": submit_shorten,
    "submitMjChange": submit_change,
    "submitMjSimpleChange": submit_simple_change,
    "uploadMjDiscordImages": upload_discord_images,
    "fetchMjTask": fetch_task,
    "listMjTasksByCondition": list_by_condition,
    "fetchMjTaskImageSeed": image_seed,
}
