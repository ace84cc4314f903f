"""Every fault mode, and what the official SDKs see when it fires."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anthropic
import httpx2
import openai
import pytest

from harness.simulator import Fault, FaultKind, FaultRule, Simulator, parse_fault_spec
from harness.simulator.faults import FaultInjector

MSG = [{"role": "user", "content": "Hello"}]
CLAUDE = "claude-sonnet-4-6"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as running:
        yield running


def _oa(sim: Simulator, retries: int = 0, timeout: float = 10) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=sim.openai_base_url, api_key="sk-sim", max_retries=retries, timeout=timeout
    )


def _an(sim: Simulator, retries: int = 0, timeout: float = 10) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=sim.anthropic_base_url, api_key="sk-sim", max_retries=retries, timeout=timeout
    )


def test_429_retry_after_is_honoured_by_sdk_retries(sim: Simulator) -> None:
    sim.set_faults("429:retry_after=0.3,first=2")
    started = time.monotonic()
    out = _oa(sim, retries=2).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert out.choices[0].message.content
    assert [r.status for r in sim.requests] == [429, 429, 200]
    assert elapsed >= 0.55  # two waits of retry-after (0.3 s); SDK default backoff would be shorter


def test_429_without_retries_raises_rate_limit_error_with_header(sim: Simulator) -> None:
    sim.set_faults([FaultRule(Fault(FaultKind.RATE_LIMIT, retry_after=7))])
    with pytest.raises(openai.RateLimitError) as info:
        _oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
    with pytest.raises(anthropic.RateLimitError) as an_info:
        _an(sim).messages.create(model=CLAUDE, max_tokens=50, messages=MSG)  # type: ignore[arg-type]
    assert an_info.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_529_is_anthropic_overloaded_error(sim: Simulator) -> None:
    sim.set_faults("529")
    with pytest.raises(anthropic.OverloadedError) as info:
        _an(sim).messages.create(model=CLAUDE, max_tokens=50, messages=MSG)  # type: ignore[arg-type]
    assert info.value.status_code == 529
    assert info.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": info.value.body["request_id"],
    }  # type: ignore[index]


def test_500_then_success_exercises_anthropic_retries(sim: Simulator) -> None:
    sim.set_faults("500:first=1,retry_after=0.05")
    msg = _an(sim, retries=1).messages.create(model=CLAUDE, max_tokens=50, messages=MSG)  # type: ignore[arg-type]
    assert msg.content and [r.status for r in sim.requests] == [500, 200]
    sim.set_faults("500:retry_after=none")
    with pytest.raises(openai.InternalServerError):
        _oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]


def test_disconnect_mid_stream(sim: Simulator) -> None:
    sim.set_faults("disconnect:after_events=3")
    stream = _oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True)  # type: ignore[arg-type]
    got = []
    with pytest.raises((openai.APIConnectionError, httpx2.TransportError)):
        for chunk in stream:
            got.append(chunk)
    assert len(got) == 3
    with (
        pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)),
        _an(sim).messages.stream(model=CLAUDE, max_tokens=50, messages=MSG) as s,
    ):  # type: ignore[arg-type]
        s.get_final_message()
    with pytest.raises(openai.APIConnectionError):  # a JSON body cut in half
        _oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]


def test_malformed_event(sim: Simulator) -> None:
    sim.set_faults("malformed:after_events=2")
    stream = _an(sim).messages.create(model=CLAUDE, max_tokens=50, messages=MSG, stream=True)  # type: ignore[arg-type]
    seen = []
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's SSE decoder
        for event in stream:
            seen.append(event.type)
    assert seen == ["message_start", "content_block_start"]


def test_slow_body_trickles_but_completes(sim: Simulator) -> None:
    sim.set_faults("slow:chunk_delay=0.02,chunk_size=64")
    started = time.monotonic()
    out = _oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]
    assert out.choices[0].message.content
    assert time.monotonic() - started > 0.1  # > 8 pieces of a ~1 kB body, 20 ms apart


def test_hang_makes_the_client_time_out_and_is_bounded(sim: Simulator) -> None:
    sim.set_faults("hang:hang_max=2")
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        _oa(sim, timeout=0.3).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]
    assert time.monotonic() - started < 1.5
    sim.clear_faults()
    # the server gives up on its own: a client without a timeout sees the connection close
    with httpx2.Client(timeout=10) as http:
        sim.set_faults("hang:hang_max=0.2")
        with pytest.raises(httpx2.TransportError):
            http.post(
                f"{sim.openai_base_url}/chat/completions",
                json={"model": "gpt-4o-mini", "messages": MSG},
            )


def test_probability_faults_are_seeded() -> None:
    def pattern(seed: int) -> list[bool]:
        injector = FaultInjector([parse_fault_spec("500:probability=0.5")], seed=seed)
        return [injector.pick("openai") is not None for _ in range(40)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 5 < sum(pattern(1)) < 35


def test_scenario_rule_fault_and_scripted_error() -> None:
    scenario = {
        "rules": [
            {
                "match": {"last_user": "sometimes"},
                "fault": {"kind": "500", "probability": 0.0},
                "reply": {"text": "ok"},
            },
            {"match": {"last_user": "flaky"}, "fault": {"kind": "disconnect", "after_events": 1}},
            {
                "match": {"last_user": "limit"},
                "times": 1,
                "reply": {"error": {"status": 429, "message": "slow down", "retry_after": 0.05}},
            },
        ]
    }
    with Simulator(scenario=scenario) as sim:
        client = _oa(sim, retries=1)
        out = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "limit"}]
        )
        assert [r.status for r in sim.requests] == [429, 200] and out.choices
        stream = client.chat.completions.create(
            model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": "flaky"}]
        )
        with pytest.raises((openai.APIConnectionError, httpx2.TransportError)):
            list(stream)
        assert sim.requests[-1].fault == "disconnect"
        never = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "sometimes"}]
        )
        assert never.choices[0].message.content == "ok"


def test_bad_fault_specs_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'teapot'; choose one of 429, 500"):
        parse_fault_spec("teapot")
    with pytest.raises(ValueError, match="expected key=value"):
        parse_fault_spec("429:retry_after")
    with pytest.raises(ValueError, match=r"unknown fault option\(s\) \['colour'\]"):
        parse_fault_spec("500:colour=red")


def test_stream_error_event_after_the_stream_started(sim: Simulator) -> None:
    sim.set_faults("stream_error:after_events=3")
    got = []
    with pytest.raises(anthropic.APIStatusError) as info:
        for event in _an(sim).messages.create(
            model=CLAUDE, max_tokens=50, messages=MSG, stream=True
        ):  # type: ignore[arg-type]
            got.append(event.type)
    assert got == [
        "message_start",
        "content_block_start",
    ]  # (the ping before the break is not surfaced)
    assert info.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    with pytest.raises(openai.APIError, match="The server had an error"):
        list(_oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG, stream=True))  # type: ignore[arg-type]
    with pytest.raises(
        openai.InternalServerError
    ):  # a JSON answer cannot fail half way: a plain 500
        _oa(sim).chat.completions.create(model="gpt-4o-mini", messages=MSG)  # type: ignore[arg-type]
