"""What sik-llms skips of the official SDKs, and what it keeps.

The SDK makes each request (auth, headers, retries, HTTP errors) through its public ``post``
with ``cast_to=httpx2.Response``; we skip its request-param transform (about 190 µs for a
short chat request) and its per-chunk pydantic construction (most of a streamed call), because
our request is plain JSON already and our parsers read JSON. These tests pin both skips, and
that the SDK-only keywords still reach the wire the way ``create`` would send them.
"""

from __future__ import annotations

import importlib
import json

import httpx2
import pytest

from sik_llms import create_client, user_message
from sik_llms.providers import Anthropic
from tests.conftest import scripted, sse


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: str, name: str) -> list[object]:
    """Wrap ``module.name`` so a test sees every call made to it."""
    mod = importlib.import_module(module)
    original = getattr(mod, name)
    seen: list[object] = []

    def counting(*args: object, **kwargs: object) -> object:
        seen.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(mod, name, counting)
    return seen


def _count_sdk_work(monkeypatch: pytest.MonkeyPatch, sdk: str) -> tuple[list[object], list[object]]:
    """(model constructions, request transforms): every parsed chunk or response goes through
    ``_base_client.construct_type``; openai's ``create`` transforms its params recursively
    (anthropic 2.x sends them untransformed)."""
    built = _count_calls(monkeypatch, f"{sdk}._base_client", "construct_type")
    transformed = (
        _count_calls(monkeypatch, f"{sdk}._utils._transform", "_transform_recursive")
        if sdk == "openai"
        else []
    )
    return built, transformed


def test_the_counters_see_the_sdks_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain SDK ``create`` builds a model and transforms its params: the counters work."""
    import openai

    built, transformed = _count_sdk_work(monkeypatch, "openai")
    body = {
        "id": "c",
        "model": "m",
        "choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}],
    }
    http = httpx2.Client(
        transport=httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))
    )
    openai.OpenAI(api_key="sk-test", http_client=http).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "q"}]
    )
    assert built and transformed


@pytest.mark.parametrize("stream", [True, False])
def test_openai_calls_build_and_transform_nothing(
    monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    built, transformed = _count_sdk_work(monkeypatch, "openai")
    chunk = {
        "id": "c",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": "hi "}}],
    }
    if stream:
        reply = httpx2.Response(
            200, content=sse(*[chunk] * 50), headers={"content-type": "text/event-stream"}
        )
    else:
        completion = {
            "id": "c",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}],
        }
        reply = httpx2.Response(200, json=completion)
    with scripted(reply):
        response = create_client("gpt-4o-mini", api_key="sk-test", max_retries=0, stream=stream)(
            [user_message("q")]
        )
    assert response.response == ("hi " * 50 if stream else "hi")
    assert built == [] and transformed == []


def test_anthropic_stream_builds_and_transforms_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    built, transformed = _count_sdk_work(monkeypatch, "anthropic")
    start = {
        "type": "message_start",
        "message": {
            "id": "m",
            "model": "claude-sonnet-4-6",
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    }
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "hi "},
    }
    body = sse(start, *[delta] * 50, {"type": "message_stop"}, named=True)
    with scripted(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    ):
        response = create_client("claude-sonnet-4-6", api_key="sk-ant-test", max_retries=0)(
            [user_message("q")]
        )
    assert response.response == "hi " * 50 and response.input_tokens == 3
    assert built == [] and transformed == []


def test_sdk_only_keywords_reach_the_wire_as_create_sends_them() -> None:
    """``extra_body`` merges into the body, ``extra_headers`` / ``extra_query`` and Anthropic's
    ``betas`` become headers and query, as the SDKs' ``create`` would send them."""
    client = Anthropic(
        "claude-sonnet-4-6", api_key="sk-ant-test", max_retries=0, stream=False, betas=["b1", "b2"],
        extra_body={"metadata": {"user_id": "u1"}}, extra_headers={"x-trace": "1"},
    )  # fmt: skip
    message = {
        "id": "m",
        "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    with scripted(httpx2.Response(200, json=message)) as seen:
        assert client([user_message("q")]).response == "ok"
    sent = seen[0]
    assert sent.url.path == "/v1/messages" and sent.url.params["beta"] == "true"
    assert sent.headers["anthropic-beta"] == "b1,b2" and sent.headers["x-trace"] == "1"
    credentials = sent.headers.get("x-api-key", "") + sent.headers.get("authorization", "")
    assert "sk-ant-test" in credentials  # the SDK still authenticates the request
    body = json.loads(sent.content)
    assert (
        body["metadata"] == {"user_id": "u1"} and "extra_body" not in body and "betas" not in body
    )
