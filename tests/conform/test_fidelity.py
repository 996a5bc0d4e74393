"""Relay fidelity: the pass-through test relay shows no difference and handles every fault; each variant
that changes one thing is reported with the exact path or fault."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aitre.conform.areas import AREAS
from aitre.conform.client import ConformClient, RequestCounter
from aitre.conform.command import ConformOptions, conform
from aitre.conform.failures import Severity
from aitre.conform.fidelity.model import FidelityReport
from aitre.conform.fidelity.run import FidelityRun
from aitre.conform.fidelity.upstream import Upstream
from aitre.server.app import create_app
from aitre.server.settings import ServerSettings
from tests.conform.relay import Relay, Tweak
from tests.conform.servers import serve

UPSTREAM_KEY = "sk-upstream-" + "u7" * 12
RELAY_KEY = "sk-relay-" + "r9" * 12
MODELS = {"chat": "gpt-4o-mini", "completions": "gpt-3.5-turbo-instruct", "embeddings": "text-embedding-3-small",
          "images": "dall-e-2", "speech": "tts-1", "transcription": "whisper-1"}


@pytest.fixture(scope="module")
def relay() -> Iterator[tuple[Relay, str, str]]:
    """(relay, relay URL, upstream URL): an `aitre serve --faults --answer-log` behind the test relay."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("aitre.server.faults.SLOW_SECONDS", 0.3)  # the rule, not the wait, is under test
        settings = ServerSettings(api_keys=(UPSTREAM_KEY,), faults=True, answer_log=True)
        with serve(create_app(settings)) as upstream:
            forwarder = Relay(upstream, UPSTREAM_KEY, RELAY_KEY)
            with serve(forwarder.app) as url:
                yield forwarder, url, upstream


def fidelity(url: str, upstream: str, areas: frozenset[str] = frozenset(AREAS)) -> FidelityReport:
    client = ConformClient(url, RELAY_KEY, timeout=10, counter=RequestCounter(None), max_body_bytes=8 << 20,
                           max_stream_events=400)
    try:
        return FidelityRun(client, Upstream(upstream, UPSTREAM_KEY, timeout=10), MODELS, areas).run()
    finally:
        client.close()


def _findings(report: FidelityReport) -> tuple[list[tuple[str, str, str, Severity]], dict[str, str]]:
    differences = [(d.exchange, d.path, d.kind, d.severity) for d in report.differences]
    faults = {f.fault: f"{f.severity.value}: {f.message}" for f in report.faults if f.severity or f.skipped}
    return differences, faults


def test_pass_through_relay_changes_nothing_and_handles_every_fault(relay: tuple[Relay, str, str]) -> None:
    forwarder, url, upstream = relay
    forwarder.tweak = Tweak()
    report = fidelity(url, upstream)
    assert _findings(report) == ([], {})
    assert len(report.exchanges) == 10 and not any(e.skipped for e in report.exchanges)
    assert [f.fault for f in report.faults] == ["429", "500", "503", "400", "slow", "cut", "notjson"]


def _merge_pairs(payloads: list[str]) -> list[str]:
    merged: list[str] = []
    for payload in payloads:
        chunk = json.loads(payload) if payload != "[DONE]" else None
        last = json.loads(merged[-1]) if merged and merged[-1] != "[DONE]" else None
        if chunk and last and chunk.get("choices") and last.get("choices") and \
                chunk["choices"][0]["delta"].get("content") and last["choices"][0]["delta"].get("content") and \
                not last.get("_merged"):
            last["choices"][0]["delta"]["content"] += chunk["choices"][0]["delta"]["content"]
            merged[-1] = json.dumps({**last, "_merged": True})
            continue
        merged.append(payload)
    return [json.dumps({k: v for k, v in json.loads(p).items() if k != "_merged"}) if p != "[DONE]" else p
            for p in merged]


def _status(old: int, new: int) -> Any:
    return lambda status, headers, body: (new if status == old else status, headers, body)


V, W = Severity.VIOLATION, Severity.WARNING
DIFF_VARIANTS: dict[str, tuple[Tweak, tuple[str, str, str, Severity]]] = {
    "drop usage": (Tweak(json=lambda b: {k: v for k, v in b.items() if k != "usage"}),
                   ("chat", "usage", "dropped", V)),
    "rewrite finish_reason": (Tweak(json=lambda b: {**b, "choices": [
        {**c, "finish_reason": "content_filter"} for c in b.get("choices", [])]}),
        ("chat", "choices[0].finish_reason", "changed", V)),
    "merge stream chunks": (Tweak(events=_merge_pairs),
                            ("chat stream", "choices[0].delta.content (chunks)", "merged", W)),
    "add a field": (Tweak(json=lambda b: {**b, "x_relay_channel": 3}), ("chat", "x_relay_channel", "added", W)),
}
FAULT_VARIANTS: dict[str, tuple[Tweak, str, str]] = {
    "429 becomes 500": (Tweak(error=_status(429, 500)), "429", "violation: the relay answered 500"),
    "Retry-After dropped": (Tweak(error=lambda s, h, b: (s, {k: v for k, v in h.items() if k != "retry-after"}, b)),
                            "429", "violation: Retry-After dropped"),
    "400 hidden in a 200": (Tweak(error=_status(400, 200)), "400",
                            "violation: the relay answered 200 with an error hidden in the body"),
}


@pytest.mark.parametrize("variant", sorted(DIFF_VARIANTS))
def test_a_relay_that_changes_the_answer_is_reported_by_path(relay: tuple[Relay, str, str], variant: str) -> None:
    forwarder, url, upstream = relay
    tweak, expected = DIFF_VARIANTS[variant]
    forwarder.tweak = tweak
    try:
        differences, faults = _findings(fidelity(url, upstream, frozenset({"chat", "streaming"})))
    finally:
        forwarder.tweak = Tweak()
    assert expected in differences
    assert faults == {}


@pytest.mark.parametrize("variant", sorted(FAULT_VARIANTS))
def test_a_relay_that_mishandles_a_fault_is_reported_by_fault(relay: tuple[Relay, str, str], variant: str) -> None:
    forwarder, url, upstream = relay
    tweak, fault, message = FAULT_VARIANTS[variant]
    forwarder.tweak = tweak
    try:
        differences, faults = _findings(fidelity(url, upstream, frozenset({"chat"})))
    finally:
        forwarder.tweak = Tweak()
    assert differences == []
    assert list(faults) == [fault] and faults[fault].startswith(message)


def test_faults_are_skipped_when_the_upstream_does_not_fail() -> None:
    settings = ServerSettings(api_keys=(UPSTREAM_KEY,), answer_log=True)
    with serve(create_app(settings)) as upstream, serve(Relay(upstream, UPSTREAM_KEY, RELAY_KEY).app) as url:
        report = fidelity(url, upstream, frozenset({"chat"}))
    assert all(f.skipped and "--faults" in f.message for f in report.faults) and report.violations == 0


def test_conform_with_upstream_reports_fidelity_everywhere(relay: tuple[Relay, str, str], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    forwarder, url, upstream = relay
    forwarder.tweak = Tweak(json=lambda b: {k: v for k, v in b.items() if k != "usage"})
    monkeypatch.setenv("AITRE_UPSTREAM_API_KEY", UPSTREAM_KEY)
    out = Console(record=True, width=200, force_terminal=False)
    err = Console(record=True, width=200, force_terminal=False, stderr=True)
    options = ConformOptions(base_url=url, api_key=RELAY_KEY, upstream=upstream, report_dir=tmp_path,
                             only="chat", max_examples=1)
    try:
        code = conform(options, out, err)
    finally:
        forwarder.tweak = Tweak()
    whole = json.loads((tmp_path / "report.json").read_text())
    data = whole["fidelity"]
    assert code == 1 and data["summary"]["violations"] >= 1
    # The top-level summary agrees with the exit code: fidelity findings count there too.
    assert whole["summary"]["fidelity_violations"] >= 1 and whole["summary"]["failed"] is True
    assert any(d["path"] == "usage" for d in data["operations"]["POST /v1/chat/completions"])
    assert [f["outcome"] for f in data["faults"]] == ["pass"] * 7
    assert 'name="fidelity"' in (tmp_path / "junit.xml").read_text()
    assert "Relay fidelity" in (tmp_path / "report.html").read_text()
    assert "fault matrix" in out.export_text()
    written = "\n".join(p.read_text(errors="replace") for p in tmp_path.iterdir()) + out.export_text()
    assert UPSTREAM_KEY not in written and RELAY_KEY not in written


def test_upstream_without_answer_log_or_relay_is_a_usage_error(relay: tuple[Relay, str, str]) -> None:
    _, url, _ = relay
    err = Console(record=True, width=200, force_terminal=False, stderr=True)
    with serve(create_app(ServerSettings(api_keys=(UPSTREAM_KEY,)))) as plain:
        assert conform(ConformOptions(base_url=url, api_key=RELAY_KEY, upstream=plain, upstream_api_key=UPSTREAM_KEY,
                                      report_dir=None, only="chat"), Console(), err) == 2
    assert "--answer-log" in err.export_text()
    assert conform(ConformOptions(upstream=url), Console(), err) == 2
