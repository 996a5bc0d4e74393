"""Servers that differ from ours in allowed ways pass `aitre conform`; the differences a client could
notice are listed as warnings, never as violations (the severity model in conform/ARCHITECTURE.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from aitre.conform.failures import Severity
from aitre.conform.request_contract import RequestContract
from aitre.conform.results import Outcome, RunReport
from aitre.conform.runner import Runner, load_spec
from aitre.server.app import create_app
from aitre.server.settings import DEFAULT_MODELS, ServerSettings
from tests.conform.conftest import settings_for
from tests.conform.servers import KEY, serve
from tests.conform.variants import (
    LENIENT_MODELS,
    ClosesConnections,
    LenientNested,
    ListsNoModels,
    MidjourneyErrors,
    MidjourneyProxyRefusals,
    NoAudioRoutes,
    NoMjApiSecret,
    NoMjExtraRoutes,
    NoMjState,
    NoModelPolicy,
    NotFoundForUnknownMethods,
    OctetStreamSpeech,
    PlainTextChat,
    UnknownPropertiesRejected,
    Variant,
)

AREAS = {"auth", "errors", "models", "chat", "completions", "streaming", "embeddings", "images", "audio",
         "midjourney"}


def _reference() -> Any:
    extra = {"speech": LENIENT_MODELS["/v1/audio/speech"], "images": LENIENT_MODELS["/v1/images/generations"],
             "embeddings": LENIENT_MODELS["/v1/embeddings"]}
    models = {area: (*ids, extra[area]) if area in extra else ids for area, ids in DEFAULT_MODELS.items()}
    return create_app(ServerSettings(api_keys=(KEY,), models=models))


def _run(make: Callable[[Any], Variant], areas: set[str], **overrides: Any) -> RunReport:
    with serve(make(_reference())) as url:
        settings = replace(settings_for(url, schema_checks=True, max_examples=3, areas=frozenset(areas)),
                           **overrides)
        return Runner(settings).run()


def _findings(report: RunReport) -> list[tuple[str, str, str]]:
    return [(f.check, f.severity.value, f.message[:160]) for r in report.results for f in r.failures]


def _violations(report: RunReport) -> list[tuple[str, str, str]]:
    return [item for item in _findings(report) if item[1] == Severity.VIOLATION.value]


def _outcome(report: RunReport, name: str) -> Outcome:
    return next(result.outcome for result in report.results if result.name == name)


def test_midjourney_error_shape_is_allowed_on_mj_routes() -> None:
    report = _run(MidjourneyErrors, {"midjourney", "errors"})
    assert _violations(report) == [] and not report.failed()
    assert _outcome(report, "mj_unknown_task_is_404") is Outcome.PASS
    assert _outcome(report, "every_4xx_has_error_object") is Outcome.PASS


def test_only_the_error_checks_still_find_every_route_supported() -> None:
    """Refusals that name a field or an unknown model show the route exists, without any 2xx."""
    report = _run(Variant, {"errors"}, schema_checks=False)
    assert report.unsupported_operations == [] and not report.failed()
    assert all(result.outcome is Outcome.PASS for result in report.results), _findings(report)


def test_an_area_without_routes_is_not_supported_despite_a_body_parser_400() -> None:
    report = _run(NoAudioRoutes, {"audio", "errors"})
    assert _violations(report) == [] and not report.failed()
    audio = [result.outcome for result in report.results if result.area == "audio"]
    assert audio and all(outcome is Outcome.NOT_SUPPORTED for outcome in audio), audio


def test_a_server_listing_no_models_is_still_tested_through_the_default_models() -> None:
    report = _run(ListsNoModels, AREAS - {"midjourney"}, schema_checks=False)
    assert _violations(report) == [] and not report.failed()
    skipped = {r.name: r.reason for r in report.results if r.outcome is Outcome.SKIPPED}
    assert skipped == {"model_retrieve_matches_list": "the model list is empty",
                       "listed_models_are_served": "the model list is empty"}
    assert all(source.startswith("default") for source in report.model_sources.values()), report.model_sources


def test_a_refused_default_model_leaves_its_role_empty() -> None:
    def no_speech(app: Any) -> Variant:
        class Refuses(ListsNoModels):
            async def handle(self, scope: dict[str, Any], body: bytes) -> Any:
                if scope["path"] == "/v1/audio/speech":
                    from tests.conform.variants import Captured, json_answer
                    return Captured(*json_answer(404, {"error": {"message": "no such model", "type":
                                                              "invalid_request_error", "param": "model",
                                                              "code": "model_not_found"}}))
                return await super().handle(scope, body)
        return Refuses(app)

    report = _run(no_speech, {"audio"}, schema_checks=False)
    assert report.models["speech"] is None and "refused" in report.model_sources["speech"]
    assert report.models["transcription"] == "whisper-1"


def test_refusing_mj_api_secret_is_not_supported_not_a_violation() -> None:
    report = _run(NoMjApiSecret, {"midjourney"})
    assert _violations(report) == [] and not report.failed()
    assert _outcome(report, "mj_secret_header_accepted") is Outcome.NOT_SUPPORTED


def test_mj_refusals_as_200_envelopes_are_allowed() -> None:
    report = _run(MidjourneyProxyRefusals, {"midjourney"}, schema_checks=False)
    assert _violations(report) == [] and not report.failed()
    assert _outcome(report, "mj_blend_picture_count_bounded") is Outcome.PASS


def test_a_relay_dropping_mj_state_gets_warnings_not_violations() -> None:
    report = _run(NoMjState, {"midjourney"}, schema_checks=False)
    assert _violations(report) == [] and not report.failed()
    warned = {check for check, severity, _ in _findings(report) if severity == Severity.WARNING.value}
    assert {"mj_state_returned_unchanged", "mj_blend_lifecycle", "mj_describe_lifecycle"} <= warned, warned


def test_mj_routes_a_relay_lacks_are_not_supported() -> None:
    report = _run(NoMjExtraRoutes, {"midjourney"}, schema_checks=False)
    assert _violations(report) == [] and not report.failed()
    for name in ("mj_shorten_lifecycle", "mj_modal_continues_waiting_task", "mj_change_lifecycle",
                 "mj_simple_change_starts_new_task", "mj_upload_one_link_per_picture"):
        assert _outcome(report, name) is Outcome.NOT_SUPPORTED, name
    assert _outcome(report, "mj_blend_lifecycle") is Outcome.PASS


def test_lenient_nested_validation_is_at_most_a_warning() -> None:
    report = _run(LenientNested, {"chat", "completions", "errors"}, max_examples=6)
    assert _violations(report) == [] and not report.failed()


def test_rejecting_undeclared_properties_is_allowed() -> None:
    report = _run(lambda app: UnknownPropertiesRejected(app, load_spec()), AREAS - {"midjourney"})
    assert _violations(report) == [] and not report.failed()


def test_not_enforcing_model_policy_is_at_most_a_warning() -> None:
    report = _run(NoModelPolicy, {"audio", "images", "embeddings"}, max_examples=6)
    assert _violations(report) == [] and not report.failed()


def test_octet_stream_speech_is_a_warning() -> None:
    report = _run(OctetStreamSpeech, {"audio"})
    assert _violations(report) == [] and not report.failed()
    assert _outcome(report, "speech_content_type_per_format") is Outcome.WARN
    assert report.failed(strict=True)


def test_serial_tool_calls_legacy_finish_reason_and_no_audio_output_are_allowed() -> None:
    report = _run(PlainTextChat, {"chat"}, schema_checks=False)
    assert _violations(report) == [] and not report.failed(strict=True)
    assert _outcome(report, "chat_parallel_tool_calls_false") is Outcome.SKIPPED
    assert _outcome(report, "chat_audio_output") is Outcome.SKIPPED
    assert _outcome(report, "chat_forced_function_call") is Outcome.PASS
    assert _outcome(report, "chat_audio_only_when_asked") is Outcome.PASS


def test_404_for_unknown_methods_is_a_warning() -> None:
    report = _run(NotFoundForUnknownMethods, {"models", "embeddings"})
    assert _violations(report) == [] and not report.failed()
    warned = {check for check, severity, _ in _findings(report) if severity == Severity.WARNING.value}
    assert "schemathesis.unsupported_method" in warned


def test_connections_closed_after_answers_cause_no_finding() -> None:
    report = _run(ClosesConnections, AREAS, max_examples=2)
    assert _violations(report) == [] and not report.failed()


# -- what an accepted invalid body breaks --------------------------------------------------------------

CHAT = "POST /v1/chat/completions"
BASE = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.parametrize(("body", "severity"), [
    ({k: v for k, v in BASE.items() if k != "model"}, Severity.VIOLATION),  # required field missing
    ({**BASE, "temperature": "hot"}, Severity.VIOLATION),  # top-level type
    ({**BASE, "temperature": 5}, Severity.VIOLATION),  # documented range
    ({**BASE, "stop": 3}, Severity.VIOLATION),  # a union whose branches all take other types
    ({**BASE, "stream": True, "stream_options": {"include_obfuscation": "yes"}}, Severity.WARNING),  # nested
    ({**BASE, "top_logprobs": 3}, Severity.WARNING),  # a combination rule (G8), without logprobs
    ({**BASE, "service_tier": "premium"}, Severity.WARNING),  # an enum, not a core rule
    ({**BASE, "user": None}, Severity.WARNING),  # null for an optional parameter, read as absent
    ({**BASE, "messages": None}, Severity.VIOLATION),  # null for a required one
    ({**BASE, "user": 5}, Severity.VIOLATION),  # a top-level type, not null
])
def test_accepted_invalid_bodies_are_judged_by_what_they_break(body: dict[str, Any], severity: Severity) -> None:
    breach = RequestContract(load_spec()).breach(CHAT, "application/json", body)
    assert breach is not None and breach.severity is severity, breach
    # The words agree with the severity: only a violation is called a core rule.
    assert ("(a core rule)" in breach.where) is (severity is Severity.VIOLATION), breach


def test_model_policy_breach_is_a_warning_and_a_valid_body_is_no_finding() -> None:
    contract = RequestContract(load_spec())
    speech = {"model": "tts-1", "input": "Hi", "voice": "marin"}
    breach = contract.breach("POST /v1/audio/speech", "application/json", speech)
    assert breach is not None and breach.severity is Severity.WARNING and "model policy" in breach.where
    assert contract.breach(CHAT, "application/json", BASE) is None


def test_pruning_a_form_with_files_judges_nothing_it_cannot_read() -> None:
    body = {"image": [b"\x89PNG", b"\x89PNG"], "prompt": "Add a hat", "mood": "x"}
    removed = RequestContract(load_spec()).prune_undeclared("POST /v1/images/edits", "multipart/form-data", body)
    assert removed == ["mood"] and body["image"] == [b"\x89PNG", b"\x89PNG"]


def test_positive_cases_lose_undeclared_properties_at_every_level() -> None:
    contract = RequestContract(load_spec())
    body = json.loads(json.dumps({**BASE, "top_k": 3, "stream": True,
                                  "stream_options": {"include_usage": True, "extra": 1},
                                  "messages": [{"role": "user", "content": "Hi", "mood": "x"}]}))
    removed = contract.prune_undeclared(CHAT, "application/json", body)
    assert sorted(removed) == ["messages[0].mood", "stream_options.extra", "top_k"]
    assert body["stream_options"] == {"include_usage": True} and body["messages"][0] == {"role": "user",
                                                                                         "content": "Hi"}


def test_a_reset_on_a_pooled_connection_is_retried_once_on_a_fresh_one() -> None:
    """A server may close a keep-alive connection at any time; the request that meets it is sent again."""
    import socket
    import threading

    from aitre.conform.client import ConformClient, RequestCounter

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    body = b'{"object": "list", "data": []}'
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    def serve_connection(conn: socket.socket) -> None:
        with conn:
            served = 0
            buffer = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    _, buffer = buffer.split(b"\r\n\r\n", 1)
                    if served == 1:
                        return  # the second request on a connection: closed without an answer
                    conn.sendall(answer)
                    served += 1

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_connection, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    counter = RequestCounter(None)
    client = ConformClient(f"http://127.0.0.1:{port}", "sk-x", timeout=5, counter=counter, max_body_bytes=10**6,
                           max_stream_events=10)
    try:
        first = client.request("GET /v1/models")
        second = client.request("GET /v1/models")
    finally:
        client.close()
        listener.close()
    assert (first.status, second.status, second.error) == (200, 200, None)
    assert client.resets_retried == 1 and counter.sent == 3 and len(client.log) == 2


def test_a_server_without_auth_is_one_group_not_one_finding_per_operation() -> None:
    from tests.conform.variants import NoAuth

    report = _run(lambda app: NoAuth(app, KEY), {"auth", "models", "embeddings"})
    failing = sorted(result.name for result in report.violations)
    assert failing and all(name in {"missing_key_is_401", "missing_key_is_401_on_post", "wrong_key_is_401",
                                    "wrong_key_is_401_on_post", "malformed_authorization_is_401"}
                           for name in failing), failing
    ignored = next(r for r in report.results if r.name == "schemathesis.ignored_auth")
    assert ignored.outcome is Outcome.SKIPPED and "restate" in ignored.reason
    assert any(f.check == "schemathesis.ignored_auth" for r in report.violations for f in r.failures)
