"""Adversarial checks of ``sik_llms.shared_clients``: sharing must change nothing a user sees.

Each test compares what sik_llms clients do inside ``share_sdk_clients()`` with what the same
clients do without it (a sik_llms client with its own SDK client).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

import httpx2

from sik_llms import create_client, user_message
from sik_llms.shared_clients import share_sdk_clients
from tests.conftest import chat_completion, scripted

BODY = chat_completion()


def cookies_sent(share: bool) -> list[Any]:
    """Two clients with equal settings, called in turn; each answer sets a new cookie."""
    numbers = itertools.count()

    def answer(request: httpx2.Request) -> httpx2.Response:
        headers = {"content-type": "application/json", "set-cookie": f"s=c{next(numbers)}; Path=/"}
        return httpx2.Response(200, content=BODY, headers=headers)

    with scripted(answer) as seen, share_sdk_clients() if share else contextlib.nullcontext():
        first = create_client("gpt-5.4-mini", api_key="sk-test-0000", stream=False)
        second = create_client("gpt-5.4-mini", api_key="sk-test-0000", stream=False)
        for client in (first, second, first, second):
            client([user_message("hi")])
    return [request.headers.get("cookie") for request in seen]


def test_a_client_sends_its_own_cookies_not_those_of_another_client_with_equal_settings() -> None:
    """The module promises 'cookies set by one client's responses never reach another
    client's requests': the first client's second request must carry c0 (its own answer's
    cookie), not c1 (the second client's), exactly as without sharing."""
    assert cookies_sent(share=False) == [None, None, "s=c0", "s=c1"]
    assert cookies_sent(share=True) == cookies_sent(share=False)


def test_concurrent_async_clients_with_equal_settings_each_keep_their_own_cookies() -> None:
    """Two tasks on one loop share one AsyncOpenAI; each client's second request carries the
    cookie of its own first answer, whatever the interleaving."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        said = json.loads(request.content)["messages"][0]["content"]
        headers = {"content-type": "application/json", "set-cookie": f"s={said}; Path=/"}
        return httpx2.Response(200, content=BODY, headers=headers)

    async def twice(name: str) -> None:
        client = create_client("gpt-5.4-mini", api_key="sk-test-0000", stream=False)
        for _ in range(2):
            await client.run_async([user_message(name)])
            await asyncio.sleep(0)

    async def both() -> None:
        await asyncio.gather(twice("a"), twice("b"))

    with scripted(answer) as seen, share_sdk_clients() as pool:
        asyncio.run(both())
    sent = sorted(
        (json.loads(r.content)["messages"][0]["content"], r.headers.get("cookie", "")) for r in seen
    )
    assert sent == [("a", ""), ("a", "s=a"), ("b", ""), ("b", "s=b")]
    assert len(pool) <= 1
