"""Cassettes: vcrpy-format recordings of provider HTTP traffic, loaded safely, replayed, recorded.

Modules, each importing only those listed before it (never this package's ``__init__``):
``sse`` (split a stream body into its events), ``format`` (load / save / the data model),
``scan`` (find key-shaped text), ``match`` (which recorded interaction answers a request),
``scrub`` (strip secrets before writing), ``intercept`` (route every httpx2 / httpx client to
the active cassette), ``transport`` (the replay transport),
``record`` (the recording transport), ``session`` (``use_cassette``), ``report`` (replay a
cassette's LLM calls through sik_llms: ``sik-llms replay``), ``suite`` (the project's recorded
scenarios: ``sik-llms record``, ``sik-llms demo``).

Public API: ``load_cassette`` / ``save_cassette`` / ``parse_cassette``, the data model
(``Cassette``, ``Interaction``, ``RecordedRequest``, ``RecordedResponse``, ``StreamTiming``),
``split_events`` for SSE bodies, ``use_cassette`` (replay or record around a block), and the
transports (``CassetteTransport``, ``RecordingTransport``) with ``MatchConfig``.
"""

from harness.cassettes.format import (
    Cassette,
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
from harness.cassettes.match import CassetteMiss, MatchConfig
from harness.cassettes.record import RecordingRefused, RecordingTransport, SecretLeakError
from harness.cassettes.session import (
    MODES,
    CassetteSession,
    UnusedInteractionsError,
    UnusedInteractionsWarning,
    use_cassette,
)
from harness.cassettes.sse import SseEvent, decode_events, parse_event, split_events
from harness.cassettes.transport import CassetteTransport
from harness.cassettes.validate import CassetteError

__all__ = [
    "MODES",
    "Cassette",
    "CassetteError",
    "CassetteMiss",
    "CassetteNotFoundError",
    "CassetteSession",
    "CassetteTransport",
    "Interaction",
    "MatchConfig",
    "RecordedRequest",
    "RecordedResponse",
    "RecordingRefused",
    "RecordingTransport",
    "SecretLeakError",
    "SseEvent",
    "StreamTiming",
    "UnusedInteractionsError",
    "UnusedInteractionsWarning",
    "decode_events",
    "dump_cassette",
    "load_cassette",
    "parse_cassette",
    "parse_event",
    "save_cassette",
    "split_events",
    "use_cassette",
]
