"""What a schemathesis finding means for a client of the format: its feature, its rule and its severity.

schemathesis judges every answer against the schema alone; the severity model (ARCHITECTURE.md,
"Severity") asks instead whether a correct client breaks. The mapping:

- `not_a_server_error`, `status_code_conformance`, `content_type_conformance`,
  `response_schema_conformance`, `response_headers_conformance`, `ignored_auth`,
  `ensure_resource_availability`, `use_after_free` and transport failures: violations; but a 4xx the
  operation does not declare (FastAPI-based relays answer 422 where the spec gives 400) is a warning,
  since the client gets an error status either way.
- `positive_data_acceptance`: a documented example of the spec refused is a violation; a generated
  "valid" body refused is a warning (a server may refuse on model policy or on properties it does not
  know); not judged at all where the run has no usable model for the operation.
- `negative_data_rejection`: accepting a body that breaks a core rule (a required field, the type or
  documented range of a top-level parameter) is a violation; any other leniency (nested values, model
  policy, enums) is a warning; a "negative" body that matches the schema after all is no finding.
  Multipart bodies are not judged: their parts are text, so most of schemathesis's type mutations are
  valid on the wire (tooling notes 1c).
- `unsupported_method`: 404 to an unknown method is what OpenAI answers (warning); a 2xx is a violation.
- `allow_header_conformance`, `missing_required_header`: warnings, and an Allow header that leaves out
  only methods the server does not support is no finding.
"""

from __future__ import annotations

from typing import Any

from aitre.conform.failures import Severity
from aitre.conform.request_contract import RequestContract

# schemathesis check name -> the feature (matrix column) it reports under.
FEATURES: dict[str, str] = {
    "not_a_server_error": "no 5xx",
    "status_code_conformance": "schema",
    "content_type_conformance": "schema",
    "response_schema_conformance": "schema",
    "response_headers_conformance": "schema",
    "negative_data_rejection": "rejects invalid",
    "missing_required_header": "rejects invalid",
    "positive_data_acceptance": "accepts valid",
    "unsupported_method": "methods",
    "allow_header_conformance": "methods",
    "ignored_auth": "auth enforced",
    "use_after_free": "stateful",
    "ensure_resource_availability": "stateful",
}
RULES: dict[str, str] = {
    "not_a_server_error": "No generated request, valid or not, gets a 5xx.",
    "status_code_conformance": "Every status code is one the operation declares (an undeclared 4xx is a warning).",
    "content_type_conformance": "Every Content-Type is one the answered status declares.",
    "response_schema_conformance": "Every JSON body and SSE event matches the declared schema.",
    "response_headers_conformance": "Declared response headers are present and well formed.",
    "negative_data_rejection": (
        "Requests that break a core rule (a required field, the type or documented range of a top-level "
        "parameter) get a 4xx; accepting other invalid input is a warning."
    ),
    "missing_required_header": "Requests missing a required header get a 4xx (a warning when not).",
    "positive_data_acceptance": (
        "The spec's documented examples are accepted; a generated valid request refused with a 4xx is a warning."
    ),
    "unsupported_method": "Undeclared methods get 405 (404, as OpenAI answers, is a warning).",
    "allow_header_conformance": "405 answers carry an Allow header listing the supported methods (a warning).",
    "ignored_auth": "Requests without valid credentials get 401.",
    "use_after_free": "A deleted resource is gone.",
    "ensure_resource_availability": "A created resource can be fetched.",
}
# What each mapping lets a server do, for the reports (the rules above say what it must do).
LATITUDE: dict[str, str] = {
    "positive_data_acceptance": "A generated valid body may be refused with a 4xx error (model policy, properties "
                                "the server does not know): a warning. Not judged without a usable model.",
    "negative_data_rejection": "Accepting invalid nested values, enums or combinations is a warning; multipart "
                               "bodies are not judged (their parts are text on the wire).",
    "unsupported_method": "404, as OpenAI answers an unknown method, is a warning.",
    "allow_header_conformance": "Methods the server does not support at all may be left out of Allow.",
    "content_type_conformance": "Any media type the spec declares, the generic ones included (speech as "
                                "application/octet-stream is allowed here and warned about by the audio checks).",
    "response_schema_conformance": "Extra fields are allowed; MidJourney errors may use the midjourney-proxy shape.",
    "status_code_conformance": "A 4xx the operation does not declare (422 where 400 is given) is a warning: the "
                               "request is refused either way.",
}
LENIENT_CHECKS = frozenset({"allow_header_conformance", "missing_required_header"})
MULTIPART_PATHS = frozenset(
    {"/v1/audio/transcriptions", "/v1/audio/translations", "/v1/images/edits", "/v1/images/variations"}
)


def judge(check: str, case: Any, status: int | None, *, contract: RequestContract, model_swapped: bool,
          model_usable: bool, error_param: str | None = None) -> tuple[Severity, str] | None:
    """The severity of a failed schemathesis check on `case` and a note on why; None when it is no finding.

    `model_swapped`: the case's model was replaced by the run's model for its role (see `tame_body`);
    `model_usable`: the run has a model for the operation's role, or the operation names none;
    `error_param`: the `param` of the error the server answered, if any (`PARAM_ABSENT` when the error
    object has none: whether the refusal was model policy cannot be told, and the error-shape check
    reports the missing `param`).
    """
    path = case.operation.path
    if check == "positive_data_acceptance":
        if not model_usable:
            return None
        if model_swapped and error_param not in (None, "model"):
            # Our replacement model may not take what the case asked of the generated one (model policy).
            return None
        phase = getattr(getattr(case.meta, "phase", None), "name", "")
        if str(getattr(phase, "value", phase)) == "examples" and not model_swapped:
            return Severity.VIOLATION, "a documented example of the spec was refused"
        return Severity.WARNING, "a generated request that matches the schema was refused"
    if check == "negative_data_rejection":
        if path in MULTIPART_PATHS:
            return None
        if case.body is None or case.media_type is None or not _body_mutated(case):
            return Severity.WARNING, "an invalid parameter outside the body was accepted"
        breach = contract.breach(case.operation.label, case.media_type, case.body)
        if breach is None:
            return None
        return breach.severity, f"accepted: {breach.where}"
    if check == "unsupported_method":
        if status is not None and 200 <= status < 300:
            return Severity.VIOLATION, f"an undeclared method was answered {status}"
        if status == 405:
            # schemathesis also fails a 405 whose `Allow` header is missing; no client reads it.
            return Severity.WARNING, "an undeclared method was answered 405 without an `Allow` header"
        return Severity.WARNING, f"an undeclared method was answered {status}, not 405"
    if check in LENIENT_CHECKS:
        return Severity.WARNING, ""
    if check == "status_code_conformance" and status is not None and 400 <= status < 500:
        return Severity.WARNING, f"a refusal with {status}, a status the operation does not declare"
    return Severity.VIOLATION, ""


def _body_mutated(case: Any) -> bool:
    """Whether schemathesis broke the body (rather than a path, query or header parameter)."""
    components = getattr(case.meta, "components", None) or {}
    for location, info in components.items():
        if str(getattr(location, "name", location)).lower() == "body":
            return bool(info.mode.is_negative)
    return True


def allow_lists_supported(allow_header: str | None, path: str, declared: dict[str, set[str]],
                          unsupported: set[str]) -> bool:
    """Whether an Allow header lists every declared method of `path` that the server supports."""
    if allow_header is None:
        return False
    allowed = {method.strip().upper() for method in allow_header.split(",") if method.strip()}
    supported = {method for method in declared.get(path, set()) if f"{method} {path}" not in unsupported}
    return supported <= allowed
