"""Cassettes: vcrpy-format recordings of provider HTTP traffic, loaded safely and replayed.

Public API: ``load_cassette`` / ``save_cassette`` / ``parse_cassette``, the data model
(``Cassette``, ``Interaction``, ``RecordedRequest``, ``RecordedResponse``, ``StreamTiming``),
``split_events`` for SSE bodies, and ``use_cassette`` (replay or record around a block).
"""

from harness.cassettes.format import (
    Cassette,
    CassetteError,
    CassetteNotFoundError,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamTiming,
    dump_cassette,
    load_cassette,
    parse_cassette,
    save_cassette,
)
from harness.cassettes.session import (
    MODES,
    CassetteSession,
    UnusedInteractionsError,
    UnusedInteractionsWarning,
    use_cassette,
)
from harness.cassettes.sse import SseEvent, parse_event, split_events

__all__ = [
    "MODES",
    "Cassette",
    "CassetteError",
    "CassetteNotFoundError",
    "CassetteSession",
    "Interaction",
    "RecordedRequest",
    "RecordedResponse",
    "SseEvent",
    "StreamTiming",
    "UnusedInteractionsError",
    "UnusedInteractionsWarning",
    "dump_cassette",
    "load_cassette",
    "parse_cassette",
    "parse_event",
    "save_cassette",
    "split_events",
    "use_cassette",
]
