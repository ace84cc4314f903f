"""Latency model: the schedule is deterministic per seed; wall time roughly follows it."""

from __future__ import annotations

import time

import openai
import pytest

from harness.simulator import Latency, Simulator


def test_same_seed_same_schedule_and_different_seed_differs() -> None:
    tokens = [1] * 20
    a = Latency(ttft=0.2, tps=50, jitter=0.3, seed=7)
    assert a.schedule(tokens, key=3) == Latency(ttft=0.2, tps=50, jitter=0.3, seed=7).schedule(
        tokens, key=3
    )
    assert a.schedule(tokens, key=3) != Latency(ttft=0.2, tps=50, jitter=0.3, seed=8).schedule(
        tokens, key=3
    )
    assert a.schedule(tokens, key=3) != a.schedule(
        tokens, key=4
    )  # each request gets its own jitter


def test_schedule_shape_follows_ttft_and_tps() -> None:
    plain = Latency(ttft=0.5, tps=10).schedule([1, 2, 4])
    assert plain == [0.5, 0.2, 0.4]
    jittered = Latency(ttft=0.5, tps=10, jitter=0.2, seed=1).schedule([1, 2, 4])
    for got, want in zip(jittered, plain, strict=True):
        assert want * 0.8 - 1e-9 <= got <= want * 1.2 + 1e-9
    assert Latency().schedule([1, 1]) == [0.0, 0.0] and Latency().is_zero
    assert Latency(ttft=0.1, tps=20).total(10) == pytest.approx(0.6)


def test_bad_latency_is_rejected_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"e\.g\. Latency"):
        Latency(ttft=-1)
    with pytest.raises(ValueError, match="unknown keys"):
        Latency.from_dict({"ttfb": 1})


def test_stream_timing_roughly_as_configured() -> None:
    latency = Latency(ttft=0.25, tps=100)
    with Simulator(latency=latency) as sim:
        client = openai.OpenAI(
            base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0, timeout=10
        )
        started = time.monotonic()
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "Tell me about latency"}],
        )
        first = None
        count = 0
        for chunk in stream:
            if first is None:
                first = time.monotonic() - started
            count += 1
            usage = chunk.usage
        total = time.monotonic() - started
        assert first is not None and 0.2 <= first < 2.0
        assert usage is not None
        expected = 0.25 + usage.completion_tokens / 100  # the rest streams at ~100 tokens/s
        assert 0.8 * expected <= total < expected + 2.0
        started = time.monotonic()
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        assert 0.25 <= time.monotonic() - started < 3.0
    assert count > 3


def test_rule_latency_overrides_default() -> None:
    scenario = {
        "rules": [
            {"match": {"last_user": "slow"}, "latency": {"ttft": 0.3}, "reply": {"text": "ok"}}
        ]
    }
    with Simulator(scenario=scenario) as sim:
        client = openai.OpenAI(
            base_url=sim.openai_base_url, api_key="sk-sim", max_retries=0, timeout=10
        )
        started = time.monotonic()
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "fast"}]
        )
        fast = time.monotonic() - started
        started = time.monotonic()
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "slow"}]
        )
        slow = time.monotonic() - started
    assert slow >= 0.3 and fast < slow
