"""Serve a vcrpy cassette (ours or a foreign one) over real HTTP, through ``harness.cassettes``.

The cassette is loaded by ``harness.cassettes.load_cassette`` (safe YAML, ``!!binary`` gzip
bodies decoded, pydantic-ai's ``parsed_body`` understood) and requests are matched by its
``Matcher`` (JSON bodies compared as data, repeated identical requests served in recorded
order, a miss names the cassette and the closest recorded request). The simulator answers
for whatever host was recorded, so only the path is compared, and the query is not (SDKs add
``?beta=true`` or an ``api-version`` depending on the client). With ``repeat`` on, a request
whose recorded answers were all served gets them again, least served first. Streamed bodies
are split into SSE events so the server sends them one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.cassettes.format import Cassette, Interaction, load_cassette
from harness.cassettes.match import CassetteMiss, MatchConfig, Matcher
from harness.cassettes.validate import CassetteError

#: Recorded response headers the simulator's own HTTP layer owns (or that must not be replayed).
_DROP_HEADERS = {
    "content-encoding",
    "content-length",
    "transfer-encoding",
    "connection",
    "set-cookie",
    "keep-alive",
    "date",
    "server",
}


@dataclass(frozen=True)
class ServedAnswer:
    """What the simulator sends for one recorded interaction: status, headers, body or events."""

    interaction: Interaction
    headers: list[tuple[str, str]]

    @property
    def status(self) -> int:
        return self.interaction.response.status

    @property
    def streamed(self) -> bool:
        return self.interaction.streamed

    @property
    def content(self) -> bytes:
        return self.interaction.response.body

    def events(self) -> list[bytes]:
        """The body as SSE events, one chunk each (joined, they give back the body exactly)."""
        return self.interaction.chunks()


def served_headers(interaction: Interaction) -> list[tuple[str, str]]:
    """The recorded response headers minus hop-by-hop ones, content type first (defaulted)."""
    headers = interaction.response.headers
    ctype = interaction.response.header("content-type") or (
        "text/event-stream; charset=utf-8" if interaction.streamed else "application/json"
    )
    kept = [
        (k, v)
        for k, values in headers.items()
        for v in values
        if k.lower() not in _DROP_HEADERS and k.lower() != "content-type"
    ]
    return [("content-type", ctype), *kept]


class CassetteServer:
    """A cassette and its matching state, for one simulator."""

    def __init__(self, cassette: Cassette, repeat: bool = True) -> None:
        self.cassette = cassette
        self.matcher = Matcher(
            cassette,
            MatchConfig(
                ignore_host=True, ignore_query=("*",), allow_repeats=repeat, repeats="cycle"
            ),
        )
        self._answers = [ServedAnswer(i, served_headers(i)) for i in cassette.interactions]

    @property
    def path(self) -> str:
        return str(self.cassette.path)

    def find(self, method: str, path: str, query: str, body: bytes) -> ServedAnswer:
        """The next recorded answer for this request; ``CassetteMiss`` (an AssertionError) when
        there is none, naming the cassette and the closest recorded request."""
        uri = f"{path}?{query}" if query else path
        found = self.matcher.match(method, uri, {}, body)
        return self._answers[found.index]

    @property
    def unused(self) -> list[Interaction]:
        """Recorded interactions no request has asked for yet."""
        return self.matcher.unused()


def serve_cassette(path: str | Path, repeat: bool = True) -> CassetteServer:
    """Load the vcrpy cassette at ``path`` for serving; ``CassetteError`` when it cannot be used."""
    return CassetteServer(load_cassette(path), repeat=repeat)


__all__ = [
    "CassetteError",
    "CassetteMiss",
    "CassetteServer",
    "ServedAnswer",
    "serve_cassette",
    "served_headers",
]
