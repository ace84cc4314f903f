"""Cassettes in vcrpy's YAML format: load safely, normalise, save so stock vcrpy still reads them.

Loading normalises what real recordings contain so replay and matching never have to care:
``!!binary`` gzip/deflate bodies are decoded (``Content-Encoding`` dropped, ``Content-Length``
recomputed), header values become lists of strings, pydantic-ai's ``parsed_body`` variant is
turned back into JSON bytes. Our own additions ride in keys stock vcrpy ignores: per-event
stream timing in ``response.sik_llms_timing`` and provenance in the top-level
``sik_llms_metadata`` (``METADATA_KEY``). Not vcrpy 9's own ``metadata``: with it vcrpy's
``deserialize`` returns three values, which pytest-recording's persister cannot unpack
("too many values to unpack"); a top-level key vcrpy does not know is simply ignored.
Cassettes written with ``metadata`` still load here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.cassettes.cache import forget
from harness.cassettes.limits import YamlLimitError, check_yaml
from harness.cassettes.sse import looks_like_sse, split_events
from harness.cassettes.validate import (
    CassetteError,
    Headers,
    as_bytes,
    check_headers,
    decode_body,
    first_header,
    parsed_body_bytes,
    text_field,
    without_headers,
)
from sik_llms.redact import redact_url

try:  # libyaml is much faster on the large (200 KB) real cassettes
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-python fallback
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

CASSETTE_VERSION = 1
TIMING_KEY = "sik_llms_timing"
PROVENANCE_KEY = "provenance"
#: Top-level key of our metadata (provenance); ``metadata`` is read too (older cassettes).
METADATA_KEY = "sik_llms_metadata"


class CassetteNotFoundError(CassetteError, FileNotFoundError):
    """The cassette file does not exist."""


class _SafeCassetteLoader(_Loader):
    """Safe loader plus the harmless python tags old vcrpy cassettes carry (str, tuple)."""


_SafeCassetteLoader.add_constructor(
    "tag:yaml.org,2002:python/str", lambda loader, node: loader.construct_scalar(node)
)
_SafeCassetteLoader.add_constructor(
    "tag:yaml.org,2002:python/unicode", lambda loader, node: loader.construct_scalar(node)
)
_SafeCassetteLoader.add_constructor(
    "tag:yaml.org,2002:python/tuple", lambda loader, node: tuple(loader.construct_sequence(node))
)


class _ReadableDumper(_Dumper):
    """Multi-line strings (SSE streams, pretty JSON) as literal blocks so diffs stay readable."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_ReadableDumper.add_representer(str, _represent_str)


@dataclass
class StreamTiming:
    """When the recorded response arrived, relative to the request being sent (seconds).

    ``headers`` is the time to response headers; ``events`` has one offset per SSE event (or
    one for a whole non-streamed body), in body order.
    """

    headers: float
    events: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {"headers_s": round(self.headers, 6), "events_s": [round(e, 6) for e in self.events]}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> StreamTiming:
        try:
            headers = float(data["headers_s"])
            events = [float(x) for x in data["events_s"]]
        except (TypeError, KeyError, ValueError) as exc:
            raise CassetteError(
                f"{where}: '{TIMING_KEY}' must be {{headers_s: number, events_s: [numbers]}} ({exc!r}); "
                "fix it or delete the key to use synthetic timing"
            ) from None
        if not all(map(math.isfinite, [headers, *events])):
            raise CassetteError(f"{where}: '{TIMING_KEY}' offsets must be finite numbers")
        if headers < 0 or any(b < a for a, b in zip([headers, *events], events, strict=False)):
            raise CassetteError(
                f"{where}: '{TIMING_KEY}' offsets must be non-negative and increasing"
            )
        return cls(headers=headers, events=events)


@dataclass
class RecordedRequest:
    method: str
    uri: str
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        return first_header(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON."""
        return _json_or_none(self.body)


@dataclass
class RecordedResponse:
    status: int
    reason: str
    headers: Headers  # decoded view: no Content-Encoding, Content-Length matches ``body``
    body: bytes
    timing: StreamTiming | None = None

    def header(self, name: str) -> str | None:
        return first_header(self.headers, name)

    def json(self) -> Any:
        return _json_or_none(self.body)


@dataclass
class Interaction:
    index: int
    request: RecordedRequest
    response: RecordedResponse
    #: keys of the raw YAML interaction we do not model, kept so saving loses nothing
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def streamed(self) -> bool:
        """True when the response is an SSE stream (by content type, or by its shape when the
        recording kept no headers)."""
        ctype = (self.response.header("content-type") or "").lower()
        if "text/event-stream" in ctype:
            return True
        if ctype and "json" in ctype:
            return False
        return looks_like_sse(self.response.body)

    def chunks(self) -> list[bytes]:
        """The body as served on replay: one chunk per SSE event, or one chunk."""
        if not self.response.body:
            return []
        return split_events(self.response.body) if self.streamed else [self.response.body]

    def describe(self) -> str:
        """``#index METHOD url -> status``, the URL with secrets redacted (it goes into errors)."""
        return f"#{self.index} {self.request.method} {redact_url(self.request.uri)} -> {self.response.status}"


@dataclass
class Cassette:
    interactions: list[Interaction]
    path: Path | None = None
    name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    version: int = CASSETTE_VERSION

    @property
    def label(self) -> str:
        """How errors name this cassette: its given name, else its path."""
        if self.name:
            return f"{self.name!r} ({self.path})" if self.path else repr(self.name)
        return str(self.path) if self.path else "<in-memory cassette>"

    @property
    def provenance(self) -> dict[str, Any] | None:
        value = self.metadata.get(PROVENANCE_KEY)
        return value if isinstance(value, dict) else None


def _json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _load_request(raw: Any, where: str) -> RecordedRequest:
    if not isinstance(raw, Mapping):
        raise CassetteError(f"{where}: 'request' must be a mapping")
    method = text_field(raw, "method", where)
    uri = text_field(raw, "uri", where)
    if not method.isascii() or not method.replace("-", "").isalpha():
        raise CassetteError(
            f"{where}: request 'method' must be an HTTP method such as POST, got {method[:40]!r}"
        )
    if "://" not in uri:
        raise CassetteError(
            f"{where}: request 'uri' must be an absolute URL (scheme://host/path), got {uri[:80]!r}"
        )
    headers = check_headers(raw.get("headers"), f"{where} request")
    if "parsed_body" in raw and "body" not in raw:
        body = parsed_body_bytes(raw["parsed_body"], f"{where} request")
    else:
        body = raw.get("body")
        if isinstance(body, Mapping):  # very old vcrpy: {string: ...}
            body = body.get("string")
        body = as_bytes(body, f"{where} request")
        body = decode_body(body, first_header(headers, "content-encoding"), f"{where} request")
    return RecordedRequest(method=method.upper(), uri=uri, headers=headers, body=body)


def _load_response(raw: Any, where: str) -> RecordedResponse:
    if not isinstance(raw, Mapping):
        raise CassetteError(f"{where}: 'response' must be a mapping")
    status = raw.get("status")
    code = status.get("code") if isinstance(status, Mapping) else raw.get("status_code")
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
        raise CassetteError(
            f"{where}: response 'status.code' must be an HTTP status (100-599), got {code!r:.40}"
        )
    message = status.get("message") if isinstance(status, Mapping) else None
    if message is not None and not isinstance(message, str | int | float):
        raise CassetteError(
            f"{where}: response 'status.message' must be a string, got {type(message).__name__}"
        )
    reason = str(message or "")
    headers = check_headers(raw.get("headers"), f"{where} response")
    encoded = bool(first_header(headers, "content-encoding"))
    if "parsed_body" in raw and "body" not in raw:
        body = parsed_body_bytes(raw["parsed_body"], f"{where} response")
    else:
        body_raw = raw.get("body", raw.get("content"))
        if isinstance(body_raw, Mapping):
            body_raw = body_raw.get("string")
        body = as_bytes(body_raw, f"{where} response")
        body = decode_body(body, first_header(headers, "content-encoding"), f"{where} response")
    headers = without_headers(headers, "content-encoding") if encoded else headers
    if first_header(headers, "content-length") is not None or encoded:
        headers = {**without_headers(headers, "content-length"), "content-length": [str(len(body))]}
    timing = None
    if raw.get(TIMING_KEY) is not None:
        timing = StreamTiming.from_dict(raw[TIMING_KEY], where)
    return RecordedResponse(status=code, reason=reason, headers=headers, body=body, timing=timing)


def parse_cassette(text: str, *, path: Path | None = None, name: str | None = None) -> Cassette:
    """Parse cassette text (vcrpy YAML) into a normalised ``Cassette``."""
    where = str(path) if path else (name or "cassette")
    try:
        check_yaml(text)  # alias bombs and absurd nesting, refused in one linear pass
    except YamlLimitError as exc:
        raise CassetteError(f"{where}: refused: {exc}") from None
    try:
        data = yaml.load(text, Loader=_SafeCassetteLoader)
    except yaml.constructor.ConstructorError as exc:
        raise CassetteError(
            f"{where}: refused unsafe or unknown YAML tag ({exc.problem}); cassettes may only hold plain data"
        ) from None
    except RecursionError:
        raise CassetteError(
            f"{where}: nested too deeply to load; the file is corrupt or hostile"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CassetteError(
            f"{where}: not valid YAML{at} ({problem}); fix the file or re-record it"
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("interactions"), list):
        raise CassetteError(
            f"{where}: no 'interactions' list at the top level; this is not a vcrpy cassette"
        )
    interactions = []
    for i, raw in enumerate(data["interactions"]):
        here = f"{where} interaction #{i}"
        if not isinstance(raw, Mapping) or "request" not in raw or "response" not in raw:
            raise CassetteError(f"{here}: needs both 'request' and 'response'")
        extra = {k: v for k, v in raw.items() if k not in ("request", "response")}
        try:
            interaction = Interaction(
                index=i,
                request=_load_request(raw["request"], here),
                response=_load_response(raw["response"], here),
                extra=extra,
            )
        except CassetteError:
            raise
        except (
            TypeError,
            ValueError,
            KeyError,
            AttributeError,
        ) as exc:  # a value of the wrong type
            raise CassetteError(
                f"{here}: unusable value ({type(exc).__name__}: {exc}); fix the file or re-record it"
            ) from None
        interactions.append(interaction)
    key = METADATA_KEY if METADATA_KEY in data else "metadata"
    metadata = data.get(key) or {}
    if not isinstance(metadata, Mapping):
        raise CassetteError(f"{where}: '{key}' must be a mapping")
    version = data.get("version", CASSETTE_VERSION)
    number = None
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    elif (
        isinstance(version, str) and version.strip().isdigit()
    ):  # "1", as some serializers write it
        number = int(version)
    if number is None or number < 1:
        raise CassetteError(
            f"{where}: 'version' must be a positive integer (vcrpy writes 1), got {version!r:.40}; fix or re-record"
        )
    return Cassette(
        interactions=interactions, path=path, name=name, metadata=dict(metadata), version=number
    )


def load_cassette(path: str | Path, *, name: str | None = None) -> Cassette:
    """Load a vcrpy YAML cassette from disk (safe loader only)."""
    path = Path(path)
    if not path.is_file():
        raise CassetteNotFoundError(
            f"cassette {path} not found; record it with mode='once' (outside CI) or check the name"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CassetteError(f"{path}: not UTF-8 text; a cassette is a YAML file") from None
    if not text.strip():
        raise CassetteError(f"{path}: the file is empty; delete it and re-record")
    return parse_cassette(text, path=path, name=name)


def _body_for_yaml(body: bytes) -> str | bytes:
    """Text stays text (readable, diffable); anything else becomes ``!!binary``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    return text


def interaction_to_dict(interaction: Interaction) -> dict[str, Any]:
    req, resp = interaction.request, interaction.response
    response: dict[str, Any] = {
        "status": {"code": resp.status, "message": resp.reason},
        "headers": {k: list(v) for k, v in resp.headers.items()},
        "body": {"string": _body_for_yaml(resp.body)},
    }
    if resp.timing is not None:
        response[TIMING_KEY] = resp.timing.to_dict()
    return {
        **interaction.extra,
        "request": {
            "body": _body_for_yaml(req.body) if req.body else None,
            "headers": {k: list(v) for k, v in req.headers.items()},
            "method": req.method,
            "uri": req.uri,
        },
        "response": response,
    }


def dump_cassette(cassette: Cassette) -> str:
    """Serialise in vcrpy's layout (interactions + version; our metadata under ``METADATA_KEY``)."""
    data: dict[str, Any] = {"interactions": [interaction_to_dict(i) for i in cassette.interactions]}
    if cassette.metadata:
        data[METADATA_KEY] = cassette.metadata
    data["version"] = cassette.version
    return yaml.dump(data, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True, width=100)


def save_cassette(cassette: Cassette, path: str | Path | None = None) -> Path:
    """Write the cassette (atomically: a crash never leaves half a file)."""
    target = Path(path) if path is not None else cassette.path
    if target is None:
        raise CassetteError("save_cassette needs a path: the cassette was not loaded from a file")
    text = dump_cassette(cassette)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    forget(target)  # the parsed copy of the old file must not be replayed
    return target
