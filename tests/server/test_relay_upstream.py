"""`aitre serve --faults --answer-log`: faults fire only when enabled, and the answer log pairs by marker."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from aitre.server.app import create_app
from aitre.server.settings import ServerSettings
from tests.conform.servers import serve

KEY = "sk-upstream-" + "u" * 20
MARK = "aitre-mark-0123456789abcdef"


def _chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], "max_tokens": 8, **extra}


def _post(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)


def test_faults_fire_only_when_enabled() -> None:
    with serve(create_app(ServerSettings(api_keys=(KEY,)))) as plain:
        assert _post(plain, _chat("hi aitre-fault=429")).status_code == 200
        # Without --answer-log the route does not exist.
        assert httpx.get(plain + "/aitre/answers", params={"marker": MARK},
                         headers={"Authorization": f"Bearer {KEY}"}).status_code == 404
    with serve(create_app(ServerSettings(api_keys=(KEY,), faults=True))) as faulty:
        limited = _post(faulty, _chat("hi aitre-fault=429"))
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        refused = _post(faulty, _chat("hi aitre-fault=400"))
        assert (refused.status_code, refused.json()["error"]["param"]) == (400, "temperature")
        assert _post(faulty, _chat("hi aitre-fault=503")).status_code == 503
        page = _post(faulty, _chat("hi aitre-fault=notjson"))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        with pytest.raises(httpx.RemoteProtocolError):
            _post(faulty, _chat("hi aitre-fault=cut", stream=True))
        assert _post(faulty, _chat("hi aitre-fault=nosuchfault")).status_code == 200


def test_answer_log_pairs_by_marker_and_needs_the_key() -> None:
    with serve(create_app(ServerSettings(api_keys=(KEY,), faults=True, answer_log=True))) as url:
        sent = _post(url, _chat(f"hello {MARK}", stream=True))
        _post(url, _chat(f"hello {MARK} aitre-fault=500"))
        assert httpx.get(url + "/aitre/answers", params={"marker": MARK}).status_code == 401
        got = httpx.get(url + "/aitre/answers", params={"marker": MARK}, headers={"Authorization": f"Bearer {KEY}"})
        answers = got.json()["answers"]
        assert [(a["status"], a["fault"], a["complete"]) for a in answers] == [(200, None, True), (500, "500", True)]
        assert base64.b64decode(answers[0]["body_base64"]) == sent.content
        assert answers[0]["headers"]["content-type"].startswith("text/event-stream")
        assert json.loads(base64.b64decode(answers[1]["body_base64"]))["error"]["type"] == "server_error"
        assert KEY not in got.text
        bad = httpx.get(url + "/aitre/answers", params={"marker": "x"}, headers={"Authorization": f"Bearer {KEY}"})
        assert bad.status_code == 400
