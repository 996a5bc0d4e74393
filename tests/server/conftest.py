"""Fixtures for the reference server tests: one embedded server, SDK and httpx clients that record every
exchange, and an autouse check that validates each recorded response against the bundled spec."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import openai
import pytest
import requests
import schemathesis
from schemathesis.core.transport import Response

from aitre.paths import BUNDLED_SPEC
from aitre.server import ServerSettings, serve_in_background
from aitre.server.embedded import BackgroundServer

SPEC = schemathesis.openapi.from_path(str(BUNDLED_SPEC))
_TEMPLATES = [
    (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path, {m.upper() for m in item})
    for path, item in SPEC.raw_schema["paths"].items()
]
_MODE_PREFIX = re.compile(r"^/mj-(fast|turbo|relax)(?=/mj/)")


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False  # the whole body was read (a stream the client abandoned is not validated)


class RecordingTransport(httpx.BaseTransport):
    """Passes requests to a real transport and keeps a copy of every response body as it is read."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        exchange = Exchange(request, response)
        self.exchanges.append(exchange)
        inner_stream = response.stream

        class Tee(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                for chunk in inner_stream:  # type: ignore[union-attr]
                    exchange.body.extend(chunk)
                    yield chunk
                exchange.complete = True

            def close(self) -> None:
                inner_stream.close()  # type: ignore[union-attr]

        return httpx.Response(response.status_code, headers=response.headers, stream=Tee(), request=request,
                              extensions=response.extensions)

    def close(self) -> None:
        self._inner.close()


def operation_for(method: str, path: str) -> str | None:
    """The spec path template a request was made against, when the spec declares that method there."""
    path = _MODE_PREFIX.sub("", path)
    for pattern, template, methods in _TEMPLATES:
        if pattern.match(path) and method in methods:
            return template
    return None


def validate_exchange(exchange: Exchange) -> None:
    template = operation_for(exchange.request.method, exchange.request.url.path)
    if template is None:
        return  # /files/images, undeclared methods, unknown routes: nothing in the spec to check against
    request = exchange.request
    prepared = requests.Request(method=request.method, url=str(request.url), headers=dict(request.headers)).prepare()
    replay = Response(
        status_code=exchange.response.status_code,
        headers={key: [value] for key, value in exchange.response.headers.items()},
        content=bytes(exchange.body),
        request=prepared,
        elapsed=0.0,
        message=exchange.response.reason_phrase,
        encoding=exchange.response.encoding,
        http_version="1.1",
        verify=True,
    )
    SPEC[template][request.method].validate_response(replay)


@pytest.fixture(scope="session")
def server() -> Iterator[BackgroundServer]:
    with serve_in_background(ServerSettings(max_body_bytes=2 * 1024 * 1024)) as running:
        yield running


@pytest.fixture
def transport() -> Iterator[RecordingTransport]:
    recording = RecordingTransport()
    yield recording
    for exchange in recording.exchanges:
        if exchange.complete:
            validate_exchange(exchange)
    recording.close()


@pytest.fixture
def client(server: BackgroundServer, transport: RecordingTransport) -> openai.OpenAI:
    """The official SDK pointed at the embedded server; every response it gets is checked against the spec."""
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key=server.api_key, max_retries=0,
                         http_client=httpx.Client(transport=transport, timeout=30))


@pytest.fixture
def http(server: BackgroundServer, transport: RecordingTransport) -> Iterator[httpx.Client]:
    """Raw httpx with the key set; its responses are checked against the spec too."""
    with httpx.Client(base_url=server.base_url, transport=transport, timeout=30,
                      headers={"Authorization": f"Bearer {server.api_key}"}) as raw:
        yield raw


@pytest.fixture(scope="session")
def st_server() -> Iterator[BackgroundServer]:
    """A separate server for the schemathesis run, so its thousands of tasks do not crowd the other tests'."""
    from tests.server.test_schemathesis import SETTINGS

    with serve_in_background(SETTINGS) as running:
        yield running
