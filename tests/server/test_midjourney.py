"""The MidJourney task API over raw httpx (every response is also validated against the spec)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from aitre.server import png

DATA_URL = "data:image/png;base64," + base64.b64encode(png.render("mj", 8, 8)).decode()


def _submit(http: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, json=body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def _finish(http: httpx.Client, task_id: str) -> list[dict[str, Any]]:
    seen = []
    for _ in range(6):
        task = http.get(f"/mj/task/{task_id}/fetch").json()
        seen.append(task)
        if task["status"] in ("SUCCESS", "FAILURE"):
            break
    return seen


def test_imagine_progresses_to_success_with_buttons(http: httpx.Client) -> None:
    answer = _submit(http, "/mj/submit/imagine", {"prompt": "Cat", "botType": "NIJI_JOURNEY", "state": "mine"})
    assert answer["code"] == 1 and answer["result"]
    seen = _finish(http, answer["result"])
    assert [task["status"] for task in seen] == ["NOT_START", "SUBMITTED", "IN_PROGRESS", "SUCCESS"]
    assert [task["progress"] for task in seen] == ["0%", "0%", "50%", "100%"]
    final = seen[-1]
    assert final["progress"] == "100%" and final["state"] == "mine" and final["botType"] == "NIJI_JOURNEY"
    assert final["finishTime"] >= final["startTime"] >= final["submitTime"] > 0
    assert [button["label"] for button in final["buttons"]][:4] == ["U1", "U2", "U3", "U4"]
    assert httpx.get(final["imageUrl"]).content.startswith(b"\x89PNG")


def test_button_action_makes_a_new_task(http: httpx.Client) -> None:
    grid = _finish(http, _submit(http, "/mj/submit/imagine", {"prompt": "Fox"})["result"])[-1]
    upscale = _submit(http, "/mj/submit/action", {"taskId": grid["id"], "customId": grid["buttons"][0]["customId"]})
    assert upscale["code"] == 1
    final = _finish(http, upscale["result"])[-1]
    assert final["action"] == "UPSCALE" and final["status"] == "SUCCESS"
    assert "Vary (Strong)" in [button["label"] for button in final["buttons"]]


def test_modal_flow(http: httpx.Client) -> None:
    grid = _finish(http, _submit(http, "/mj/submit/imagine", {"prompt": "Owl"})["result"])[-1]
    upscaled = _finish(http, _submit(http, "/mj/submit/change",
                                     {"taskId": grid["id"], "action": "UPSCALE", "index": 2})["result"])[-1]
    zoom = next(b["customId"] for b in upscaled["buttons"] if b["customId"].startswith("MJ::CustomZoom"))
    waiting = _submit(http, "/mj/submit/action", {"taskId": upscaled["id"], "customId": zoom})
    assert waiting["code"] == 21
    assert http.get(f"/mj/task/{waiting['result']}/fetch").json()["status"] == "MODAL"
    resumed = _submit(http, "/mj/submit/modal", {"taskId": waiting["result"], "prompt": "Owl --zoom 2",
                                                 "state": "zoomed"})
    final = _finish(http, resumed["result"])[-1]
    assert resumed["code"] == 1 and final["action"] == "CUSTOM_ZOOM" and final["state"] == "zoomed"


def test_simple_change_and_refusals(http: httpx.Client) -> None:
    grid = _finish(http, _submit(http, "/mj/submit/imagine", {"prompt": "Bee"})["result"])[-1]
    assert _submit(http, "/mj/submit/simple-change", {"content": f"{grid['id']} v3"})["code"] == 1
    assert _submit(http, "/mj/submit/simple-change", {"content": "999 U1"})["code"] == 3
    assert _submit(http, "/mj/submit/change", {"taskId": grid["id"], "action": "UPSCALE"})["code"] == 4
    unknown_button = {"taskId": grid["id"], "customId": "MJ::JOB::upsample::9::x"}
    assert _submit(http, "/mj/submit/action", unknown_button)["code"] == 4
    banned = _submit(http, "/mj/submit/imagine", {"prompt": "aitre-banned cat"})
    assert banned["code"] == 24 and banned["result"] is None


def test_failure_path(http: httpx.Client) -> None:
    final = _finish(http, _submit(http, "/mj/submit/imagine", {"prompt": "aitre-fail"})["result"])[-1]
    assert final["status"] == "FAILURE" and final["failReason"] and final["buttons"] == []


def test_describe_blend_shorten_upload(http: httpx.Client) -> None:
    described = _finish(http, _submit(http, "/mj/submit/describe", {"base64": DATA_URL})["result"])[-1]
    assert described["action"] == "DESCRIBE" and described["properties"]["finalPrompt"].count("\ufe0f\u20e3") == 4
    assert described["prompt"] == described["properties"]["finalPrompt"]  # the suggestions, once finished
    blended = _finish(http, _submit(http, "/mj/submit/blend", {"base64Array": [DATA_URL, DATA_URL],
                                                               "dimensions": "PORTRAIT"})["result"])[-1]
    assert png.dimensions(httpx.get(blended["imageUrl"]).content) == (512, 768)
    shortened = _finish(http, _submit(http, "/mj/submit/shorten", {"prompt": "a very long prompt"})["result"])[-1]
    assert shortened["status"] == "SUCCESS" and shortened["properties"]["finalPrompt"]
    uploaded = _submit(http, "/mj/submit/upload-discord-images", {"base64Array": [DATA_URL]})
    assert httpx.get(uploaded["result"][0]).content == base64.b64decode(DATA_URL.partition(",")[2])


def test_list_by_condition_and_image_seed(http: httpx.Client) -> None:
    ids = [_submit(http, "/mj/submit/imagine", {"prompt": f"Tree {i}"})["result"] for i in range(2)]
    listed = http.post("/mj/task/list-by-condition", json={"ids": [ids[1], "unknown", ids[0]]}).json()
    assert [task["id"] for task in listed] == [ids[1], ids[0]]
    assert http.post("/mj/task/list-by-condition", json={"ids": []}).json() == []
    _finish(http, ids[0])
    seed = http.get(f"/mj/task/{ids[0]}/image-seed").json()
    assert seed["code"] == 1 and seed["result"].isdigit()


def test_unknown_task_is_404(http: httpx.Client) -> None:
    for path in ("/mj/task/nope/fetch", "/mj/task/nope/image-seed"):
        response = http.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "task_not_found"


@pytest.mark.parametrize("prefix", ["/mj-fast", "/mj-turbo", "/mj-relax"])
def test_mode_prefixes_and_mj_api_secret(server: Any, prefix: str) -> None:
    with httpx.Client(base_url=server.base_url, headers={"mj-api-secret": server.api_key}) as raw:
        answer = raw.post(f"{prefix}/mj/submit/imagine", json={"prompt": "Cat"}).json()
        assert raw.get(f"{prefix}/mj/task/{answer['result']}/fetch").status_code == 200
        assert raw.get("/v1/models").status_code == 401  # the MJ header is not a key for the OpenAI routes
    bare_key = server.api_key.removeprefix("sk-")  # the header's `sk-` prefix is optional (spec M2)
    assert httpx.post(f"{server.base_url}/mj/task/list-by-condition", json={"ids": []},
                      headers={"mj-api-secret": f"Bearer {bare_key}"}).status_code == 200
