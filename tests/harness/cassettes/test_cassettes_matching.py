"""Request matching: JSON-aware, trace headers ignored, FIFO repeats, diagnostic misses."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import httpx2
import openai
import pytest

from harness.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    UnusedInteractionsError,
    UnusedInteractionsWarning,
    save_cassette,
    use_cassette,
)
from harness.cassettes.match import CassetteMiss, MatchConfig, Matcher
from harness.cassettes.transport import CassetteTransport
from sik_llms.transport import SikTransport

URL = "https://api.openai.com/v1/chat/completions"


def _completion(i: int, text: str) -> bytes:
    return json.dumps(
        {
            "id": f"chatcmpl-{i}",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    ).encode()


def _interaction(i: int, body: dict, answer: str, headers: dict | None = None) -> Interaction:
    return Interaction(
        index=i,
        request=RecordedRequest("POST", URL, headers or {}, json.dumps(body, indent=2).encode()),
        response=RecordedResponse(
            200, "OK", {"content-type": ["application/json"]}, _completion(i, answer)
        ),
    )


def _body(content: str, **extra: object) -> dict:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


def _cassette(*interactions: Interaction, name: str = "openai/chat_basic") -> Cassette:
    return Cassette(interactions=list(interactions), name=name)


def _client(transport: httpx2.BaseTransport, **headers: str) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test",
        max_retries=0,
        default_headers=headers,
        http_client=httpx2.Client(transport=transport),
    )


def _ask(client: openai.OpenAI, content: str, **extra: object) -> str:
    result = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": content}],
        extra_body=extra or None,
    )
    return result.choices[0].message.content or ""


def test_changed_body_fails_with_cassette_name_and_field_diff() -> None:
    transport = CassetteTransport(_cassette(_interaction(0, _body("Say hi"), "hi")))
    with pytest.raises(CassetteMiss) as info:
        _ask(_client(transport), "Say hello")
    message = str(info.value)
    assert "'openai/chat_basic'" in message
    assert "closest recorded request: #0 POST " + URL in message
    assert "body.messages[0].content: recorded 'Say hi' | live 'Say hello'" in message


def test_added_field_shows_as_absent_in_the_recording() -> None:
    transport = CassetteTransport(_cassette(_interaction(0, _body("Say hi"), "hi")))
    with pytest.raises(CassetteMiss, match=r"body.temperature: recorded <absent> \| live 0.5"):
        _ask(_client(transport), "Say hi", temperature=0.5)


def test_trace_headers_and_key_order_and_pretty_printing_do_not_matter() -> None:
    recorded = _interaction(
        0,
        {"messages": [{"content": "Say hi", "role": "user"}], "model": "gpt-4o-mini"},
        "hi",
        headers={"traceparent": ["00-" + "1" * 32 + "-" + "2" * 16 + "-01"]},
    )
    client = _client(
        CassetteTransport(_cassette(recorded)),
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        tracestate="x=1",
        baggage="k=v",
    )
    assert _ask(client, "Say hi") == "hi"


def test_trace_headers_cannot_be_opted_into_matching() -> None:
    config = MatchConfig(match_headers=("traceparent", "anthropic-version"))
    view = config.view(
        "POST", URL, {"traceparent": ["x"], "anthropic-version": ["2023-06-01"]}, b""
    )
    assert view.headers == (("anthropic-version", "2023-06-01"),)


def test_volatile_fields_are_ignored_but_others_are_not() -> None:
    recorded = _interaction(
        0, _body("Say hi", user="alice", metadata={"user_id": "u-1", "tier": "a"}), "hi"
    )
    transport = CassetteTransport(_cassette(recorded))
    assert (
        _ask(_client(transport), "Say hi", user="bob", metadata={"user_id": "u-2", "tier": "a"})
        == "hi"
    )
    transport = CassetteTransport(_cassette(recorded))
    with pytest.raises(CassetteMiss, match=r"body.metadata.tier"):
        _ask(_client(transport), "Say hi", user="bob", metadata={"user_id": "u-2", "tier": "b"})


def test_custom_ignore_fields_with_wildcards() -> None:
    recorded = _interaction(0, _body("Say hi", tools=[{"id": "t1", "name": "x"}]), "hi")
    config = MatchConfig(ignore_fields=("tools.*.id",))
    transport = CassetteTransport(_cassette(recorded), match=config)
    assert _ask(_client(transport), "Say hi", tools=[{"id": "t9", "name": "x"}]) == "hi"


def test_identical_requests_are_served_in_recorded_order_even_when_interleaved() -> None:
    cassette = _cassette(
        _interaction(0, _body("A"), "a1"),
        _interaction(1, _body("B"), "b1"),
        _interaction(2, _body("A"), "a2"),
        _interaction(3, _body("A"), "a3"),
    )
    client = _client(CassetteTransport(cassette))
    assert [_ask(client, c) for c in ["A", "A", "B", "A"]] == ["a1", "a2", "b1", "a3"]
    with pytest.raises(
        CassetteMiss,
        match=r"all 3 recorded interaction\(s\) with this exact request were already played",
    ):
        _ask(client, "A")


def test_allow_repeats_replays_the_last_match() -> None:
    transport = CassetteTransport(
        _cassette(_interaction(0, _body("A"), "a1")), match=MatchConfig(allow_repeats=True)
    )
    client = _client(transport)
    assert [_ask(client, "A") for _ in range(3)] == ["a1"] * 3


def test_secret_query_params_are_not_compared() -> None:
    matcher = Matcher(
        _cassette(
            Interaction(
                0,
                RecordedRequest("GET", "https://h/v1/x?key=REDACTED&b=1", {}, b""),
                RecordedResponse(200, "", {}, b""),
            )
        )
    )
    assert matcher.match("GET", "https://h/v1/x?b=1&key=real-key", {}, b"").index == 0


def test_empty_cassette_miss_says_to_record() -> None:
    with pytest.raises(CassetteMiss, match="has no interactions"):
        Matcher(_cassette()).match("GET", "https://h/", {}, b"")


def _write(tmp_path: Path, *interactions: Interaction) -> Path:
    return save_cassette(Cassette(interactions=list(interactions)), tmp_path / "c.yaml")


def _sik_client() -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test", max_retries=0, http_client=httpx2.Client(transport=SikTransport())
    )


def test_unused_interactions_fail_the_block_by_default(tmp_path: Path) -> None:
    path = _write(tmp_path, _interaction(0, _body("A"), "a"), _interaction(1, _body("B"), "b"))
    with pytest.raises(UnusedInteractionsError) as info, use_cassette(path, name="two_calls"):
        assert _ask(_sik_client(), "A") == "a"
    assert "'two_calls'" in str(info.value)
    assert "1 of 2 recorded interaction(s) never requested" in str(info.value)
    assert "#1 POST" in str(info.value)


def test_unused_policy_warn_and_ignore(tmp_path: Path) -> None:
    path = _write(tmp_path, _interaction(0, _body("A"), "a"))
    with (
        pytest.warns(UnusedInteractionsWarning, match="never requested"),
        use_cassette(path, unused="warn") as s,
    ):
        pass
    assert len(s.unused()) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with use_cassette(path, unused="ignore"):
            pass


def test_a_failing_block_is_not_masked_by_the_unused_check(tmp_path: Path) -> None:
    path = _write(tmp_path, _interaction(0, _body("A"), "a"))
    with pytest.raises(ZeroDivisionError), use_cassette(path):
        1 / 0  # noqa: B018


def test_bad_options_are_rejected_clearly(tmp_path: Path) -> None:
    path = _write(tmp_path, _interaction(0, _body("A"), "a"))
    with (
        pytest.raises(ValueError, match="mode must be one of none, once, new_episodes, all"),
        use_cassette(path, mode="rewrite"),
    ):  # type: ignore[arg-type]
        pass
    with (
        pytest.raises(ValueError, match="timing must be one of virtual, realtime"),
        use_cassette(path, timing="fast"),
    ):  # type: ignore[arg-type]
        pass


def test_a_match_config_changed_in_one_session_is_not_changed_for_the_next(tmp_path: Path) -> None:
    """A marker's ``match=`` object is shared by every test it marks: each session gets a copy."""
    path = _write(tmp_path, _interaction(0, _body("A"), "a"))
    config = MatchConfig()
    with use_cassette(path, match=config, unused="ignore") as session:
        session.replay.matcher.config.allow_repeats = True
    with use_cassette(path, match=config, unused="ignore") as session:
        assert session.replay.matcher.config.allow_repeats is False
    assert config.allow_repeats is False
