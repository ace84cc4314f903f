"""Replay keeps per process what every test would otherwise rebuild (the live request's view,
an interaction's served chunks and headers), and never answers from a stale or foreign entry."""

from __future__ import annotations

import dataclasses
import json

import httpx2
import pytest

from harness.cassettes import (
    Cassette,
    CassetteMiss,
    CassetteTransport,
    Interaction,
    MatchConfig,
    RecordedRequest,
    RecordedResponse,
)

URL = "https://api.openai.com/v1/chat/completions"


def _interaction(index: int, prompt: str, answer: str, headers: dict | None = None) -> Interaction:
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": prompt}]}).encode()
    request = RecordedRequest("POST", URL, headers or {}, body)
    response = RecordedResponse(
        200, "OK", {"content-type": ["application/json"]}, json.dumps({"a": answer}).encode()
    )
    return Interaction(index, request, response)


def _ask(transport: CassetteTransport, prompt: str, headers: dict | None = None) -> str:
    body = json.dumps({"messages": [{"role": "user", "content": prompt}], "model": "m"})
    request = httpx2.Request("POST", URL, content=body.encode(), headers=headers or {})
    response = transport.handle_request(request)
    response.read()
    return response.json()["a"]


def test_requests_differing_only_in_body_get_their_own_answer_in_every_replay() -> None:
    cassette = Cassette([_interaction(0, "one", "first"), _interaction(1, "two", "second")])
    for _ in range(3):  # the second and third replays answer from the kept views
        transport = CassetteTransport(cassette)
        assert _ask(transport, "two") == "second"
        assert _ask(transport, "one") == "first"
        assert transport.unused() == []


def test_a_request_never_recorded_is_still_a_miss_naming_the_difference() -> None:
    cassette = Cassette([_interaction(0, "one", "first")])
    assert _ask(CassetteTransport(cassette), "one") == "first"
    with pytest.raises(
        CassetteMiss, match=r"body.messages\[0\].content: recorded 'one' \| live 'three'"
    ):
        _ask(CassetteTransport(cassette), "three")


def test_matched_headers_are_read_from_each_request() -> None:
    cassette = Cassette(
        [
            _interaction(0, "same", "tenant a", {"x-tenant": ["a"]}),
            _interaction(1, "same", "tenant b", {"x-tenant": ["b"]}),
        ]
    )
    config = MatchConfig(match_headers=("x-tenant",))
    for _ in range(2):
        transport = CassetteTransport(cassette, match=config)
        assert _ask(transport, "same", {"x-tenant": "b"}) == "tenant b"
        assert _ask(transport, "same", {"x-tenant": "a"}) == "tenant a"


def test_a_match_config_given_lists_still_matches() -> None:
    cassette = Cassette([_interaction(0, "one", "first")])
    config = MatchConfig(ignore_fields=["user"], ignore_query=["api-version"])  # type: ignore[arg-type]
    assert _ask(CassetteTransport(cassette, match=config), "one") == "first"


def test_an_interaction_whose_response_was_replaced_is_served_with_the_new_one() -> None:
    interaction = _interaction(0, "one", "first")
    cassette = Cassette([interaction])
    assert _ask(CassetteTransport(cassette), "one") == "first"
    interaction.response = dataclasses.replace(
        interaction.response, body=json.dumps({"a": "changed"}).encode()
    )
    transport = CassetteTransport(cassette)
    assert _ask(transport, "one") == "changed"
    assert transport.playbacks[0].chunks_total == 1
