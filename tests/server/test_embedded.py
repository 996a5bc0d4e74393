"""The embedded server, settings, bounded stores and the `aitre serve` command line."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from aitre.cli import app
from aitre.server import DEFAULT_API_KEY, ServerSettings, serve_in_background
from aitre.server.stores import BoundedStore


def test_two_servers_with_their_own_keys_and_state() -> None:
    with serve_in_background(ServerSettings(api_keys=("sk-one-1234567",), seed=1)) as one, \
            serve_in_background(ServerSettings(api_keys=("sk-two-1234567",), seed=2)) as two:
        assert one.base_url != two.base_url
        headers = {"Authorization": "Bearer sk-one-1234567"}
        assert httpx.get(one.base_url + "/v1/models", headers=headers).status_code == 200
        assert httpx.get(two.base_url + "/v1/models", headers=headers).status_code == 401
    with pytest.raises(httpx.ConnectError):
        httpx.get(one.base_url + "/v1/models")


def test_seed_changes_content() -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    texts = []
    for seed in (1, 2):
        with serve_in_background(ServerSettings(seed=seed)) as running:
            answer = httpx.post(running.base_url + "/v1/chat/completions", json=body,
                                headers={"Authorization": f"Bearer {running.api_key}"}).json()
            texts.append(answer["choices"][0]["message"]["content"])
    assert texts[0] != texts[1]


def test_settings_never_show_keys(caplog: pytest.LogCaptureFixture) -> None:
    settings = ServerSettings(api_keys=("sk-secret-value-123",))
    assert "secret-value" not in repr(settings) and "secret-value" not in str(settings)
    with caplog.at_level(logging.DEBUG), serve_in_background(settings) as running:
        httpx.get(running.base_url + "/v1/models", headers={"Authorization": "Bearer sk-secret-value-123"})
        httpx.get(running.base_url + "/v1/models", headers={"Authorization": "Bearer sk-other-value-456"})
    assert "secret-value" not in caplog.text and "other-value" not in caplog.text


def test_custom_model_lists() -> None:
    settings = ServerSettings(models={"chat": ("my-chat",), "embeddings": ("my-embed",)})
    with serve_in_background(settings) as running:
        auth = {"Authorization": f"Bearer {running.api_key}"}
        ids = [m["id"] for m in httpx.get(running.base_url + "/v1/models", headers=auth).json()["data"]]
        assert ids == ["my-chat", "my-embed"]
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
        assert httpx.post(running.base_url + "/v1/chat/completions", json=body, headers=auth).status_code == 404


def test_stores_evict_the_oldest() -> None:
    store: BoundedStore[int] = BoundedStore(3)
    for i in range(5):
        store.put(str(i), i)
    assert len(store) == 3 and "0" not in store and store.get("4") == 4


def test_image_and_task_stores_are_capped() -> None:
    with serve_in_background(ServerSettings(max_stored_images=2, max_stored_tasks=2)) as running:
        auth = {"Authorization": f"Bearer {running.api_key}"}
        urls = []
        for i in range(3):
            body = {"model": "dall-e-2", "prompt": f"p{i}", "size": "256x256"}
            urls.append(httpx.post(running.base_url + "/v1/images/generations", json=body,
                                   headers=auth).json()["data"][0]["url"])
        assert [httpx.get(url).status_code for url in urls] == [404, 200, 200]
        ids = [httpx.post(running.base_url + "/mj/submit/imagine", json={"prompt": "x"},
                          headers=auth).json()["result"] for _ in range(3)]
        assert httpx.get(f"{running.base_url}/mj/task/{ids[0]}/fetch", headers=auth).status_code == 404


def test_serve_help_documents_the_default_key() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], terminal_width=200)
    assert result.exit_code == 0 and DEFAULT_API_KEY in result.output


@pytest.mark.parametrize("stack", ["h11", "httptools"])
def test_serve_runs_on_either_http_stack_without_printing_the_key(stack: str) -> None:
    """`aitre serve` in a process of its own (as the bench measures it) answers on both stacks."""
    key = "sk-serve-test-9d1c2b7a"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(Path(sys.executable).with_name("aitre")), "serve", "--port", str(port), "--http", stack,
               "--no-access-log"]
    process = subprocess.Popen(command, env={**os.environ, "AITRE_API_KEY": key}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {key}"})
                break
            except httpx.ConnectError:
                assert process.poll() is None and time.monotonic() < deadline, "aitre serve did not start"
                time.sleep(0.1)
        assert answer.status_code == 200 and answer.json()["object"] == "list"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert key not in output
    assert f"127.0.0.1:{port}" in output

