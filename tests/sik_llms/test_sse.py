"""The SSE decoder our providers read streams with: the SDKs' own decoder's results, any chunking.

We parse provider streams ourselves (``sik_llms.sse``, see tests/test_sdk_bypass.py for why), so
the decoder must agree with the SDK's on every real recording and must not care where the
network splits the bytes.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sik_llms.sse import SseDecoder, SseEvent
from tests.conftest import REAL, load_interaction, needs_real


def decode(chunks: list[bytes]) -> list[SseEvent]:
    decoder = SseDecoder()
    out = [event for chunk in chunks for event in decoder.feed(chunk)]
    return out + decoder.flush()


def _split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(body)) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


def _real_stream_bodies() -> list[tuple[str, bytes]]:
    if not REAL.is_dir():
        return []
    bodies = []
    for path in sorted(REAL.rglob("*.yaml")):
        count = len(
            (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("interactions") or []
        )
        for index in range(count):
            interaction = load_interaction(path, index)
            if interaction.headers.get("content-type", "").startswith("text/event-stream"):
                bodies.append((f"{path.relative_to(REAL)}#{index}", interaction.body))
    return bodies


REAL_STREAMS = _real_stream_bodies()


@needs_real
def test_the_real_recordings_include_streams_of_both_providers() -> None:
    names = " ".join(name for name, _ in REAL_STREAMS)
    assert len(REAL_STREAMS) >= 15 and "anthropic" in names and "openai" in names


@needs_real
@pytest.mark.parametrize(("name", "body"), REAL_STREAMS, ids=[name for name, _ in REAL_STREAMS])
def test_matches_the_sdk_decoder_on_every_real_stream(name: str, body: bytes) -> None:
    from openai._streaming import SSEDecoder

    theirs = [(e.event, e.data) for e in SSEDecoder().iter_bytes(iter([body]))]
    ours = [(e.event, e.data.decode("utf-8")) for e in decode([body])]
    assert ours == theirs
    one_byte_at_a_time = [body[i : i + 1] for i in range(len(body))]
    assert decode(one_byte_at_a_time) == decode([body])


_names = st.none() | st.sampled_from(["message_start", "content_block_delta", "error", "ping"])
_data_lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]),
        max_size=20,
    ),
    min_size=1,
    max_size=3,
)
_events = st.lists(st.tuples(_names, _data_lines), max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    events=_events,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    comments=st.booleans(),
    cuts=st.lists(st.integers(0, 400), max_size=12),
)
def test_any_chunking_and_line_ending_gives_the_same_events(
    events: list[tuple[str | None, list[str]]], newline: str, comments: bool, cuts: list[int]
) -> None:
    text = ""
    for name, lines in events:
        if comments:
            text += f": keep-alive{newline}"
        if name is not None:
            text += f"event: {name}{newline}"
        text += "".join(f"data: {line}{newline}" for line in lines) + newline
    body = text.encode("utf-8")
    expected = [SseEvent(name, "\n".join(lines).encode("utf-8")) for name, lines in events]
    assert decode(_split(body, cuts)) == expected


def test_a_last_event_without_its_blank_line_is_not_lost() -> None:
    assert decode([b'data: {"a":1}\n\ndata: {"b":2}']) == [
        SseEvent(None, b'{"a":1}'),
        SseEvent(None, b'{"b":2}'),
    ]
    assert decode([b"event: ping\r"]) == [SseEvent("ping", b"")]
    assert decode([b""]) == []


def test_a_split_crlf_is_one_line_ending_not_two() -> None:
    assert decode([b"data: x\r", b"\n", b"data: y\r\n\r\n"]) == [SseEvent(None, b"x\ny")]


def test_no_space_after_the_colon_and_unknown_fields() -> None:
    assert decode([b"data:x\nid: 7\nretry: 10\nfoo: bar\n\n"]) == [SseEvent(None, b"x")]


def test_real_stream_body_feeds_json_straight_to_the_parser() -> None:
    """``SseEvent.data`` is bytes that ``json.loads`` takes as they are (no second decode)."""
    (event,) = decode(['data: {"text": "d\u00e9j\u00e0 vu"}\n\n'.encode()])
    assert json.loads(event.data) == {"text": "d\u00e9j\u00e0 vu"}
