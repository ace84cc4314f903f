"""Classes 2 and 3: secrets in URLs are redacted everywhere a URL is written, by one function.

Everywhere: ``url.full`` on the span (and so the OTLP bytes), our DEBUG "Creating span" line,
the recorded cassette, the cassette-miss message. One function (``sik_llms.redact.redact_url``)
serves telemetry, recording and the live side of matching, so a recording replays, and the
scanner flags exactly what the scrubber would have removed.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

from harness.cassettes import use_cassette
from harness.cassettes.match import CassetteMiss
from harness.cassettes.scan import scan_document, scan_paths
from sik_llms import user_message
from sik_llms.providers import OpenAI
from sik_llms.redact import REDACTED, is_secret_param, redact_url
from tests.security.conftest import OPENAI_KEY, LeakWatch, answering

MSGS = [user_message("hi")]
PLAIN_SECRET = "Xk3" + "plainvalue"  # short and not key-shaped: caught only by its parameter's name
SIGNATURE = "fe5f80f77d5fa3beca038a248ff027d0" + "445342fe2855ddc963176630326f1024"
SECRET_PARAMS = {
    "client_secret": PLAIN_SECRET,
    "X-Amz-Signature": SIGNATURE,
    "X-Amz-Credential": "AKIA" + "Z7QW3RT5YU8IO2PL/20250101/us-east-1/s3/aws4_request",
    "X-Amz-Security-Token": "FwoGZXIvYXdzEB" + "4aDNxq",
    "sig": "k5Nq" + "2b%2Bz%3D",
    "se": "2026-01-01T00:00:00Z",
    "sp": "racwdl",
    "GoogleAccessId": "svc" + "@proj.iam.gserviceaccount.com",
    "X-Goog-Signature": SIGNATURE[::-1],
    "access_token": "ya29" + ".a0AfH6SMBx",
    "password": "hunter" + "22",
    "refresh-token": "rt" + "-9f8e7d",
    "foo": OPENAI_KEY,  # any name: the value is key-shaped
}
KEPT = {"api-version": "2024-10-21", "max_tokens": "5", "beta": "true"}


def _values() -> list[str]:
    return list(SECRET_PARAMS.values())


def test_secret_named_and_key_shaped_query_values_are_redacted_and_the_rest_kept() -> None:
    query = "&".join(f"{k}={v}" for k, v in {**SECRET_PARAMS, **KEPT}.items())
    clean = redact_url(f"https://user:pa55word@storage.example.com/b/o?{query}#access_token=abc")
    for name in SECRET_PARAMS:
        assert f"{name}={REDACTED}" in clean, name
    for name, value in KEPT.items():
        assert f"{name}={value}" in clean
    assert "pa55word" not in clean and clean.startswith(
        "https://REDACTED:REDACTED@storage.example.com/b/o?"
    )
    assert "#" not in clean and not any(v in clean for v in _values())
    assert redact_url(clean) == clean  # idempotent: a scrubbed recording scrubs to itself


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "id_token",
        "Client-Secret",
        "my_api_key",
        "Signature",
        "skoid",
        "Policy",
        "Key-Pair-Id",
        "code",
        "x-api-key",
        "apiKey",
        "AWSAccessKeyId",
        "Ocp-Apim-Subscription-Key",
        "access_key",
        "sessionid",
        "passphrase",
    ],
)
def test_the_documented_list_covers_cloud_signed_urls_and_oauth(name: str) -> None:
    assert is_secret_param(name)


@pytest.mark.parametrize(
    "name", ["max_tokens", "model", "api-version", "limit", "after", "beta", "author"]
)
def test_ordinary_parameters_are_not_secrets(name: str) -> None:
    assert not is_secret_param(name)


def test_url_full_the_debug_log_and_the_otlp_bytes_carry_no_url_secret(
    leak_watch: LeakWatch,
) -> None:
    client = OpenAI(
        "gpt-4o-mini",
        api_key=OPENAI_KEY,
        max_retries=0,
        base_url="http://127.0.0.1:9/v1",
        extra_query=dict(SECRET_PARAMS),
    )
    seen: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(500, json={"error": {"message": "no"}})

    with answering(answer):
        leak_watch.run(lambda: client(MSGS))
    assert PLAIN_SECRET in seen[0]  # the request itself carried them
    [http] = [s for s in leak_watch.spans() if s.attributes.get("url.full")]
    assert f"client_secret={REDACTED}" in http.attributes["url.full"]
    assert "Creating span: http.request" in leak_watch.caplog.text
    leak_watch.assert_nowhere(*_values())


def _provider(request: httpx2.Request) -> httpx2.Response:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello"},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    return httpx2.Response(200, json=body)


def _client(query: dict[str, str]) -> OpenAI:
    return OpenAI("gpt-4o-mini", api_key=OPENAI_KEY, max_retries=0, stream=False, extra_query=query)


def test_recording_scrubs_the_url_the_scanner_agrees_and_the_same_test_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's instance: ``?client_secret=X&foo=<key>`` was written verbatim, the scanner
    called the file clean, and the replay missed (recording side redacted, live side not)."""
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "url.yaml"
    query = {
        "client_secret": PLAIN_SECRET,
        "foo": OPENAI_KEY,
        "X-Amz-Signature": SIGNATURE,
        "beta": "true",
    }
    with use_cassette(path, mode="once", real_transport=httpx2.MockTransport(_provider)):
        assert _client(query)(MSGS).response == "Hello"
    text = path.read_text()
    assert not any(v in text for v in query.values() if v != "true")
    assert f"client_secret={REDACTED}" in text and "beta=true" in text
    assert scan_paths([path]) == ([], 1)
    with use_cassette(path):  # replay: the live URL, scrubbed the same way, matches
        assert _client(query)(MSGS).response == "Hello"


def test_the_scanner_flags_a_cassette_url_the_scrubber_would_have_changed(tmp_path: Path) -> None:
    uri = f"https://api.example.com/v1/x?client_secret={PLAIN_SECRET}&beta=true"
    findings = scan_document(f"interactions:\n- request:\n    uri: {uri}\n", "c.yaml")
    assert [f.kind for f in findings] == ["secret in URL"] and PLAIN_SECRET not in str(findings[0])
    assert scan_document(f"uri: {redact_url(uri)}\n", "c.yaml") == []


def test_the_cassette_miss_message_never_prints_the_live_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "miss.yaml"
    with use_cassette(path, mode="once", real_transport=httpx2.MockTransport(_provider)):
        _client({"client_secret": PLAIN_SECRET, "page": "1"})(MSGS)
    other = {"client_secret": PLAIN_SECRET[::-1], "page": "2", "foo": OPENAI_KEY}
    with pytest.raises(Exception) as info, use_cassette(path, unused="ignore"):
        _client(other)(MSGS)
    chain, exc = [], info.value
    while exc is not None:
        chain.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    text = "\n".join(chain)
    assert "page" in text  # the miss explains the difference...
    assert not any(
        v in text for v in (PLAIN_SECRET, PLAIN_SECRET[::-1], OPENAI_KEY)
    )  # ...without secrets
    assert (
        any(isinstance(e, CassetteMiss) for e in _walk(info.value))
        or "no unused recorded request" in text
    )


def _walk(exc: BaseException | None) -> list[BaseException]:
    out = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def test_recorded_json_bodies_keep_their_secrets_out_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "body.yaml"
    client = OpenAI(
        "gpt-4o-mini",
        api_key=OPENAI_KEY,
        max_retries=0,
        stream=False,
        extra_body={"metadata": {"note": f"line1\n{OPENAI_KEY}", "client_secret": PLAIN_SECRET}},
    )
    with use_cassette(path, mode="once", real_transport=httpx2.MockTransport(_provider)):
        client(MSGS)
    text = path.read_text()
    assert OPENAI_KEY not in text and PLAIN_SECRET not in text
    assert json.loads(json.dumps(text)) and scan_paths([path])[0] == []


def test_an_error_that_quotes_a_url_is_redacted_in_the_error_and_the_spans(
    leak_watch: LeakWatch,
) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError(f"cannot reach '{request.url}'")

    client = OpenAI(
        "gpt-4o-mini",
        api_key=OPENAI_KEY,
        max_retries=0,
        base_url="http://127.0.0.1:9/v1",
        extra_query={"client_secret": PLAIN_SECRET, "sig": SIGNATURE},
    )
    with answering(refuse):
        exc = leak_watch.run(lambda: client(MSGS))
    assert exc is not None and f"client_secret={REDACTED}" in str(exc)
    leak_watch.assert_nowhere(PLAIN_SECRET, SIGNATURE)


def test_sik_llms_log_lines_quoting_a_url_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="sik_llms")
    logging.getLogger("sik_llms").info(
        "exporting to %s", f"https://otlp.example.com/v1/traces?api_key={PLAIN_SECRET}"
    )
    assert PLAIN_SECRET not in caplog.text and "api_key=REDACTED" in caplog.text


def test_a_malformed_otlp_headers_variable_is_reported_without_its_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from sik_llms.telemetry.config import parse_key_values

    caplog.set_level(logging.DEBUG, logger="sik_llms")
    secret = "Zq8Wn3Rt6Yp1Lk4H" + "g7Fd2Sa5"
    assert (
        parse_key_values(f"x-honeycomb-team:{secret}", "OTEL_EXPORTER_OTLP_HEADERS_SECTEST") is None
    )
    assert caplog.records and secret not in caplog.text and "malformed entry" in caplog.text


def test_custom_scrub_rules_apply_to_recording_and_matching_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Extra field and parameter names redacted on record are redacted on the live side too,
    so the same test replays (one scrub, two uses)."""
    from harness.cassettes.scrub import ScrubConfig

    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "custom.yaml"
    scrub = ScrubConfig(
        extra_body_fields=("tenant_note",), secret_query_params=frozenset({"tenant"})
    )

    def client() -> OpenAI:
        return OpenAI(
            "gpt-4o-mini",
            api_key=OPENAI_KEY,
            max_retries=0,
            stream=False,
            extra_query={"tenant": "acme-42"},
            extra_body={"tenant_note": "internal-7"},
        )

    with use_cassette(
        path, mode="once", real_transport=httpx2.MockTransport(_provider), scrub=scrub
    ):
        client()(MSGS)
    text = path.read_text()
    assert "acme-42" not in text and "internal-7" not in text
    with use_cassette(path, scrub=scrub):
        assert client()(MSGS).response == "Hello"
