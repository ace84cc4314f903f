"""Find key-shaped secrets in cassettes (or any text files), including inside encoded bodies.

Reviewers cannot read a gzip ``!!binary`` body and plain grep cannot either, so the scanner
decodes base64 (and gzip inside it) before looking. It reports ``file:line: kind: masked``;
the recorder runs the same check and refuses to write a cassette that fails it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: (kind, pattern): specific key formats first, so a key is reported under its real name.
KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{20,}")),
    ("openai-key", re.compile(r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}")),
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
_BEARER = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=\-]{16,})")
#: header / field names whose values are credentials
AUTH_NAMES = r"authorization|proxy-authorization|x-api-key|api[-_]?key|x-goog-api-key|api[-_]?token|access[-_]?token|secret[-_]?key|client[-_]?secret|password"
_AUTH_INLINE = re.compile(rf"""(?i)["']?\b({AUTH_NAMES})["']?\s*[:=]\s*\[?\s*["']?([^\s"',\]]+)""")
_AUTH_KEY_ONLY = re.compile(rf"""(?i)^\s*["']?({AUTH_NAMES})["']?\s*:\s*$""")
_YAML_LIST_ITEM = re.compile(r"""^\s*-\s+["']?([^\s"']+)""")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{48,}={0,2}")
_PLACEHOLDER = re.compile(r"(?i)redacted|placeholder|dummy|fake|test|example|xxxx|\*\*\*|<[^>]*>|^\$\{?[A-Z_]+\}?$")


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


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_token(value: str) -> bool:
    """A credential-looking value: long, varied, not an obvious placeholder."""
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return (
        len(value) >= 16
        and not _PLACEHOLDER.search(value)
        and entropy(value) >= 3.5
        and sum(map(bool, (re.search(r"[a-z]", value), re.search(r"[A-Z]", value), re.search(r"\d", value)))) >= 2
    )


def find_key_shaped(text: str) -> Iterator[tuple[str, str]]:
    """Every (kind, secret) in ``text`` from the specific key patterns and bearer tokens."""
    seen: set[str] = set()
    for kind, pattern in KEY_PATTERNS:
        for m in pattern.finditer(text):
            if m.group(0) not in seen and not any(m.group(0) in s for s in seen):
                seen.add(m.group(0))
                yield kind, m.group(0)
    for m in _BEARER.finditer(text):
        if looks_like_token(m.group(1)) and not any(m.group(1) in s or s in m.group(1) for s in seen):
            seen.add(m.group(1))
            yield "bearer-token", m.group(1)


REDACTED = "REDACTED"
#: JSON field names whose string values are credentials, whatever they look like
SECRET_FIELD = re.compile(
    r"(?i)^(api[-_]?key|x-api-key|secret|client[-_]?secret|password|passwd|authorization|"
    r"access[-_]?token|refresh[-_]?token|id[-_]?token|session[-_]?token|bearer|private[-_]?key|token)$"
)


def redact(text: str) -> str:
    """Replace every key-shaped string (sk-..., AKIA..., bearer tokens, JWTs...) by REDACTED."""
    for _kind, secret in sorted(find_key_shaped(text), key=lambda ks: -len(ks[1])):
        text = text.replace(secret, REDACTED)
    return text


def redact_data(data: Any, extra_fields: tuple[str, ...] = ()) -> Any:
    """JSON data with credential fields and key-shaped strings replaced by REDACTED.

    Used at record time (scrubbing) and at match time (so a live request carrying a real
    key still matches the scrubbed recording)."""
    if isinstance(data, dict):
        return {
            k: REDACTED if isinstance(v, str) and (SECRET_FIELD.match(k) or k in extra_fields)
            else redact_data(v, extra_fields)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_data(v, extra_fields) for v in data]
    if isinstance(data, str):
        return redact(data)
    return data


def scan_text(text: str, path: str = "<text>", *, line_offset: int = 0, via: str = "") -> list[Finding]:
    """Scan text line by line (plus credential values on the line after a YAML ``key:``)."""
    findings: list[Finding] = []
    lines = text.splitlines()
    suffix = f" (in {via})" if via else ""
    for i, line in enumerate(lines):
        lineno = line_offset + i + 1
        reported: list[str] = []
        for kind, secret in find_key_shaped(line):
            reported.append(secret)
            findings.append(Finding(path, lineno, kind + suffix, mask(secret)))
        values: list[tuple[str, str, int]] = [(m.group(1), m.group(2), lineno) for m in _AUTH_INLINE.finditer(line)]
        key_only = _AUTH_KEY_ONLY.match(line)
        if key_only:
            for j in range(i + 1, min(i + 4, len(lines))):
                item = _YAML_LIST_ITEM.match(lines[j])
                if not item:
                    break
                values.append((key_only.group(1), item.group(1), line_offset + j + 1))
        for name, value, at in values:
            if looks_like_token(value) and not any(value in r or r in value for r in reported):
                findings.append(Finding(path, at, f"credential in {name.lower()}{suffix}", mask(value)))
    return findings


def decode_blob(data: bytes) -> str | None:
    """gzip/zlib-decompress when compressed; the text when it is mostly printable, else None."""
    for wbits in (47, -15):
        try:
            data = zlib.decompress(data, wbits=wbits)
            break
        except zlib.error:
            continue
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return text if text and printable / len(text) > 0.9 else None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _scan_yaml_binaries(text: str, path: str) -> list[Finding] | None:
    """Decode every ``!!binary`` scalar; None when the text is not YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    findings: list[Finding] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:binary":
            raw = _b64(node.value)
            decoded = decode_blob(raw) if raw is not None else None
            if decoded is not None:
                findings += [
                    Finding(path, node.start_mark.line + 1, f.kind, f.excerpt)
                    for f in scan_text(decoded, path, via="!!binary body")
                ]
    return findings


def _scan_base64_runs(text: str, path: str) -> list[Finding]:
    findings: list[Finding] = []
    for i, line in enumerate(text.splitlines()):
        for m in _BASE64_RUN.finditer(line):
            raw = _b64(m.group(0))
            decoded = decode_blob(raw) if raw else None
            if decoded:
                findings += [
                    Finding(path, i + 1, f.kind, f.excerpt) for f in scan_text(decoded, path, via="base64")
                ]
    return findings


def scan_file(path: Path) -> list[Finding]:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        return []  # binary file (image, archive): not ours to judge
    text = data.decode("utf-8", errors="replace")
    findings = scan_text(text, str(path))
    binaries = _scan_yaml_binaries(text, str(path)) if path.suffix in (".yaml", ".yml") else None
    findings += binaries if binaries is not None else []
    findings += _scan_base64_runs(text, str(path))
    unique = {(f.line, f.kind, f.excerpt): f for f in findings}
    return sorted(unique.values(), key=lambda f: (f.line, f.kind))


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
