"""Find key-shaped secrets in cassettes (or any text files), including inside encoded bodies.

What is a secret comes from ``sik_llms.redact`` (the rules the library and the cassette
scrubber redact by), so a file the scrubber wrote is clean here by construction and a value
the scanner flags is one the scrubber would have removed. On top of those rules the scanner
looks where a line-by-line grep cannot:

- YAML files are read as YAML (bounded: ``harness.cassettes.limits``): every scalar is checked
  as the loader sees it, so a key folded over two lines (a YAML line continuation) or written
  with escapes in a double-quoted string is found; ``!!binary`` bodies are base64-decoded and
  gunzipped; JSON bodies are decoded (``\\u0073k-...`` escapes); a credential-named mapping key
  (``authorization``, ``x-api-key``...) flags its values whatever their shape;
- any URL whose query carries a secret-named parameter that is not ``REDACTED``;
- base64 runs, also when wrapped over several lines, are decoded (and gunzipped) and scanned.

Findings read ``file:line: kind: masked``; the recorder runs the same check and refuses to
write a cassette that fails it. A file the scanner cannot read fully (an alias bomb) is a
finding too: a scan fails closed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.cassettes.limits import YamlLimitError, check_yaml
from sik_llms.redact import (
    AUTH_NAMES,
    REDACTED,
    SECRET_FIELD,
    entropy,
    find_key_shaped,
    is_placeholder,
    looks_like_token,
    redact,
    redact_data,
    redact_url,
)

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = [
    "REDACTED",
    "Finding",
    "decode_blob",
    "entropy",
    "find_key_shaped",
    "iter_files",
    "looks_like_token",
    "mask",
    "redact",
    "redact_data",
    "scan_document",
    "scan_file",
    "scan_paths",
    "scan_text",
]

_AUTH_KEY_ONLY = re.compile(rf"""(?i)^\s*["']?({AUTH_NAMES})["']?\s*:\s*$""")
_YAML_LIST_ITEM = re.compile(r"""^\s*-\s+["']?([^"'\n]+?)["']?\s*$""")
_AUTH_NAME = re.compile(rf"(?i)^(?:{AUTH_NAMES})$")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{48,}={0,2}")
_BASE64_LINE = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9+/]{16,}={0,2})\s*$")
_URL = re.compile(r"""https?://[^\s"'<>\\]+""")
_MAX_DECODE_DEPTH = 3  # base64 inside gzip inside base64...: enough for any real body


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    excerpt: str  # masked: enough to find it, not enough to use it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.excerpt}"


def mask(secret: str) -> str:
    return f"{secret[:8]}...({len(secret)} chars)"


def _credential_value(value: str) -> str | None:
    """The credential in a value under a credential name (a header, a field), else None."""
    value = value.strip()
    parts = value.split(None, 1)
    if len(parts) == 2 and parts[0].lower() in ("bearer", "basic", "token", "digest", "apikey"):
        value = parts[1].strip()
    classes = sum(
        map(bool, (re.search(r"[a-z]", value), re.search(r"[A-Z]", value), re.search(r"\d", value)))
    )
    ok = (
        bool(value)
        and not is_placeholder(value)
        and (
            looks_like_token(value) or (len(value) >= 8 and entropy(value) >= 2.5 and classes >= 2)
        )
    )
    return value if ok else None


def _url_findings(line: str) -> Iterator[tuple[str, str]]:
    for m in _URL.finditer(line):
        url = m.group(0)
        clean = redact_url(url, keep_userinfo=False, drop_fragment=False)
        if clean != url:
            yield "secret in URL", url


def scan_text(
    text: str, path: str = "<text>", *, line_offset: int = 0, via: str = ""
) -> list[Finding]:
    """Scan text line by line, plus credential values on the lines after a YAML ``key:`` and
    base64 wrapped over several lines."""
    findings: list[Finding] = []
    lines = text.splitlines()
    suffix = f" (in {via})" if via else ""
    for i, line in enumerate(lines):
        lineno = line_offset + i + 1
        found = list(find_key_shaped(line))
        reported = [secret for _kind, secret in found]
        findings += [Finding(path, lineno, kind + suffix, mask(secret)) for kind, secret in found]
        for kind, url in _url_findings(line):
            if not any(r in url for r in reported):
                findings.append(Finding(path, lineno, kind + suffix, mask(url)))
        key_only = _AUTH_KEY_ONLY.match(line)
        if key_only:
            for j in range(i + 1, min(i + 4, len(lines))):
                item = _YAML_LIST_ITEM.match(lines[j])
                if not item:
                    break
                value = _credential_value(item.group(1))
                if value and not any(value in r or r in value for r in reported):
                    findings.append(
                        Finding(
                            path,
                            line_offset + j + 1,
                            f"credential in {key_only.group(1).lower()}{suffix}",
                            mask(value),
                        )
                    )
    # one report per secret and line, under its most specific name (a key shape over a field name)
    unique: dict[tuple[int, str], Finding] = {}
    for f in sorted(findings, key=lambda f: f.kind.startswith("credential in")):
        unique.setdefault((f.line, f.excerpt), f)
    return sorted(unique.values(), key=lambda f: (f.line, f.kind))


def decode_blob(data: bytes) -> str | None:
    """gzip/zlib-decompress when compressed; the text when it is mostly printable, else None."""
    for wbits in (47, -15):
        try:
            inflater = zlib.decompressobj(wbits=wbits)
            out = inflater.decompress(data, 64 * 1024 * 1024)  # bounded: no decompression bomb
        except zlib.error:
            continue
        if inflater.eof:  # a truncated stream (part of a wrapped blob) is not a body
            data = out
            break
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return text if text and printable / len(text) > 0.9 else None


def _b64(text: str) -> bytes | None:
    compact = "".join(text.split())
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return None


def _decoded_findings(
    text: str, path: str, line: int | None = None, depth: int = 0
) -> list[Finding]:
    """Findings in base64 runs of ``text``, single-line or wrapped over lines. Each is reported
    at its own line, or at ``line`` when the text is itself a decoded value."""
    if depth >= _MAX_DECODE_DEPTH:
        return []
    runs: list[tuple[int, str]] = []
    block: list[str] = []
    start = 0
    for i, raw_line in enumerate([*text.splitlines(), ""]):
        runs += [(i, m.group(0)) for m in _BASE64_RUN.finditer(raw_line)]
        m = _BASE64_LINE.match(raw_line)
        if m:
            start = i if not block else start
            block.append(m.group(1))
            continue
        if len(block) > 1:
            runs.append((start, "".join(block)))
        block = []
    findings: list[Finding] = []
    for i, run in runs:
        raw = _b64(run)
        decoded = decode_blob(raw) if raw else None
        if decoded:
            at = line if line is not None else i + 1
            inner = [*scan_text(decoded, path), *_decoded_findings(decoded, path, at, depth + 1)]
            findings += [
                Finding(
                    path, at, f.kind if "(in " in f.kind else f"{f.kind} (in base64)", f.excerpt
                )
                for f in inner
            ]
    return findings


def _json_strings(text: str) -> Iterator[tuple[str | None, str]]:
    """(field name, string) for every string in a JSON document; nothing when not JSON."""
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "[{":
        return
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    stack: list[tuple[str | None, Any]] = [(None, data)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((str(k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((name, v) for v in value)
        elif isinstance(value, str):
            yield name, value


def _scalar_findings(value: str, path: str, line: int, name: str | None) -> list[Finding]:
    found = list(find_key_shaped(value))
    out = [Finding(path, line, kind, mask(secret)) for kind, secret in found]
    out += [Finding(path, line, kind, mask(url)) for kind, url in _url_findings(value)]
    cred = (
        _credential_value(value)
        if name is not None and (_AUTH_NAME.match(name) or SECRET_FIELD.match(name))
        else None
    )
    if cred and not any(cred in s or s in cred for _, s in found):
        out.append(Finding(path, line, f"credential in {name.lower()}", mask(cred)))
    for field_name, text in _json_strings(value):
        out += _scalar_findings(text, path, line, field_name)
    return out


def _scan_yaml(text: str, path: str) -> list[Finding]:
    """Every scalar as YAML reads it (folded lines, escapes, ``!!binary``); node graph walked
    once per node, so aliases cost nothing; an unreadable file is one finding."""
    try:
        check_yaml(text)
    except YamlLimitError as exc:
        return [Finding(path, 1, "unscannable YAML", str(exc).split(";")[0])]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return []
    findings: list[Finding] = []
    seen: set[int] = set()
    stack: list[tuple[Any, str | None]] = [(root, None)] if root is not None else []
    while stack:
        node, name = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, val in node.value:
                key_name = key.value if isinstance(key, yaml.ScalarNode) else None
                stack += [(key, None), (val, key_name)]
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, name) for child in node.value)
        elif isinstance(node, yaml.ScalarNode):
            line = node.start_mark.line + 1
            if node.tag == "tag:yaml.org,2002:binary":
                raw = _b64(node.value)
                decoded = decode_blob(raw) if raw is not None else None
                if decoded is not None:
                    findings += [
                        Finding(
                            path,
                            line,
                            f.kind if "(in " in f.kind else f"{f.kind} (in !!binary body)",
                            f.excerpt,
                        )
                        for f in [
                            *scan_text(decoded, path),
                            *_decoded_findings(decoded, path, line, 1),
                        ]
                    ]
                    findings += [
                        Finding(path, line, f"{f.kind} (in !!binary body)", f.excerpt)
                        for f in _scalar_findings(decoded, path, line, name)
                    ]
            elif isinstance(node.value, str):
                findings += _scalar_findings(node.value, path, line, name)
                findings += _decoded_findings(node.value, path, line, 1)
    return findings


def _continued_findings(text: str, path: str) -> list[Finding]:
    """Secrets split by a backslash line continuation (shell, Python, ``.env``, YAML double
    quotes read as plain text): the continued lines are joined and scanned again."""
    findings: list[Finding] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].rstrip().endswith("\\"):
            i += 1
            continue
        start, joined = i, lines[i].rstrip()[:-1]
        while i + 1 < len(lines) and lines[i].rstrip().endswith("\\"):
            i += 1
            joined += lines[i].strip().removesuffix("\\")
        findings += [
            Finding(path, start + 1, f"{f.kind} (line-continued)", f.excerpt)
            for f in scan_text(joined, path)
        ]
        i += 1
    return findings


def scan_file(path: Path) -> list[Finding]:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return []  # binary file (image, archive): not ours to judge
    text = data.decode("utf-8", errors="replace")
    return scan_document(text, str(path), as_yaml=path.suffix in (".yaml", ".yml"))


def scan_document(text: str, path: str = "<text>", *, as_yaml: bool = True) -> list[Finding]:
    """Every finding in a whole document: the line scan, base64 runs, and (``as_yaml``) every
    YAML scalar as the loader reads it. The recorder checks a cassette with this before writing."""
    primary = {(f.line, f.kind, f.excerpt): f for f in scan_text(text, path)}
    deeper = _scan_yaml(text, path) if as_yaml else []
    deeper += _decoded_findings(text, path)
    deeper += _continued_findings(text, path)
    if not as_yaml:  # a JSON file: its strings unescaped (``\u0073k-...``)
        deeper += [
            f for name, value in _json_strings(text) for f in _scalar_findings(value, path, 1, name)
        ]
    # what the line scan found keeps its exact line; deeper passes add only new secrets
    known = {f.excerpt for f in primary.values()}
    for f in deeper:
        if f.excerpt not in known:
            known.add(f.excerpt)
            primary[(f.line, f.kind, f.excerpt)] = f
    return sorted(primary.values(), key=lambda f: (f.line, f.kind))


_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
        if path.is_file():
            yield path
            continue
        for sub in sorted(path.rglob("*")):
            if sub.is_file() and not (_SKIP_DIRS & set(sub.relative_to(path).parts)):
                yield sub


def scan_paths(paths: Iterable[str | Path]) -> tuple[list[Finding], int]:
    """Scan files and directories (recursively); returns (findings, number of files scanned)."""
    findings: list[Finding] = []
    count = 0
    for file in iter_files(paths):
        count += 1
        findings += scan_file(file)
    return findings, count
