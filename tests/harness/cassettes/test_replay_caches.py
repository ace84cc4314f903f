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


def test_an_interaction_whose_request_was_replaced_is_matched_by_the_new_request() -> None:
    interaction = _interaction(0, "one", "first")
    cassette = Cassette([interaction])
    assert _ask(CassetteTransport(cassette), "one") == "first"  # the index is kept
    interaction.request = _interaction(0, "two", "unused").request
    assert _ask(CassetteTransport(cassette), "two") == "first"
    with pytest.raises(CassetteMiss, match="live 'one'"):
        _ask(CassetteTransport(cassette), "one")


def test_the_same_requests_under_other_match_settings_get_their_own_index() -> None:
    cassette = Cassette([_interaction(0, "one", "first")])
    assert _ask(CassetteTransport(cassette), "one") == "first"  # host ignored: any host matches
    strict = MatchConfig(ignore_host=False)
    elsewhere = httpx2.Request(
        "POST",
        "https://proxy.invalid/v1/chat/completions",
        content=json.dumps({"messages": [{"role": "user", "content": "one"}], "model": "m"}),
    )
    with pytest.raises(CassetteMiss, match="url"):
        CassetteTransport(cassette, match=strict).handle_request(elsewhere)
    assert CassetteTransport(cassette).handle_request(elsewhere).status_code == 200


def test_a_served_response_changed_by_the_client_does_not_change_the_next_one() -> None:
    cassette = Cassette([_interaction(0, "one", "first")])
    request = httpx2.Request(
        "POST", URL, content=json.dumps({"messages": [{"role": "user", "content": "one"}]})
    )
    config = MatchConfig(ignore_fields=("model",))
    first = CassetteTransport(cassette, match=config).handle_request(request)
    first.headers["content-type"] = "text/plain"
    first.headers["x-added"] = "1"
    first.extensions["reason_phrase"] = b"Changed"
    second = CassetteTransport(cassette, match=config).handle_request(request)
    assert second.headers["content-type"] == "application/json"
    assert "x-added" not in second.headers
    assert second.extensions["reason_phrase"] == b"OK"


def test_an_interaction_whose_headers_or_reason_were_replaced_is_served_with_the_new_ones() -> None:
    interaction = _interaction(0, "one", "first")
    cassette = Cassette([interaction])
    request = httpx2.Request(
        "POST", URL, content=json.dumps({"messages": [{"role": "user", "content": "one"}]})
    )
    config = MatchConfig(ignore_fields=("model",))
    assert (
        CassetteTransport(cassette, match=config).handle_request(request).headers.get("x-a") is None
    )
    interaction.response.reason = "Fine"  # the same response object, changed in place
    served = CassetteTransport(cassette, match=config).handle_request(request)
    assert served.extensions["reason_phrase"] == b"Fine"
    interaction.response.headers = {**interaction.response.headers, "x-a": ["1"]}
    served = CassetteTransport(cassette, match=config).handle_request(request)
    assert served.headers["x-a"] == "1"
