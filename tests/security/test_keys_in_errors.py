"""Class 1: a key inside an error never leaves: not in the raised error, a span, a log line, OTLP.

The issue's instance: a key with a trailing newline (``open("key").read()``) made the HTTP layer
raise ``Illegal header value b'Bearer sk-...\\n'``, which reached the raised ConnectionError,
all three spans' ``exception.message`` and stack trace, the OTLP export and the logs. Variants:
other characters a header cannot hold, both providers, sync and async, an error raised by the
HTTP layer itself, a provider error body echoing the key, a key that is not key-shaped.
"""

from __future__ import annotations

import asyncio
import logging

import httpx2
import pytest

from sik_llms import errors, user_message
from sik_llms.providers import Anthropic, OpenAI
from sik_llms.redact import REDACTED, redact
from tests.security.conftest import ANTHROPIC_KEY, LOCAL_KEY, OPENAI_KEY, LeakWatch, answering

MSGS = [user_message("hi")]
BAD_SUFFIXES = {
    "trailing newline": "\n",
    "trailing CRLF": "\r\n",
    "header injection": "\r\nX-Evil: 1",
    "non-ASCII": "é",
    "trailing space": " ",
    "NUL": "\x00",
}


def _client(provider: str, key: str, **kw: object) -> OpenAI | Anthropic:
    if provider == "openai":
        return OpenAI("gpt-4o-mini", api_key=key, max_retries=0, **kw)
    return Anthropic("claude-haiku-4-5", api_key=key, max_retries=0, **kw)


def _never(request: httpx2.Request) -> httpx2.Response:
    raise AssertionError("a request was sent with a key that cannot be a header value")


@pytest.mark.parametrize("entry", ["sync", "async"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("suffix", list(BAD_SUFFIXES.values()), ids=list(BAD_SUFFIXES))
def test_a_key_that_cannot_be_a_header_gets_a_clear_error_that_never_echoes_it(
    leak_watch: LeakWatch, provider: str, suffix: str, entry: str
) -> None:
    key = (OPENAI_KEY if provider == "openai" else ANTHROPIC_KEY) + suffix
    client = _client(provider, key)
    with answering(_never):
        if entry == "sync":
            exc = leak_watch.run(lambda: client(MSGS))
        else:
            exc = leak_watch.run(lambda: asyncio.run(client.run_async(MSGS)))
    assert isinstance(exc, errors.InvalidAPIKeyError), repr(exc)  # never a raw UnicodeEncodeError
    assert isinstance(exc, errors.ConfigurationError)
    assert "API key cannot be sent as an HTTP header" in str(exc) and "not shown" in str(exc)
    assert len(str(exc).splitlines()) == 1
    leak_watch.assert_nowhere(key, key.strip(), key[:-1] if suffix else key)
    spans = leak_watch.spans()
    assert {s.attributes.get("error.type") for s in spans} == {"invalid_api_key"}


@pytest.mark.parametrize("key", [OPENAI_KEY.encode(), 12345678901234])
def test_a_key_that_is_not_a_string_gets_the_same_clear_error(
    leak_watch: LeakWatch, key: object
) -> None:
    client = _client("openai", key)  # type: ignore[arg-type]
    with answering(_never):
        exc = leak_watch.run(lambda: client(MSGS))
    assert isinstance(exc, errors.InvalidAPIKeyError) and "not a string" in str(exc)
    leak_watch.assert_nowhere(OPENAI_KEY)


def test_an_error_the_http_layer_raises_with_the_key_in_it_is_redacted_everywhere(
    leak_watch: LeakWatch,
) -> None:
    """Whatever the validation misses: the transport error quoting the header is redacted in
    the raised error (and its chain), in all three spans, in the logs and in the OTLP bytes."""

    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.LocalProtocolError(f"Illegal header value b'Bearer {OPENAI_KEY}\\n'")

    client = _client("openai", OPENAI_KEY)
    with answering(refuse):
        exc = leak_watch.run(lambda: client(MSGS))
    assert isinstance(exc, errors.ConnectionError)
    assert f"Bearer {REDACTED}" in str(exc)
    names = {s.name for s in leak_watch.spans()}
    assert len(names) == 3 and any(
        e.name == "exception" for s in leak_watch.spans() for e in s.events
    )
    leak_watch.assert_nowhere(OPENAI_KEY)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_provider_error_body_that_echoes_the_key_is_redacted(
    leak_watch: LeakWatch, provider: str
) -> None:
    key = OPENAI_KEY if provider == "openai" else ANTHROPIC_KEY
    message = f"Incorrect API key provided: {key}. You can find your API key at ..."
    body = (
        {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}}
        if provider == "openai"
        else {"type": "error", "error": {"type": "authentication_error", "message": message}}
    )
    client = _client(provider, key)
    with answering(lambda request: httpx2.Response(401, json=body)):
        exc = leak_watch.run(lambda: client(MSGS))
    assert isinstance(exc, errors.AuthenticationError)
    assert "Incorrect API key provided: REDACTED" in str(exc)
    leak_watch.assert_nowhere(key)


def test_a_key_that_is_not_key_shaped_is_still_redacted_because_it_is_the_key_in_use(
    leak_watch: LeakWatch,
) -> None:
    """A local server's key looks like nothing the patterns know; it is redacted because the
    client was given it."""
    client = _client("openai", LOCAL_KEY, base_url="http://127.0.0.1:9/v1")
    with answering(
        lambda request: httpx2.Response(401, json={"error": {"message": f"bad key {LOCAL_KEY}"}})
    ):
        exc = leak_watch.run(lambda: client(MSGS))
    assert isinstance(exc, errors.AuthenticationError) and "bad key REDACTED" in str(exc)
    leak_watch.assert_nowhere(LOCAL_KEY)


@pytest.mark.parametrize(
    "secret",
    [
        "AKIA" + "Z7QW3RT5YU8IO2PL",
        "AIza" + "SyB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF2g",
        "eyJ"
        + "hbGciOiJIUzI1NiJ9"
        + ".eyJ"
        + "zdWIiOiIxMjM0NTY3ODkwIn0"
        + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF2gH4",
    ],
    ids=["aws", "google", "jwt", "github"],
)
def test_other_key_shapes_in_a_transport_error_are_redacted(
    leak_watch: LeakWatch, secret: str
) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError(f"proxy said: credential {secret} rejected\\n{secret}")

    client = _client("anthropic", ANTHROPIC_KEY)
    with answering(refuse):
        exc = leak_watch.run(lambda: client(MSGS))
    assert isinstance(exc, errors.ConnectionError)
    leak_watch.assert_nowhere(secret)


def test_log_lines_of_the_sik_llms_logger_are_redacted_with_their_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="sik_llms")
    logger = logging.getLogger("sik_llms")
    try:
        raise RuntimeError(f"boom with {OPENAI_KEY}")
    except RuntimeError:
        logger.debug("failed calling with key %s", ANTHROPIC_KEY, exc_info=True)
    assert caplog.records and OPENAI_KEY not in caplog.text and ANTHROPIC_KEY not in caplog.text
    assert "failed calling with key REDACTED" in caplog.text and "boom with REDACTED" in caplog.text


def test_redaction_sees_keys_after_escapes_and_leaves_prose_alone() -> None:
    for before in ("\\n", "\\t", "\\u0022", "%0A", "\n", '"', "=", "b'Bearer "):
        assert redact(f"x{before}{OPENAI_KEY}y") == f"x{before}{REDACTED}", before
    prose = "a task-scheduler-for-distributed-workers and basic usage, Bearer with us"
    assert redact(prose) == prose


@pytest.mark.parametrize("mode", ["SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT"])
def test_captured_message_content_carries_no_key(
    leak_watch: LeakWatch, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Content capture puts prompts and answers on spans/events: a key pasted into a prompt (or
    echoed by the model) is redacted there too."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", mode)
    answer = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"your key is {ANTHROPIC_KEY}"},
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    client = _client("openai", OPENAI_KEY, stream=False)
    with answering(lambda request: httpx2.Response(200, json=answer)):
        response = client([user_message(f"debug this: api_key={OPENAI_KEY}")])
    assert (
        ANTHROPIC_KEY in response.response
    )  # the caller gets the real answer; only telemetry is redacted
    captured = [
        s
        for s in leak_watch.spans()
        if any("messages" in k for k in (s.attributes or {}))
        or any(e.name != "exception" for e in s.events)
    ]
    assert captured, "content capture produced nothing: the check would be empty"
    leak_watch.assert_nowhere(OPENAI_KEY, ANTHROPIC_KEY)


def test_every_logger_sik_llms_writes_through_is_the_redacted_one() -> None:
    """The redacting filter sits on the ``sik_llms`` logger; a module logging under another
    name would bypass it, so none may."""
    import re
    from pathlib import Path

    import sik_llms
    from sik_llms.redact import RedactingFilter

    package = Path(sik_llms.__file__).parent
    names = {
        m.group(1)
        for f in package.rglob("*.py")
        for m in re.finditer(r"getLogger\(([^)]*)\)", f.read_text())
    }
    assert names <= {'"sik_llms"'}, names
    assert any(isinstance(f, RedactingFilter) for f in logging.getLogger("sik_llms").filters)
