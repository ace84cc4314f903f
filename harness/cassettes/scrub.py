"""Make a recorded interaction safe to commit: allow-listed headers only, no credentials.

Safe by default: a header survives only if it is on the allow-list (a new auth header a
provider invents tomorrow is dropped, not leaked). URLs go through ``scrub_uri`` (secret-named
and key-shaped query values, userinfo), credential fields in JSON bodies become ``REDACTED``,
and anything key-shaped left in any body text is replaced too; every rule is
``sik_llms.redact``'s. The scanner then double-checks the written text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from harness.cassettes.format import Interaction, RecordedRequest, RecordedResponse
from harness.cassettes.validate import Headers
from sik_llms.redact import redact, redact_data, redact_url

REQUEST_HEADER_ALLOW = frozenset(
    {
        "accept",
        "content-type",
        "user-agent",
        "anthropic-version",
        "anthropic-beta",
        "openai-beta",
        "x-stainless-lang",
        "x-stainless-package-version",
        "x-stainless-runtime",
        "x-stainless-runtime-version",
        "x-stainless-async",
        "x-stainless-retry-count",
        "x-stainless-helper-method",
        "x-stainless-stream-helper",
    }
)
RESPONSE_HEADER_ALLOW = frozenset(
    {
        "content-type",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "request-id",
        "x-request-id",
        "openai-processing-ms",
        "openai-version",
        "openai-model",
    }
)
RESPONSE_HEADER_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")


@dataclass
class ScrubConfig:
    request_headers: frozenset[str] = REQUEST_HEADER_ALLOW
    response_headers: frozenset[str] = RESPONSE_HEADER_ALLOW
    response_header_prefixes: tuple[str, ...] = RESPONSE_HEADER_PREFIXES
    #: query parameter names to redact beyond ``sik_llms.redact.SECRET_PARAM_NAMES``
    secret_query_params: frozenset[str] = frozenset()
    extra_body_fields: tuple[str, ...] = field(default_factory=tuple)  # more field names to redact


def scrub_text(text: str) -> str:
    """Replace every key-shaped string by REDACTED (see ``harness.cassettes.scan.redact``)."""
    return redact(text)


def scrub_body(body: bytes, extra: tuple[str, ...] = ()) -> bytes:
    """JSON bodies field by field (keeping their formatting style); other text by pattern."""
    if not body:
        return body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # binary payloads are checked by the scanner, which decodes them
    try:
        data = json.loads(text)
        cleaned = redact_data(data, extra)
        if cleaned == data:
            return body
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to treat as data
        return scrub_text(text).encode("utf-8")
    return json.dumps(
        cleaned,
        ensure_ascii=False,
        separators=(",", ":") if "\n" not in text else None,
        indent=2 if "\n" in text.strip() else None,
    ).encode("utf-8")


def scrub_uri(uri: str, secret_params: frozenset[str] = frozenset()) -> str:
    """The URL as recorded and as matched: ``sik_llms.redact.redact_url`` (the same function
    telemetry uses for ``url.full``), so recording, matching and spans never disagree."""
    return redact_url(uri, extra_names=secret_params)


def _keep(headers: Headers, allow: frozenset[str], prefixes: tuple[str, ...] = ()) -> Headers:
    return {
        k: [scrub_text(v) for v in vs]
        for k, vs in headers.items()
        if k.lower() in allow or k.lower().startswith(prefixes)
    }


def scrub_interaction(interaction: Interaction, config: ScrubConfig | None = None) -> Interaction:
    """A copy of ``interaction`` fit to commit."""
    cfg = config or ScrubConfig()
    req, resp = interaction.request, interaction.response
    body = scrub_body(resp.body, cfg.extra_body_fields)
    resp_headers = _keep(resp.headers, cfg.response_headers, cfg.response_header_prefixes)
    if resp.header("content-length") is not None:
        resp_headers["content-length"] = [str(len(body))]
    return replace(
        interaction,
        request=RecordedRequest(
            method=req.method,
            uri=scrub_uri(req.uri, cfg.secret_query_params),
            headers=_keep(req.headers, cfg.request_headers),
            body=scrub_body(req.body, cfg.extra_body_fields),
        ),
        response=RecordedResponse(
            status=resp.status,
            reason=resp.reason,
            headers=resp_headers,
            body=body,
            timing=resp.timing,
        ),
    )
