"""Serve answers from a vcrpy cassette (ours or a foreign one) over real HTTP.

Loaded with a safe YAML loader; ``!!binary`` gzip bodies are decoded; pydantic-ai's
``parsed_body`` form is understood. A request is matched on method + path (+ query) + JSON body
(parsed, so key order and pretty-printing do not matter); repeated identical requests are served
in recorded order. Streamed bodies are split into SSE events so the server sends them one by one.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.cassettes.limits import YamlLimitError, check_yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_DROP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection", "set-cookie",
                 "keep-alive", "date", "server"}
_EVENT_END = re.compile(rb"\r?\n\r?\n")


class CassetteError(ValueError):
    """The cassette cannot be loaded, or a request has no recorded answer."""


@dataclass
class Interaction:
    method: str
    path: str
    query: str
    body: Any  # parsed JSON, raw text, or None
    status: int
    headers: list[tuple[str, str]]
    content: bytes
    is_sse: bool
    used: int = 0

    def events(self) -> list[bytes]:
        return split_sse(self.content)


@dataclass
class CassetteServer:
    """Recorded interactions and the matching state for one cassette."""

    path: str
    interactions: list[Interaction] = field(default_factory=list)
    repeat: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def find(self, method: str, path: str, query: str, body: bytes) -> Interaction:
        """The next unused matching interaction (recorded order); cycles when ``repeat``."""
        wanted = _parse_body(body)
        with self._lock:
            candidates = [i for i in self.interactions
                          if i.method == method and i.path == path and _query_ok(i.query, query)
                          and _same_body(i.body, wanted)]
            if candidates:
                least = min(c.used for c in candidates)
                fresh = next((c for c in candidates if c.used == 0), None)
                chosen = fresh or (next(c for c in candidates if c.used == least) if self.repeat else None)
                if chosen is not None:
                    chosen.used += 1
                    return chosen
                raise CassetteError(
                    f"cassette {self.path}: all {len(candidates)} recorded answer(s) for {method} {path} with this "
                    "body were already served (repeat is off); record more or enable repeat"
                )
        raise CassetteError(self._miss_message(method, path, wanted))

    def _miss_message(self, method: str, path: str, wanted: Any) -> str:
        lines = [f"cassette {self.path}: no recorded interaction matches {method} {path}."]
        same_route = [i for i in self.interactions if i.method == method and i.path == path]
        if not same_route:
            routes = sorted({f"{i.method} {i.path}" for i in self.interactions})
            lines.append(f"Recorded routes: {', '.join(routes) or 'none'}.")
            return " ".join(lines)
        closest = min(same_route, key=lambda i: len(_diff(i.body, wanted)))
        diffs = _diff(closest.body, wanted)[:6]
        lines.append("Closest recorded request differs at: " + "; ".join(diffs) + ".")
        lines.append("Send the recorded body, or re-record the cassette.")
        return " ".join(lines)

    @property
    def unused(self) -> list[Interaction]:
        return [i for i in self.interactions if i.used == 0]


def _query_ok(recorded: str, actual: str) -> bool:
    return recorded == actual or not recorded or not actual


def _parse_body(body: bytes | str | None) -> Any:
    if body in (None, b"", ""):
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _same_body(recorded: Any, actual: Any) -> bool:
    return recorded == actual


def _diff(a: Any, b: Any, where: str = "body") -> list[str]:
    """Human-readable differences between two JSON values (recorded vs received)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                out.append(f"{where}.{key} recorded but not sent")
            elif key not in a:
                out.append(f"{where}.{key} sent but not recorded")
            else:
                out += _diff(a[key], b[key], f"{where}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, f"{where}[{i}]")]
    if a != b:
        return [f"{where}: recorded {json.dumps(a)[:60]} vs sent {json.dumps(b)[:60]}"]
    return []


def split_sse(body: bytes) -> list[bytes]:
    """Split an SSE body into events (each keeps its blank-line terminator); joins back exactly."""
    events: list[bytes] = []
    pos = 0
    for m in _EVENT_END.finditer(body):
        events.append(body[pos : m.end()])
        pos = m.end()
    if pos < len(body):
        if body[pos:].strip() or not events:
            events.append(body[pos:])
        else:
            events[-1] += body[pos:]
    return events


def _looks_like_sse(content: bytes) -> bool:
    head = content.lstrip()[:16]
    return head.startswith((b"event:", b"data:", b":"))


def _header_items(raw: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, values in (raw or {}).items():
        for value in values if isinstance(values, list) else [values]:
            out.append((str(name), str(value)))
    return out


def _response_content(response: dict[str, Any], headers: list[tuple[str, str]]) -> bytes:
    if "parsed_body" in response:
        return json.dumps(response["parsed_body"]).encode()
    body = response.get("body")
    raw = body.get("string") if isinstance(body, dict) else body
    if raw is None:
        return b""
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
    gzipped = any(k.lower() == "content-encoding" and "gzip" in v.lower() for k, v in headers)
    if gzipped or data[:2] == b"\x1f\x8b":
        # the header may say gzip while the body was stored decoded: then keep it as is
        with contextlib.suppress(OSError, EOFError):
            data = gzip.decompress(data)
    return data


def load_cassette(path: str | Path, repeat: bool = True) -> CassetteServer:
    """Load a vcrpy cassette file into a ``CassetteServer``."""
    p = Path(path)
    if not p.exists():
        raise CassetteError(f"cassette {str(path)!r} not found; pass the path of a vcrpy YAML cassette")
    try:
        text = p.read_text(encoding="utf-8")
        check_yaml(text)  # alias bombs and absurd nesting are refused before construction
        data = yaml.load(text, Loader=_Loader)
    except (YamlLimitError, UnicodeDecodeError) as exc:
        raise CassetteError(f"cassette {p}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise CassetteError(f"cassette {p}: not loadable with a safe YAML loader: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError(f"cassette {p}: expected a vcrpy cassette (a mapping with an 'interactions' list)")
    server = CassetteServer(path=str(p), repeat=repeat)
    for n, item in enumerate(data["interactions"]):
        try:
            request, response = item["request"], item["response"]
            url = urlsplit(request["uri"])
            headers = _header_items(response.get("headers"))
            content = _response_content(response, headers)
            body = request.get("parsed_body", _parse_body(request.get("body")))
            ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
            status = response["status"]["code"] if isinstance(response.get("status"), dict) else int(response["status"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"cassette {p}: interaction {n} is malformed ({exc!r})") from exc
        is_sse = "text/event-stream" in ctype or _looks_like_sse(content)
        kept = [(k, v) for k, v in headers if k.lower() not in _DROP_HEADERS and k.lower() != "content-type"]
        kept.insert(0, ("content-type", ctype or ("text/event-stream; charset=utf-8" if is_sse else "application/json")))
        server.interactions.append(Interaction(
            method=str(request.get("method", "POST")).upper(), path=url.path, query=url.query, body=body,
            status=int(status), headers=kept, content=content, is_sse=is_sse,
        ))
    return server
