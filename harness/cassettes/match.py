"""Which recorded interaction answers a live request, and a useful error when none does.

Rules (each one fixes a pain users of plain vcrpy report):
- the key is method + path + query (sorted, secret-shaped params ignored) + body: scheme,
  host and port are left out by default (``ignore_host``), so a cassette recorded against the
  simulator or a proxy replays against the provider's default base URL and the reverse;
- JSON bodies compare as data: key order and pretty-printing do not matter, volatile fields
  (``DEFAULT_VOLATILE_FIELDS`` plus any ``ignore_fields`` paths) are dropped;
- headers are not part of the key, and trace-context headers (traceparent, tracestate,
  baggage, ...) can never be made part of it;
- identical requests are answered in recorded order (a FIFO per key), whatever the
  interleaving of other requests;
- a miss raises ``CassetteMiss`` naming the cassette and showing the closest recorded
  request with a field-by-field diff.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from harness.cassettes.format import Cassette, Interaction
from harness.cassettes.scrub import ScrubConfig, scrub_uri
from sik_llms.redact import SECRET_PARAM_NAMES, redact, redact_data

#: Request fields that legitimately change between runs; dotted paths, ``*`` = any key/index.
DEFAULT_VOLATILE_FIELDS: tuple[str, ...] = (
    "metadata.user_id",
    "user",
    "safety_identifier",
    "prompt_cache_key",
)
#: Never matched on, even if a caller asks: they carry per-run ids.
TRACE_HEADERS = frozenset(
    {
        "traceparent",
        "tracestate",
        "baggage",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "b3",
        "x-request-id",
        "x-stainless-retry-count",
        "x-amzn-trace-id",
        "sentry-trace",
    }
)
#: Query parameters that carry credentials (``sik_llms.redact.is_secret_param`` decides; this is
#: its exact-name list): redacted on both sides before comparison, so never compared.
SECRET_QUERY_PARAMS = SECRET_PARAM_NAMES

_MISSING = object()


class CassetteMiss(AssertionError):
    """No unused recorded interaction matches a live request (an AssertionError so pytest
    shows it as a test failure, not an internal error)."""


@dataclass(frozen=True)
class RequestView:
    """The normalised parts of a request that matching compares."""

    method: str
    url: str  # scheme://host/path, no query
    query: tuple[tuple[str, str], ...]
    body: Any  # canonical JSON data, or raw bytes when not JSON
    headers: tuple[tuple[str, str], ...]  # only the opted-in, non-trace headers

    def key(self) -> str:
        # kept on the view: recorded views are shared by every test replaying the cassette
        key = self.__dict__.get("_key")
        if key is None:
            body = (
                self.body if isinstance(self.body, bytes) else json.dumps(self.body, sort_keys=True)
            )
            key = repr((self.method, self.url, self.query, body, self.headers))
            object.__setattr__(self, "_key", key)
        return key


def _drop_path(data: Any, parts: Sequence[str]) -> Any:
    if not parts:
        return data
    head, rest = parts[0], parts[1:]
    if isinstance(data, dict):
        if head == "*":
            return {k: _drop_path(v, rest) for k, v in data.items()}
        if head not in data:
            return data
        if not rest:
            return {k: v for k, v in data.items() if k != head}
        return {**data, head: _drop_path(data[head], rest)}
    if isinstance(data, list) and (head == "*" or head.isdigit()):
        hits = {i for i in range(len(data)) if head == "*" or int(head) == i}
        if not rest:
            return [v for i, v in enumerate(data) if i not in hits]
        return [_drop_path(v, rest) if i in hits else v for i, v in enumerate(data)]
    return data


def canonical_body(
    body: bytes, ignore_fields: Iterable[str] = (), extra_secret_fields: tuple[str, ...] = ()
) -> Any:
    """JSON bodies as data minus ignored paths, secrets redacted as the recorder redacts them
    (``extra_secret_fields``: ``ScrubConfig.extra_body_fields``); other bodies as bytes."""
    if not body:
        return b""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return redact(body.decode("utf-8", "replace")).encode("utf-8").strip()
    for path in ignore_fields:
        data = _drop_path(data, path.split("."))
    return redact_data(
        data, extra_secret_fields
    )  # recordings are scrubbed: compare live requests scrubbed too


@dataclass
class MatchConfig:
    """What matching ignores or adds; the defaults suit LLM provider APIs.

    ``ignore_query`` names query parameters to leave out (``"*"``: the whole query);
    ``ignore_host`` (default True): compare the path only, not scheme, host and port (set it
    False to make the origin part of the key); ``allow_repeats``: once every match was played, play one again: the last
    (``repeats="last"``) or the least played, in recorded order (``repeats="cycle"``).
    """

    ignore_fields: tuple[str, ...] = DEFAULT_VOLATILE_FIELDS
    #: the recorder's scrub rules: the live request is scrubbed by them before comparison
    scrub: ScrubConfig = field(default_factory=ScrubConfig)
    match_headers: tuple[str, ...] = ()
    ignore_query: tuple[str, ...] = ()
    allow_repeats: bool = False
    repeats: Literal["last", "cycle"] = "last"
    ignore_host: bool = True

    def view(self, method: str, uri: str, headers: Any, body: bytes) -> RequestView:
        # the recording was scrubbed with this very function: scrub the live side the same way
        parts = urlsplit(scrub_uri(uri, self.scrub.secret_query_params))
        path = parts.path or "/"
        skip = {q.lower() for q in self.ignore_query}
        query = (
            ()
            if "*" in skip
            else tuple(
                sorted(
                    (k, v)
                    for k, v in parse_qsl(parts.query, keep_blank_values=True)
                    if k.lower() not in skip
                )
            )
        )
        wanted = [h.lower() for h in self.match_headers if h.lower() not in TRACE_HEADERS]
        hdrs = tuple((h, redact(_get_header(headers, h) or "")) for h in wanted)
        return RequestView(
            method=method.upper(),
            url=path
            if self.ignore_host
            else f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}",
            query=query,
            body=canonical_body(body, self.ignore_fields, self.scrub.extra_body_fields),
            headers=hdrs,
        )


def _get_header(headers: Any, name: str) -> str | None:
    if isinstance(headers, dict):
        for key, values in headers.items():
            if key.lower() == name:
                return values[0] if isinstance(values, list) and values else str(values)
        return None
    return headers.get(name)


# --- diffs -------------------------------------------------------------------------------


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value) if not isinstance(value, bytes) else repr(value[:limit])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff_data(recorded: Any, live: Any, path: str = "body") -> list[tuple[str, Any, Any]]:
    """Field-by-field differences as (path, recorded, live); ``_MISSING`` marks absence."""
    if isinstance(recorded, dict) and isinstance(live, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(recorded) | set(live), key=str):
            out += diff_data(recorded.get(key, _MISSING), live.get(key, _MISSING), f"{path}.{key}")
        return out
    if isinstance(recorded, list) and isinstance(live, list):
        out = []
        for i in range(max(len(recorded), len(live))):
            r = recorded[i] if i < len(recorded) else _MISSING
            v = live[i] if i < len(live) else _MISSING
            out += diff_data(r, v, f"{path}[{i}]")
        return out
    return [] if recorded == live else [(path, recorded, live)]


def diff_views(recorded: RequestView, live: RequestView) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    if recorded.method != live.method:
        out.append(("method", recorded.method, live.method))
    if recorded.url != live.url:
        out.append(("url", recorded.url, live.url))
    if recorded.query != live.query:
        out += diff_data(dict(recorded.query), dict(live.query), "query")
    if recorded.headers != live.headers:
        out += diff_data(dict(recorded.headers), dict(live.headers), "headers")
    out += diff_data(recorded.body, live.body)
    return out


def format_diff(diff: list[tuple[str, Any, Any]], limit: int = 20) -> str:
    lines = []
    for path, rec, live in diff[:limit]:
        rec_s = "<absent>" if rec is _MISSING else _short(rec)
        live_s = "<absent>" if live is _MISSING else _short(live)
        lines.append(f"    {path}: recorded {rec_s} | live {live_s}")
    if len(diff) > limit:
        lines.append(f"    ... and {len(diff) - limit} more differences")
    return "\n".join(lines)


def _distance(diff: list[tuple[str, Any, Any]]) -> int:
    # a different endpoint is much further away than a different body field
    return sum(100 if path in ("method", "url") else 1 for path, _, _ in diff)


#: id(recorded request) -> (that request, the config's matching settings, its view). The
#: request is kept, so an id is never reused while its entry lives; bounded.
_RECORDED_VIEWS: dict[int, tuple[Any, tuple[Any, ...], RequestView]] = {}
_MAX_RECORDED_VIEWS = 4096


#: (matching settings, method, uri, body) -> the live request's view: a suite sends the same
#: request in every test replaying a cassette, and parsing and redacting its JSON body is most
#: of matching's cost. Bounded; requests with large bodies or matched headers are not kept.
_LIVE_VIEWS: dict[tuple[Any, ...], RequestView] = {}
_MAX_LIVE_VIEWS = 256
_MAX_LIVE_BODY = 64 * 1024


#: (matching settings, ids of a cassette's recorded requests) -> (those requests, their views,
#: the per-key queues of indexes): what a matcher builds from a cassette before its first match,
#: the same for every test replaying it. Bounded.
_INDEXES: dict[
    tuple[Any, ...], tuple[tuple[Any, ...], list[RequestView], dict[str, list[int]]]
] = {}
_MAX_INDEXES = 256


def _settings(config: MatchConfig) -> tuple[Any, ...]:
    """Everything about ``config`` that changes a request's view (hashable)."""
    return (
        config.ignore_fields,
        config.match_headers,
        config.ignore_query,
        config.ignore_host,
        config.scrub.secret_query_params,
        config.scrub.extra_body_fields,
    )


class Matcher:
    """Hands out recorded interactions to live requests; thread-safe."""

    def __init__(self, cassette: Cassette, config: MatchConfig | None = None) -> None:
        self.cassette = cassette
        self.config = config or MatchConfig()
        self._settings = _settings(self.config)
        try:  # a config given lists instead of tuples still matches, uncached
            hash(self._settings)
            self._cache_index = True
            self._cache_live = not self.config.match_headers
        except TypeError:
            self._cache_index = self._cache_live = False
        self._views, self._queues = self._index(cassette.interactions)
        self.play_counts = [0] * len(cassette.interactions)
        self._hint: str | Callable[[], str] | None = None
        self._lock = threading.Lock()

    @property
    def hint(self) -> str | None:
        """A line appended to every miss message (the pytest plugin names the re-record
        command); set it to a string, or to a function returning one (called once, when a
        message first needs it)."""
        hint = self._hint
        if callable(hint):
            hint = self._hint = hint()
        return hint

    @hint.setter
    def hint(self, value: str | Callable[[], str] | None) -> None:
        self._hint = value

    def _index(
        self, interactions: list[Interaction]
    ) -> tuple[list[RequestView], dict[str, list[int]]]:
        """The recorded requests' views and, per key, their indexes in recorded order (shared
        by every matcher of the same requests and settings: read only)."""
        requests = tuple(i.request for i in interactions)
        key = (self._settings, tuple(map(id, requests))) if self._cache_index else None
        hit = _INDEXES.get(key) if key is not None else None
        if hit is not None and all(a is b for a, b in zip(hit[0], requests, strict=True)):
            return hit[1], hit[2]
        views = [self._recorded_view(i) for i in interactions]
        queues: dict[str, list[int]] = {}
        for i, view in enumerate(views):
            queues.setdefault(view.key(), []).append(i)
        if key is not None:
            if len(_INDEXES) >= _MAX_INDEXES:
                _INDEXES.clear()
            _INDEXES[key] = (requests, views, queues)  # the requests are kept: ids stay theirs
        return views, queues

    def _recorded_view(self, interaction: Interaction) -> RequestView:
        """The recorded request's view, computed once per request and config: cassettes are
        parsed once per process (``harness.cassettes.cache``), so every test replaying the
        same file reuses the same recorded requests."""
        req = interaction.request
        settings = self._settings
        cached = _RECORDED_VIEWS.get(id(req))
        if cached is not None and cached[0] is req and cached[1] == settings:
            return cached[2]
        view = self.config.view(req.method, req.uri, req.headers, req.body)
        if len(_RECORDED_VIEWS) >= _MAX_RECORDED_VIEWS:
            _RECORDED_VIEWS.clear()
        _RECORDED_VIEWS[id(req)] = (req, settings, view)
        return view

    def match(self, method: str, uri: str, headers: Any, body: bytes) -> Interaction:
        """The next unused interaction for this request, in recorded order; ``CassetteMiss``
        if there is none."""
        live = self._live_view(method, uri, headers, body)
        with self._lock:
            candidates = self._queues.get(live.key(), [])
            for i in candidates:
                if self.play_counts[i] == 0:
                    self.play_counts[i] += 1
                    return self.cassette.interactions[i]
            if candidates and self.config.allow_repeats:
                again = candidates[-1]
                if self.config.repeats == "cycle":
                    again = min(candidates, key=lambda i: self.play_counts[i])
                self.play_counts[again] += 1
                return self.cassette.interactions[again]
        message = self._miss_message(live, bool(candidates))
        raise CassetteMiss(f"{message}\n  {self.hint}" if self.hint else message)

    def _live_view(self, method: str, uri: str, headers: Any, body: bytes) -> RequestView:
        """The live request's view, from ``_LIVE_VIEWS`` when this exact request was seen
        (the view depends on headers only through ``match_headers``: those are not kept)."""
        if not self._cache_live or len(body) > _MAX_LIVE_BODY:
            return self.config.view(method, uri, headers, body)
        key = (self._settings, method, uri, bytes(body))
        view = _LIVE_VIEWS.get(key)
        if view is None:
            view = self.config.view(method, uri, headers, body)
            if len(_LIVE_VIEWS) >= _MAX_LIVE_VIEWS:
                _LIVE_VIEWS.clear()
            _LIVE_VIEWS[key] = view
        return view

    def unused(self) -> list[Interaction]:
        with self._lock:
            return [self.cassette.interactions[i] for i, n in enumerate(self.play_counts) if n == 0]

    def _miss_message(self, live: RequestView, exhausted: bool) -> str:
        head = f"cassette {self.cassette.label}: no unused recorded request matches {live.method} {live.url}"
        if exhausted:
            n = len(self._queues[live.key()])
            return (
                f"{head}\n  all {n} recorded interaction(s) with this exact request were already "
                "played; the code now sends it more often than when recorded. Re-record, or pass "
                "allow_repeats=True if repeats are expected."
            )
        if not self._views:
            return (
                f"{head}\n  the cassette has no interactions; record it (mode='once', outside CI)."
            )
        scored = []
        for i, view in enumerate(self._views):
            diff = diff_views(view, live)
            scored.append((_distance(diff), self.play_counts[i] > 0, i, diff))
        _, used, idx, diff = min(scored, key=lambda s: (s[0], s[1], s[2]))
        note = " (already played)" if used else ""
        return (
            f"{head}\n  closest recorded request: {self.cassette.interactions[idx].describe()}{note}; "
            f"differences (recorded | live):\n{format_diff(diff)}\n"
            "  If the change is intended, re-record the cassette; if a field is volatile, add it to "
            "ignore_fields."
        )


__all__ = [
    "DEFAULT_VOLATILE_FIELDS",
    "SECRET_QUERY_PARAMS",
    "TRACE_HEADERS",
    "CassetteMiss",
    "MatchConfig",
    "Matcher",
    "RequestView",
    "canonical_body",
    "diff_data",
    "format_diff",
]
