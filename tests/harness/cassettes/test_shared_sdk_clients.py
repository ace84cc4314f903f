"""Replay-only cassette sessions let sik_llms clients share SDK clients across sessions (a
client made per test builds its SDK client once per process); recording sessions do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from harness.bundled import cassette_dir
from harness.cassettes import use_cassette
from harness.cassettes.session import SDK_CLIENTS
from sik_llms import create_client, user_message
from tests.conftest import chat_completion

CASSETTE = cassette_dir() / "openai" / "text.yaml"  # recorded against the simulator
PROMPT = "What's the capital of France?"


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ``openai.OpenAI`` constructed from now on, with the shared pool emptied first."""
    SDK_CLIENTS.clear()
    built: list[Any] = []
    original = openai.OpenAI.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(openai.OpenAI, "__init__", counting)
    return built


def ask() -> str:
    client = create_client(
        "gpt-5.4-mini", api_key="sk-test-0000", base_url="http://simulator.invalid/v1", stream=False
    )
    return client([user_message(PROMPT)]).response


def test_replay_sessions_share_one_sdk_client_across_sessions(constructions: list[Any]) -> None:
    for _ in range(3):
        with use_cassette(CASSETTE):
            assert "Paris" in ask()
    assert len(constructions) == 1


def test_recording_sessions_build_an_sdk_client_per_client(
    constructions: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    real = httpx2.MockTransport(lambda request: httpx2.Response(200, content=chat_completion()))
    for i in range(2):
        with use_cassette(tmp_path / f"rec{i}.yaml", mode="all", real_transport=real):
            assert ask() == "Paris"
    assert len(constructions) == 2
