"""SDK clients shared by sik_llms clients with equal settings (``sik_llms.shared_clients``).

What is shared is seen from outside: how many SDK clients a pool keeps, how many SDK clients
were constructed, and what each request carries on the wire.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import httpx2
import openai
import pytest

from sik_llms import create_client, user_message
from sik_llms.shared_clients import SdkClientPool, active_pool, share_sdk_clients
from tests.conftest import chat_completion, scripted

BODY = chat_completion()


def answer(request: httpx2.Request, **headers: str) -> httpx2.Response:
    return httpx2.Response(
        200, content=BODY, headers={"content-type": "application/json", **headers}
    )


def call(model: str = "gpt-5.4-mini", **options: Any) -> str:
    """Make a client, as a test would, and call it once."""
    options = {"api_key": "sk-test-0000", "stream": False, **options}
    return create_client(model, **options)([user_message("hi")]).response


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """Every SDK client constructed from now on (its class)."""
    built: list[type] = []
    for cls in (openai.OpenAI, openai.AsyncOpenAI):
        original = cls.__init__

        def counting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            built.append(type(self))
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    return built


def test_clients_with_equal_settings_build_one_sdk_client(constructions: list[type]) -> None:
    with scripted(answer), share_sdk_clients() as pool:
        assert [call() for _ in range(3)] == ["Paris"] * 3
    assert len(pool) == 1
    assert constructions == [openai.OpenAI]


def test_without_a_pool_every_client_builds_its_own(constructions: list[type]) -> None:
    with scripted(answer):
        for _ in range(3):
            call()
    assert active_pool() is None
    assert constructions == [openai.OpenAI] * 3


def test_a_pool_outlives_its_blocks(constructions: list[type]) -> None:
    """One pool entered by one test after another (as the harness does): built once."""
    pool = SdkClientPool()
    with scripted(answer):
        for _ in range(3):
            with share_sdk_clients(pool):
                call()
    assert constructions == [openai.OpenAI]


@pytest.mark.parametrize(
    "other",
    [
        {"api_key": "sk-test-1111"},
        {"base_url": "http://other.invalid/v1"},
        {"max_retries": 5},
        {"timeout": 3.0},
    ],
    ids=["api key", "base url", "retries", "timeout"],
)
def test_any_setting_that_differs_gets_its_own_sdk_client(other: dict[str, Any]) -> None:
    with scripted(answer) as seen, share_sdk_clients() as pool:
        call()
        call(**other)
    assert len(pool) == 2
    if "api_key" in other:
        assert [r.headers["authorization"] for r in seen] == [
            "Bearer sk-test-0000",
            "Bearer sk-test-1111",
        ]
    if "base_url" in other:
        assert seen[1].url.host == "other.invalid"


def test_an_environment_variable_the_sdk_reads_is_part_of_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """openai.OpenAI reads OPENAI_ORG_ID when built: a test that sets it gets a client that
    sends it, not the one an earlier test built without it."""
    monkeypatch.delenv("OPENAI_ORG_ID", raising=False)
    with scripted(answer) as seen, share_sdk_clients() as pool:
        call()
        monkeypatch.setenv("OPENAI_ORG_ID", "org-shared-test")
        call()
        monkeypatch.delenv("OPENAI_ORG_ID")
        call()
    assert [r.headers.get("openai-organization") for r in seen] == [None, "org-shared-test", None]
    assert len(pool) == 2


def test_cookies_from_one_clients_answers_never_reach_another_clients_requests() -> None:
    def set_cookie(request: httpx2.Request) -> httpx2.Response:
        return answer(request, **{"set-cookie": "__cf_bm=abc; Path=/"})

    with scripted(set_cookie) as seen, share_sdk_clients():
        client = create_client("gpt-5.4-mini", api_key="sk-test-0000", stream=False)
        client([user_message("hi")])
        client([user_message("again")])  # the same client keeps its cookies, as any would
        call()
    assert "cookie" not in seen[0].headers
    assert "__cf_bm=abc" in seen[1].headers.get("cookie", "")
    assert "cookie" not in seen[2].headers


def test_async_clients_are_shared_within_one_event_loop_only(constructions: list[type]) -> None:
    async def twice() -> list[str]:
        out = []
        for _ in range(2):
            client = create_client("gpt-5.4-mini", api_key="sk-test-0000", stream=False)
            out.append((await client.run_async([user_message("hi")])).response)
        return out

    with scripted(answer), share_sdk_clients() as pool:
        assert asyncio.run(twice()) == ["Paris", "Paris"]
        assert asyncio.run(twice()) == ["Paris", "Paris"]
    assert constructions == [openai.AsyncOpenAI] * 2
    gc.collect()
    assert len(pool) == 0  # a loop's clients go with the loop: nothing keeps a closed loop


def test_an_option_that_cannot_be_compared_builds_its_own_client() -> None:
    """Anthropic's ``sdk_open_telemetry`` is a dict: such a client is not shared, and works."""
    from tests.conftest import anthropic_sse

    with scripted(lambda r: httpx2.Response(200, content=anthropic_sse("Paris"))) as seen:
        with share_sdk_clients() as pool:
            client = create_client(
                "claude-haiku-4-5",
                api_key="sk-ant-test-0000",
                sdk_open_telemetry={"traces": False},
            )
            assert client([user_message("hi")]).response == "Paris"
    assert len(pool) == 0 and len(seen) == 1


def test_a_pool_keeps_at_most_max_clients_most_recent_first() -> None:
    with scripted(answer), share_sdk_clients(SdkClientPool(max_clients=2)) as pool:
        for retries in (1, 2, 3, 1):
            call(max_retries=retries)
    assert len(pool) == 2


def test_a_thread_started_in_the_block_builds_its_own(constructions: list[type]) -> None:
    with scripted(answer) as seen, share_sdk_clients() as pool:
        call()
        seen_in_thread: list[Any] = []
        thread = threading.Thread(target=lambda: seen_in_thread.append(active_pool()))
        thread.start()
        thread.join()
    assert seen_in_thread == [None]
    assert len(pool) == 1 and len(seen) == 1


def test_a_pool_never_shows_an_api_key_and_rejects_a_size_below_one() -> None:
    pool = SdkClientPool()
    with scripted(answer), share_sdk_clients(pool):
        call(api_key="sk-proj-SECRETSECRETSECRET0000")
    assert "SECRET" not in repr(pool)
    with pytest.raises(ValueError, match="max_clients must be at least 1"):
        SdkClientPool(max_clients=0)


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_every_variable_a_provider_keys_on_is_one_its_sdk_reads(sdk: str) -> None:
    """A misspelled name would key on nothing: each must appear in the SDK's own code."""
    import importlib
    from pathlib import Path

    from sik_llms.providers import Anthropic, OpenAI

    root = Path(importlib.import_module(sdk).__file__).parent
    code = "".join(p.read_text() for p in [*root.glob("*.py"), *root.glob("lib/**/*.py")])
    names = (OpenAI if sdk == "openai" else Anthropic).sdk_environment
    assert names and [name for name in names if f'"{name}"' not in code] == []
