"""Issue 16, the server half: what a hostile or careless client could do to `aitre serve`, reproduced.

Each test sends what the probe sent (scaled down so it runs in a second or two) through a real HTTP client
or the ASGI app, and checks the refusal or the absence of harm. None of them times anything: waits are
bounded only as safety nets.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from aitre.server.embedded import BackgroundServer

CHAT = "/v1/chat/completions"
HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


def _error(response: httpx.Response) -> dict[str, Any]:
    """The OpenAI error object of a refusal, with exactly its four fields."""
    body: dict[str, Any] = response.json()["error"]
    assert set(body) == {"message", "type", "param", "code"}
    return body


def _mj_finish(client: httpx.Client, task_id: str) -> dict[str, Any]:
    """Fetch a MidJourney task until it ends (one status step per fetch)."""
    task: dict[str, Any] = {}
    for _ in range(6):
        task = client.get(f"/mj/task/{task_id}/fetch").json()
        if task["status"] in ("SUCCESS", "FAILURE"):
            break
    return task


# ---- 10. ids and picture names must be unguessable ------------------------------------------------------


def _untemper(value: int) -> int:
    """Invert the Mersenne Twister's output tempering, giving back one word of its internal state."""
    value ^= value >> 18
    value ^= (value << 15) & 0xEFC60000
    result = value
    for _ in range(5):
        result = value ^ ((result << 7) & 0x9D2C5680)
    value = result & 0xFFFFFFFF
    result = value
    for _ in range(3):
        result = value ^ (result >> 11)
    return result & 0xFFFFFFFF


def _clone_twister(outputs: list[int]) -> random.Random:
    """A generator in the state a Mersenne Twister is in after producing these 624 32-bit outputs."""
    assert len(outputs) == 624
    clone = random.Random()
    clone.setstate((3, (*(_untemper(word) for word in outputs), 624), None))
    return clone


def test_twister_clone_predicts_a_twister() -> None:
    # The attack itself must work, or the next test would pass for the wrong reason.
    victim = random.Random(1234)
    outputs = [word for _ in range(208) for word in _words(victim.getrandbits(96))]
    assert _clone_twister(outputs).getrandbits(96) == victim.getrandbits(96)


def _words(value: int) -> list[int]:
    """The 32-bit outputs behind one `getrandbits(96)`, in the order the generator produced them."""
    return [(value >> shift) & 0xFFFFFFFF for shift in (0, 32, 64)]


def test_picture_links_cannot_be_predicted_from_chat_ids(server: BackgroundServer) -> None:
    # The probe: 208 chat ids (96 bits each, so 624 outputs) give away the generator, and with it the name
    # of the next picture anyone uploads or generates, which is readable without a key.
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        outputs: list[int] = []
        for _ in range(208):
            chat_id = client.post(CHAT, json=HELLO).json()["id"]
            outputs += _words(int(chat_id.removeprefix("chatcmpl-"), 16))
        guess = f"img_{_clone_twister(outputs).getrandbits(96):024x}.png"
        body = {"model": "dall-e-2", "prompt": "a cat", "size": "256x256", "response_format": "url"}
        link = client.post("/v1/images/generations", json=body).json()["data"][0]["url"]
        assert link.rsplit("/", 1)[1] != guess
        assert httpx.get(f"{server.base_url}/files/images/{guess}").status_code == 404


def test_midjourney_picture_names_are_not_task_ids(http: httpx.Client) -> None:
    # Task ids are Unix milliseconds plus a counter (the midjourney-proxy form); a picture named after one
    # can be found by counting.
    task_id = http.post("/mj/submit/imagine", json={"prompt": "a fox"}).json()["result"]
    link = _mj_finish(http, task_id)["imageUrl"]
    assert link and task_id not in link
    assert httpx.get(link).content.startswith(b"\x89PNG")


# ---- 11. a lone surrogate in a JSON string is refused with 400, never a 500 ----------------------------

# Each body holds the six characters `\ud800` inside a string: valid JSON, but not Unicode text.
SURROGATE_BODIES = [
    pytest.param(CHAT, '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a\\ud800b"}]}',
                 "messages[0].content", id="chat"),
    pytest.param("/v1/completions", '{"model": "gpt-3.5-turbo-instruct", "prompt": "\\ud800"}', "prompt",
                 id="completions"),
    pytest.param("/v1/embeddings", '{"model": "text-embedding-3-small", "input": ["ok", "\\udfff"]}', "input[1]",
                 id="embeddings"),
    pytest.param("/v1/audio/speech", '{"model": "tts-1", "voice": "alloy", "input": "\\ud800"}', "input",
                 id="speech"),
    pytest.param("/v1/images/generations", '{"model": "dall-e-2", "prompt": "\\ud800", "size": "256x256"}',
                 "prompt", id="images"),
    pytest.param("/mj/submit/imagine", '{"prompt": "a cat \\ud800"}', "prompt", id="mj-imagine"),
    pytest.param(CHAT, '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "\\ud800": 1}',
                 "\\ud800", id="key"),
]


@pytest.mark.parametrize(("path", "raw", "param"), SURROGATE_BODIES)
def test_lone_surrogate_is_400_naming_the_field(http: httpx.Client, path: str, raw: str, param: str) -> None:
    response = http.post(path, content=raw.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = _error(response)
    assert error["param"] == param and error["code"] == "invalid_unicode"


def test_lone_surrogate_in_a_form_field_is_400(http: httpx.Client) -> None:
    # Multipart text is strict UTF-8, but a field that holds JSON can still escape a surrogate.
    files = {"file": ("a.wav", b"RIFF0000WAVEfmt ", "audio/wav")}
    strategy = '{"type": "server_vad", "note": "\\ud800"}'
    data = {"model": "gpt-4o-transcribe", "chunking_strategy": strategy}
    response = http.post("/v1/audio/transcriptions", files=files, data=data)
    assert response.status_code == 400
    assert _error(response)["param"] == "chunking_strategy.note"


def test_the_server_stays_well_after_a_surrogate(http: httpx.Client) -> None:
    # The probe's MidJourney task answered 500 on every later fetch; now no such task exists, and the same
    # request with the surrogate escaped properly works.
    raw = b'{"prompt": "a cat \\ud800"}'
    refused = http.post("/mj/submit/imagine", content=raw, headers={"Content-Type": "application/json"})
    assert refused.status_code == 400
    accepted = http.post("/mj/submit/imagine", json={"prompt": "a cat \N{CAT FACE}"})
    assert accepted.status_code == 200
    assert _mj_finish(http, accepted.json()["result"])["status"] == "SUCCESS"
