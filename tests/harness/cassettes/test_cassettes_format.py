"""Loading and saving cassettes: encodings, pretty JSON, SSE splitting, clear errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import yamlserializer

from harness.cassettes import (
    Cassette,
    CassetteError,
    CassetteNotFoundError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamTiming,
    load_cassette,
    parse_cassette,
    save_cassette,
    split_events,
)
from harness.cassettes.sse import SseSplitter, looks_like_sse, parse_event

SSE = b'data: {"a":1}\n\ndata: {"a":2}\n\nevent: done\ndata: [DONE]\n\n'


def _doc(response: dict, request_body: object = '{"model":"m"}') -> str:
    return yaml.safe_dump(
        {
            "interactions": [
                {
                    "request": {
                        "method": "POST",
                        "uri": "https://api.openai.com/v1/chat/completions",
                        "body": request_body,
                        "headers": {"content-type": ["application/json"]},
                    },
                    "response": response,
                }
            ],
            "version": 1,
        }
    )


def test_gzip_binary_body_is_decoded_and_content_length_recomputed() -> None:
    body = json.dumps({"id": "x", "pad": " " * 50}).encode()
    packed = gzip.compress(body)
    text = _doc(
        {
            "status": {"code": 200, "message": "OK"},
            "body": {"string": packed},
            "headers": {"Content-Encoding": ["gzip"], "Content-Length": [str(len(packed))]},
        }
    )
    assert "!!binary" in text
    interaction = parse_cassette(text).interactions[0]
    assert interaction.response.body == body
    assert interaction.response.header("content-encoding") is None
    assert interaction.response.header("content-length") == str(len(body))


def test_gzip_header_on_an_already_decoded_body_is_tolerated() -> None:
    text = _doc(
        {
            "status": {"code": 200},
            "body": {"string": '{"ok":true}'},
            "headers": {"content-encoding": ["gzip"]},
        }
    )
    assert parse_cassette(text).interactions[0].response.json() == {"ok": True}


def test_corrupt_gzip_body_is_a_clear_error() -> None:
    text = _doc(
        {
            "status": {"code": 200},
            "body": {"string": b"\x1f\x8bnot gzip at all"},
            "headers": {"content-encoding": ["gzip"]},
        }
    )
    with pytest.raises(CassetteError, match=r"interaction #0.*gzip.*re-record"):
        parse_cassette(text, name="broken")


def test_pretty_printed_request_body_parses_as_json() -> None:
    pretty = json.dumps(
        {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}, indent=2
    )
    text = _doc(
        {"status": {"code": 200}, "body": {"string": "{}"}, "headers": {}}, request_body=pretty
    )
    assert parse_cassette(text).interactions[0].request.json()["model"] == "gpt-4"


def test_pydantic_ai_parsed_body_variant_is_turned_back_into_json() -> None:
    text = yaml.safe_dump(
        {
            "interactions": [
                {
                    "request": {
                        "method": "POST",
                        "uri": "https://api.anthropic.com/v1/messages",
                        "parsed_body": {"model": "claude", "max_tokens": 5},
                        "headers": {},
                    },
                    "response": {
                        "status": {"code": 200},
                        "parsed_body": {"id": "msg_1"},
                        "headers": {"content-length": ["999"]},
                    },
                }
            ]
        }
    )
    interaction = parse_cassette(text).interactions[0]
    assert interaction.request.json() == {"model": "claude", "max_tokens": 5}
    assert interaction.response.json() == {"id": "msg_1"}
    assert interaction.response.header("content-length") == str(len(interaction.response.body))


def test_streamed_body_without_headers_is_recognised_and_split_per_event() -> None:
    text = _doc({"status": {"code": 200}, "body": {"string": SSE.decode()}, "headers": {}})
    interaction = parse_cassette(text).interactions[0]
    assert interaction.streamed
    assert interaction.chunks() == [
        b'data: {"a":1}\n\n',
        b'data: {"a":2}\n\n',
        b"event: done\ndata: [DONE]\n\n",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("interactions: [\n  - {", r"not valid YAML at line \d+"),
        ("just: a mapping\n", r"no 'interactions' list"),
        (
            "interactions:\n- request: {method: GET, uri: 'http://x'}\n",
            r"interaction #0: needs both",
        ),
        (
            "interactions:\n- request: {uri: 'http://x'}\n  response: {status: {code: 200}}\n",
            r"missing 'method'",
        ),
        (
            "interactions:\n- request: {method: GET, uri: 'http://x'}\n  response: {status: {}}\n",
            r"status.code",
        ),
        ("!!python/object/apply:os.system ['echo pwned']\n", r"refused unsafe or unknown YAML tag"),
    ],
)
def test_malformed_cassettes_fail_with_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(CassetteError, match=message) as info:
        parse_cassette(text, name="bad")
    assert str(info.value).startswith("bad")


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError, match="not found; record it with mode='once'"):
        load_cassette(tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("  \n")
    with pytest.raises(CassetteError, match="empty"):
        load_cassette(empty)


def test_bad_timing_block_is_reported() -> None:
    text = _doc(
        {
            "status": {"code": 200},
            "body": {"string": "{}"},
            "headers": {},
            "sik_llms_timing": {"headers_s": 0.5, "events_s": [0.1]},
        }
    )
    with pytest.raises(CassetteError, match="increasing"):
        parse_cassette(text)


def _sample(path: Path) -> Cassette:
    return Cassette(
        path=path,
        interactions=[
            Interaction(
                index=0,
                request=RecordedRequest(
                    "POST",
                    "https://api.openai.com/v1/chat/completions",
                    {"content-type": ["application/json"]},
                    b'{"stream":true}',
                ),
                response=RecordedResponse(
                    200,
                    "OK",
                    {"content-type": ["text/event-stream"]},
                    SSE,
                    timing=StreamTiming(headers=0.1, events=[0.2, 0.25, 0.3]),
                ),
            )
        ],
        metadata={"provenance": {"recorded_against": ["http://127.0.0.1:1"]}},
    )


def test_save_load_roundtrip_and_stock_vcrpy_reads_it(tmp_path: Path) -> None:
    path = save_cassette(_sample(tmp_path / "c.yaml"))
    again = load_cassette(path)
    assert again.interactions[0].response.body == SSE
    assert again.interactions[0].response.timing == StreamTiming(0.1, [0.2, 0.25, 0.3])
    assert again.provenance == {"recorded_against": ["http://127.0.0.1:1"]}
    # two values, as pytest-recording's persister unpacks them (vcrpy's own 'metadata' adds a third)
    requests, responses = FilesystemPersister.load_cassette(path, yamlserializer)
    assert requests[0].uri.endswith("/v1/chat/completions")
    assert responses[0]["body"]["string"] == SSE
    assert 'data: {"a":1}' in path.read_text()  # readable literal block, not an escaped blob


@given(st.lists(st.text(alphabet='ab: {}"\r\n', max_size=12), max_size=8))
def test_sse_chunks_always_join_back_to_the_body(lines: list[str]) -> None:
    body = "".join(lines).encode()
    assert b"".join(split_events(body)) == body


@given(st.binary(max_size=200), st.lists(st.integers(min_value=1, max_value=7), max_size=40))
def test_incremental_splitting_matches_whole_body_splitting(body: bytes, cuts: list[int]) -> None:
    splitter = SseSplitter()
    out: list[bytes] = []
    pos = 0
    for cut in cuts:
        out += splitter.feed(body[pos : pos + cut])
        pos += cut
    out += splitter.feed(body[pos:])
    out += splitter.flush()
    assert b"".join(out) == body


def test_parse_event_and_sse_detection() -> None:
    event = parse_event(b'event: message_start\ndata: {"x": 1}\n\n')
    assert (event.event, json.loads(event.data)) == ("message_start", {"x": 1})
    assert looks_like_sse(b"\nevent: ping\n") and not looks_like_sse(b'{"data": 1}')
