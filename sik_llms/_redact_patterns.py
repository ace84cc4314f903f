"""Key shapes, placeholders and the registry of given keys: what ``sik_llms.redact`` calls a secret.

The rules only, no replacing text beyond ``redact_keys``: the patterns of key formats and auth
schemes (``KEY_PATTERNS``, ``AUTH_SCHEMES``, ``AUTH_NAMES``), the placeholder test, the token
heuristics, the bounded registry of API keys the clients were given, and ``find_key_shaped``,
which reports every secret in a text. ``sik_llms.redact`` is the public face; import from there.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import threading
from collections.abc import Callable, Iterator

REDACTED = "REDACTED"

# A key starts at a boundary: not after a letter/digit, unless that letter ends an escape
# (``\n``, ``\t``, ``\u0022``, ``%0A``) -- the JSON-escape blind spot of a plain ``\b``.
_START = r"(?:(?<![A-Za-z0-9_])|(?<=\\[nrtbf])|(?<=\\u[0-9A-Fa-f]{4})|(?<=%[0-9A-Fa-f]{2}))"

#: (kind, pattern): specific formats first, so a key is reported under its real name.
KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{20,}")),
    (
        "openai-key",
        re.compile(_START + r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ),
    (
        "aws-access-key",
        re.compile(_START + r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}(?![0-9A-Z])"),
    ),
    ("google-api-key", re.compile(_START + r"AIza[0-9A-Za-z_\-]{35}")),
    ("google-oauth-token", re.compile(_START + r"ya29\.[0-9A-Za-z_\-]{20,}")),
    ("google-client-secret", re.compile(_START + r"GOCSPX-[0-9A-Za-z_\-]{20,}")),
    (
        "github-token",
        re.compile(_START + r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    ),
    ("slack-token", re.compile(_START + r"xox[abposr]-[A-Za-z0-9\-]{20,}")),
    ("stripe-key", re.compile(_START + r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}")),
    ("huggingface-token", re.compile(_START + r"hf_[A-Za-z0-9]{30,}")),
    ("groq-key", re.compile(_START + r"gsk_[A-Za-z0-9]{40,}")),
    ("xai-key", re.compile(_START + r"xai-[A-Za-z0-9]{40,}")),
    (
        "jwt",
        re.compile(_START + r"eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
    ),
    (
        "private-key",
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:(?!-----END).){0,8000}?(?:-----END [A-Z ]*PRIVATE KEY-----)?",
            re.S,
        ),
    ),
)

#: HTTP auth schemes whose parameter is a credential (RFC 9110 / IANA registry, plus AWS SigV4).
AUTH_SCHEMES = (
    "bearer",
    "basic",
    "digest",
    "token",
    "apikey",
    "api-key",
    "aws4-hmac-sha256",
    "oauth",
    "negotiate",
    "ntlm",
    "hoba",
    "mutual",
    "scram-sha-256",
    "dpop",
    "gnap",
)
_SCHEME_CRED = re.compile(
    r"(?i)"
    + _START
    + r"("
    + "|".join(re.escape(s) for s in AUTH_SCHEMES)
    + r")[ \t]+([A-Za-z0-9._~+/=\-]+)"
)
#: ``name=value`` parameters of signed requests and Digest auth (``Signature=``, ``sig=``,
#: ``response="..."``); ``=`` only, so JSON fields such as a thinking block's "signature" are not.
_SIGNED_PARAM = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(?:signature|sig|response|x-amz-signature|x-goog-signature)=\"?"
    r"([0-9a-f]{32,}|[A-Za-z0-9+/_%\-]{24,}={0,2})"
)
#: header / field names whose values are credentials (``name: value``, ``name=value``, JSON).
AUTH_NAMES = (
    r"(?:proxy-)?authorization|x-api-key|api[-_]?key|x-goog-api-key|api[-_]?token|access[-_]?token|"
    r"refresh[-_]?token|id[-_]?token|auth[-_]?token|session[-_]?token|secret[-_]?key|client[-_]?secret|"
    r"password|passwd|aws[-_]?secret[-_]?access[-_]?key|x-amz-security-token|private[-_]?key"
)
_NAMED_VALUE = re.compile(
    rf"""(?i)(?<![A-Za-z0-9_])["']?({AUTH_NAMES})["']?\s*[:=]\s*\[?\s*["']?([^\s"',\]\\&;]+)"""
)
_PLACEHOLDER_WORDS = (
    "redacted|placeholder|dummy|fake|test|example|changeme|secret|password|none|null|xxx+|\\*+|"
    "\\.\\.\\.|your[-_ ]?\\w*|my[-_ ]?\\w*key|sk-no-key-required|no-key-required|api[-_ ]?key|token"
)
_PLACEHOLDER = re.compile(
    rf"(?i)^(?:sk-|bearer\s+|basic\s+)?(?:{_PLACEHOLDER_WORDS})$"
    r"|^<[^>]*>$|^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|^\{\{[^}]*\}\}$|REDACTED|^(.)\1{5,}$"
)


def is_placeholder(value: str) -> bool:
    """True when ``value`` *is* a placeholder (``REDACTED``, ``<key>``, ``${VAR}``, ``xxxx``)."""
    return bool(_PLACEHOLDER.search(value.strip()))


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    if not text:
        return 0.0
    counts = {c: text.count(c) for c in set(text)}
    return -sum(k / len(text) * math.log2(k / len(text)) for k in counts.values())


def looks_like_token(value: str) -> bool:
    """A credential-looking value: long (>= 16), varied (entropy >= 3.5 bits/char, two of
    lower/upper/digit), not a placeholder."""
    value = value.strip()
    if value.lower().startswith("bearer "):
        value = value[7:].strip()
    return (
        len(value) >= 16
        and not is_placeholder(value)
        and entropy(value) >= 3.5
        and sum(
            map(
                bool,
                (re.search(r"[a-z]", value), re.search(r"[A-Z]", value), re.search(r"\d", value)),
            )
        )
        >= 2
    )


def _basic_credential(value: str) -> bool:
    """``Basic`` credentials: base64 of ``user:password`` (any length), not a placeholder."""
    token = value.strip().split()[0] if value.strip() else ""
    if is_placeholder(token) or len(token) < 4:
        return False
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return looks_like_token(token)
    return (
        ":" in decoded
        and decoded.isprintable()
        and not is_placeholder(decoded.split(":", 1)[1] or "x" * 6)
    )


# --- registered secrets -------------------------------------------------------------------

_REGISTERED: dict[str, None] = {}  # insertion-ordered set, bounded
_REGISTERED_MAX = 64
_REGISTERED_LOCK = threading.Lock()


def remember_secret(value: str | None, on_change: Callable[[], None]) -> None:
    """Add ``value`` to the registry (``sik_llms.redact.register_secret`` says which values
    count); ``on_change`` runs, under the registry lock, when the registry changed."""
    if not value or len(value.strip()) < 8 or is_placeholder(value.strip()):
        return
    with _REGISTERED_LOCK:
        if value in _REGISTERED and value.strip() in _REGISTERED:
            return  # already known: keep the redaction cache warm (clients are made often)
        for v in {value, value.strip()}:
            _REGISTERED.pop(v, None)
            _REGISTERED[v] = None
        while len(_REGISTERED) > _REGISTERED_MAX:
            _REGISTERED.pop(next(iter(_REGISTERED)))
        on_change()


#: One cheap pass first: text without any of these cannot hold a secret the rules below find.
_TRIGGER = re.compile(
    r"(?i)sk-|[sr]k_|A[KS]IA|AGPA|AIDA|AROA|ANPA|AIza|ya29\.|GOCSPX|gh[pousr]_|github_pat|xox|hf_|gsk_|xai-|eyJ|"
    r"PRIVATE KEY|"
    + "|".join(re.escape(s) for s in AUTH_SCHEMES)
    + r"|sig|response=|auth|api[-_]?key|secret|"
    r"passw|token|credential|private"
)


def find_key_shaped(text: str) -> Iterator[tuple[str, str]]:
    """Every ``(kind, secret)`` in ``text``: key shapes, auth-scheme credentials, registered keys."""
    seen: list[str] = []
    for value in list(_REGISTERED):
        if value in text:
            seen.append(value)
            yield "api-key", value
    if not _TRIGGER.search(text):
        return
    for kind, pattern in KEY_PATTERNS:
        for m in pattern.finditer(text):
            secret = m.group(0)
            if not any(secret in s for s in seen):
                seen.append(secret)
                yield kind, secret
    for m in _SCHEME_CRED.finditer(text):
        scheme, cred = m.group(1).lower(), m.group(2)
        if scheme == "basic":
            ok = _basic_credential(cred)
        elif scheme == "bearer":
            ok = looks_like_token(cred)
        else:  # rarer schemes: any long, varied value
            ok = len(cred) >= 16 and not is_placeholder(cred) and entropy(cred) >= 3.5
        if ok and not any(cred in s or s in cred for s in seen):
            seen.append(cred)
            yield ("bearer-token" if scheme == "bearer" else f"{scheme}-credential"), cred
    for m in _SIGNED_PARAM.finditer(text):
        cred = m.group(1)
        if (
            not is_placeholder(cred)
            and entropy(cred) >= 3.0
            and not any(cred in s or s in cred for s in seen)
        ):
            seen.append(cred)
            yield "signature", cred
    for m in _NAMED_VALUE.finditer(text):
        name, cred = m.group(1).lower(), m.group(2)
        if cred.lower() in AUTH_SCHEMES:
            continue  # "authorization: Bearer ..." is the scheme rule's
        if looks_like_token(cred) and not any(cred in s or s in cred for s in seen):
            seen.append(cred)
            yield f"credential in {name}", cred


def redact_keys(text: str) -> str:
    """``text`` with every secret ``find_key_shaped`` finds replaced by ``REDACTED`` (no URL rules)."""
    for _kind, secret in sorted(find_key_shaped(text), key=lambda ks: -len(ks[1])):
        text = text.replace(secret, REDACTED)
    return text
