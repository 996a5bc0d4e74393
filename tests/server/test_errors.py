"""Errors: 400 with param, 401, 404, 405 + Allow, 413, and no 5xx for anything a client sends."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aitre.server.embedded import BackgroundServer

CHAT = "/v1/chat/completions"
HELLO = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


def _error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    assert set(body) == {"message", "type", "param", "code"}
    return body


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer sk-wrong-but-long-key", "Basic abc"])
def test_missing_or_wrong_key_is_401_without_echoing_it(server: BackgroundServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.post(server.base_url + CHAT, json=HELLO, headers=headers)
    assert response.status_code == 401
    assert _error(response)["type"] == "authentication_error"
    assert "wrong-but-long" not in response.text and server.api_key not in response.text


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**HELLO, "temperature": 3}, "temperature"),
        ({**HELLO, "n": 0}, "n"),
        ({**HELLO, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": "gpt-4o-mini"}, "messages"),
        ({**HELLO, "messages": [{"role": "robot", "content": "x"}]}, "messages[0]"),
        ({**HELLO, "messages": [{"role": "user", "content": [{"type": "text"}]}]}, "messages[0].content[0].text"),
        ({**HELLO, "seed": 2**63}, "seed"),
    ],
)
def test_bad_input_names_the_param(http: httpx.Client, body: dict[str, Any], param: str) -> None:
    response = http.post(CHAT, json=body)
    assert response.status_code == 400
    error = _error(response)
    assert error["type"] == "invalid_request_error" and str(error["param"]).startswith(param)


def test_integral_floats_are_integers(http: httpx.Client) -> None:
    assert http.post(CHAT, json={**HELLO, "n": 2.0, "max_tokens": 10.0}).status_code == 200


@pytest.mark.parametrize("raw", [b"", b"{", b"[1, 2]", b"null", b'"text"', b"\xff\xfe"])
def test_unparseable_json_is_400(http: httpx.Client, raw: bytes) -> None:
    response = http.post(CHAT, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and _error(response)["code"] == "invalid_json"


def test_wrong_content_type_is_400(http: httpx.Client) -> None:
    assert http.post(CHAT, content=b"model=x", headers={"Content-Type": "text/plain"}).status_code == 400
    assert http.post("/v1/audio/transcriptions", json={"model": "whisper-1"}).status_code == 400


def test_unknown_route_is_404(http: httpx.Client) -> None:
    for path in ("/v1/nothing", "/", "/mj/nothing", "/v2/chat/completions"):
        response = http.get(path)
        assert response.status_code == 404 and _error(response)["code"] == "unknown_url"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "QUERY"])
def test_undeclared_method_is_405_with_allow(http: httpx.Client, method: str) -> None:
    response = http.request(method, CHAT)
    assert response.status_code == 405 and response.headers["allow"] == "POST"


def test_allow_lists_every_declared_method(http: httpx.Client) -> None:
    response = http.request("PUT", "/v1/models/gpt-4o")
    assert response.status_code == 405 and response.headers["allow"] == "DELETE, GET"


def test_body_too_large_is_413(server: BackgroundServer, http: httpx.Client) -> None:
    too_big = {**HELLO, "user": "x" * (server.settings.max_body_bytes + 1)}
    response = http.post(CHAT, json=too_big)
    assert response.status_code == 413 and _error(response)["code"] == "request_too_large"

    def chunks() -> Any:  # no Content-Length: the limit must hold while reading
        yield b'{"model": "gpt-4o-mini", "user": "'
        for _ in range(server.settings.max_body_bytes // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    streamed = http.post(CHAT, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function",
         "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}}}],
         "tool_choice": "required"},
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "response_format": {
         "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {
             "r": {"$ref": "#"}}, "required": ["r"]}}}},
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "response_format": {
         "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "nonsense", "minimum": "a"}}}},
    ],
)
def test_hostile_client_schemas_never_500(http: httpx.Client, body: dict[str, Any]) -> None:
    assert http.post(CHAT, json=body).status_code < 500


def test_multipart_garbage_is_400(http: httpx.Client) -> None:
    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    assert http.post("/v1/audio/transcriptions", content=b"not multipart", headers=headers).status_code == 400
    assert http.post("/v1/images/edits", content=b"--xyz\r\n\r\n--xyz--", headers=headers).status_code == 400


def test_deep_nesting_is_400(http: httpx.Client) -> None:
    deep = "[" * 500 + "]" * 500
    raw = ('{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}], "user": "u", "metadata": '
           + deep + "}").encode()
    response = http.post(CHAT, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
