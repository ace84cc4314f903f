"""Field checks for raw cassette data: each YAML value a cassette holds, checked and normalised.

``harness.cassettes.format`` builds its records from these: header maps become lists of
strings, bodies become bytes (``!!binary`` or text, gzip/deflate/brotli undone with a size cap),
pydantic-ai's ``parsed_body`` becomes JSON bytes, required text fields are present. Every
refusal is a ``CassetteError`` whose message names the place and says what to do.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any


class CassetteError(ValueError):
    """A cassette file that cannot be used; the message says what is wrong and what to do."""


Headers = dict[str, list[str]]


def first_header(headers: Headers, name: str) -> str | None:
    lname = name.lower()
    for key, values in headers.items():
        if key.lower() == lname and values:
            return values[0]
    return None


def without_headers(headers: Headers, *names: str) -> Headers:
    drop = {n.lower() for n in names}
    return {k: v for k, v in headers.items() if k.lower() not in drop}


def as_bytes(value: Any, where: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise CassetteError(f"{where}: body must be a string or !!binary, got {type(value).__name__}")


def check_headers(raw: Any, where: str) -> Headers:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CassetteError(
            f"{where}: 'headers' must be a mapping of name to values, got {type(raw).__name__}"
        )
    out: Headers = {}
    for name, value in raw.items():
        if not isinstance(name, str | int | float) or isinstance(name, bool):
            raise CassetteError(f"{where}: header names must be strings, got {type(name).__name__}")
        values: Iterable[Any] = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if v is not None and not isinstance(v, _SCALARS):
                raise CassetteError(
                    f"{where}: header {str(name)[:60]!r} must be a string or a list of strings, "
                    f"got {type(v).__name__}"
                )
        out[str(name)] = [str(v) for v in values if v is not None]
    return out


_SCALARS = (str, int, float, bool)


#: A decoded body larger than this is refused (a decompression bomb, not a recording).
MAX_DECODED_BODY = 64 * 1024 * 1024


def _inflate(body: bytes, wbits: int, where: str) -> bytes:
    inflater = zlib.decompressobj(wbits=wbits)
    out = inflater.decompress(body, MAX_DECODED_BODY)
    if inflater.unconsumed_tail:
        raise CassetteError(
            f"{where}: compressed body expands past {MAX_DECODED_BODY // 2**20} MiB (a decompression bomb); "
            "re-record the cassette"
        )
    return out + inflater.flush()


def decode_body(body: bytes, encoding: str | None, where: str) -> bytes:
    """Undo a Content-Encoding; bodies already decoded (no magic bytes) are returned as is."""
    enc = (encoding or "").strip().lower()
    if not enc or enc == "identity" or not body:
        return body
    try:
        if enc in ("gzip", "x-gzip"):
            if body[:2] != b"\x1f\x8b":
                return body  # recorder already decoded it but kept the header
            return _inflate(body, 47, where)
        if enc == "deflate":
            try:
                return _inflate(body, 15, where)
            except zlib.error:
                return _inflate(body, -15, where)
        if enc == "br":
            try:
                import brotli  # type: ignore[import-not-found]
            except ImportError:
                raise CassetteError(
                    f"{where}: body is brotli-encoded; install 'brotli' to replay it"
                ) from None
            return brotli.decompress(body)
    except zlib.error as exc:
        raise CassetteError(
            f"{where}: body says Content-Encoding {enc} but does not decode ({exc}); re-record the cassette"
        ) from None
    raise CassetteError(
        f"{where}: unsupported Content-Encoding {enc!r}; re-record with gzip or identity"
    )


def parsed_body_bytes(value: Any, where: str) -> bytes:
    """pydantic-ai's serializer stores JSON bodies parsed (``parsed_body``): turn them back."""
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise CassetteError(
            f"{where}: 'parsed_body' is not JSON data ({type(exc).__name__}); re-record"
        ) from None


def text_field(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value in (None, ""):
        raise CassetteError(f"{where}: request is missing '{key}'; is this a vcrpy cassette?")
    if not isinstance(value, str):
        raise CassetteError(
            f"{where}: request '{key}' must be a string, got {type(value).__name__}"
        )
    return value
