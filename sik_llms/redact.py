"""Secrets out of everything sik_llms writes: key shapes, credential names, URL scrubbing.

One home for the rules, shared by the library (exception texts, span attributes and events,
log lines, ``url.full``) and the harness (cassette scrubbing, request matching, the ``scan``
command), so what is redacted on the way out and what the scanner calls a secret never drift.

What counts as a secret:

- **key shapes** (``KEY_PATTERNS``): OpenAI ``sk-``/``sk-proj-``/``sk-svcacct-``/``sk-admin-``,
  Anthropic ``sk-ant-``, AWS ``AKIA``/``ASIA`` access key ids, Google ``AIza`` API keys and
  ``ya29.`` OAuth tokens, GitHub, Slack, Stripe, Hugging Face, Groq and xAI tokens, JWTs, PEM
  private keys. A shape is recognised right after a JSON/C escape (``\\nsk-...``), a ``\\u``
  escape or a percent-escape (``%0Ask-...``), not only after a word boundary;
- **auth-scheme credentials**: whatever follows ``Bearer``/``Basic``/``Digest``/``Token``/
  ``ApiKey``/``AWS4-HMAC-SHA256``/``OAuth``/``Negotiate``/``NTLM`` when it looks like a
  credential (``looks_like_token``; ``Basic`` when it decodes to ``user:password``);
- **registered values**: the API keys the clients were given (``register_secret``), whatever
  they look like, so a local server's ``"my-key"``-style key is redacted too;
- in URLs, the value of every **secret-named query parameter** (``is_secret_param``: keys,
  tokens, passwords, signatures, credentials, and cloud-signed URL parameters such as AWS
  ``X-Amz-Signature``/``X-Amz-Credential``/``X-Amz-Security-Token``, Google ``GoogleAccessId``/
  ``X-Goog-Signature``, Azure SAS ``sig``/``se``/``sp``/``skoid``..., CloudFront ``Signature``/
  ``Policy``/``Key-Pair-Id``), userinfo (``user:pass@`` -> ``REDACTED:REDACTED@``, as the OTel
  ``url.full`` convention says) and any key-shaped value anywhere in the URL.

Every replacement is the literal ``REDACTED``. Placeholders stay narrow: a value is a
placeholder only when it *is* one (``REDACTED``, ``<your-key>``, ``${OPENAI_API_KEY}``,
``xxxx``, ``***``), never merely because it contains a word such as "test".
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

__all__ = [
    "AUTH_NAMES",
    "AUTH_SCHEMES",
    "KEY_PATTERNS",
    "REDACTED",
    "SECRET_FIELD",
    "SECRET_PARAM_NAMES",
    "RedactingFilter",
    "entropy",
    "exception_stacktrace",
    "exception_text",
    "find_key_shaped",
    "invalid_header_value_reason",
    "is_placeholder",
    "is_secret_param",
    "looks_like_token",
    "redact",
    "redact_data",
    "redact_url",
    "redact_value",
    "register_secret",
    "scrub_chain",
]

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


def register_secret(value: str | None) -> None:
    """Redact this exact value (an API key a client was given) wherever sik_llms writes text.

    Values shorter than 8 characters or that are placeholders are ignored (redacting ``"x"``
    everywhere would destroy messages); the registry keeps the 64 most recent values."""
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
        _redact_cached.cache_clear()


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


def redact_value(value: Any) -> Any:
    """An attribute value with secrets redacted: strings and sequences of strings; other
    values (numbers, booleans, None) unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple) and any(isinstance(v, str) for v in value):
        return type(value)(redact(v) if isinstance(v, str) else v for v in value)
    return value


def redact(text: str) -> str:
    """``text`` with every secret ``find_key_shaped`` finds replaced by ``REDACTED``."""
    if len(text) <= 4096:
        return _redact_cached(text)
    return _redact(text)


_URL_IN_TEXT = re.compile(r"""(?i)\bhttps?://[^\s"'<>`\\]+""")


def _redact(text: str) -> str:
    if "://" in text:  # URLs in any text (an error quoting a request URL): by name and shape
        text = _URL_IN_TEXT.sub(lambda m: _redact_url(m.group(0), False, False, frozenset()), text)
    return _redact_keys(text)


def _redact_keys(text: str) -> str:
    for _kind, secret in sorted(find_key_shaped(text), key=lambda ks: -len(ks[1])):
        text = text.replace(secret, REDACTED)
    return text


@lru_cache(maxsize=512)
def _redact_cached(text: str) -> str:
    return _redact(text)


#: JSON field / header names whose string values are credentials, whatever they look like.
SECRET_FIELD = re.compile(
    r"(?i)^(?:x-)?(?:api[-_]?key|secret|client[-_]?secret|password|passwd|authorization|proxy-authorization|"
    r"access[-_]?token|refresh[-_]?token|id[-_]?token|session[-_]?token|bearer|private[-_]?key|token|"
    r"aws[-_]?secret[-_]?access[-_]?key|secret[-_]?access[-_]?key|x-goog-api-key|auth[-_]?token|"
    r"security[-_]?token|credentials?)$"
)


def redact_data(data: Any, extra_fields: tuple[str, ...] = ()) -> Any:
    """JSON-like data with credential fields and key-shaped strings replaced by ``REDACTED``.

    Iterative (no recursion limit on deep documents)."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(data, root, 0)]
    while stack:
        value, parent, slot = stack.pop()
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            parent[slot] = out
            for k, v in value.items():
                if (
                    isinstance(v, str)
                    and isinstance(k, str)
                    and (SECRET_FIELD.match(k) or k in extra_fields)
                ):
                    out[k] = REDACTED
                else:
                    out[k] = None
                    stack.append((v, out, k))
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            parent[slot] = items
            stack.extend((v, items, i) for i, v in enumerate(value))
        elif isinstance(value, str):
            parent[slot] = redact(value)
        else:
            parent[slot] = value
    return root[0]


# --- URLs -----------------------------------------------------------------------------------

#: Query parameter names whose values are secrets (compared case-insensitively, ``-``/``_``
#: folded). Sources: OTel semconv ``url.query`` guidance, AWS SigV4 presigned URLs, Google
#: signed URLs (V2 and V4), Azure SAS tokens, CloudFront signed URLs, OAuth 2.0 (RFC 6749).
SECRET_PARAM_NAMES = frozenset(
    {
        "key",
        "apikey",
        "api_key",
        "x_api_key",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "auth",
        "auth_token",
        "authorization",
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "client_secret",
        "sig",
        "signature",
        "credential",
        "credentials",
        "session_token",
        "security_token",
        "code",
        "assertion",
        "client_assertion",
        "jwt",
        "private_key",
        "otp",
        "subscription_key",
        "session",
        "sessionid",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
        "awsaccesskeyid",
        "x_goog_signature",
        "x_goog_credential",
        "googleaccessid",
        "se",
        "sp",
        "sv",
        "sr",
        "st",
        "spr",
        "skoid",
        "sktid",
        "skt",
        "ske",
        "sks",
        "skv",
        "sdd",
        "policy",
        "key_pair_id",
    }
)
_SECRET_NAME_PARTS = re.compile(
    r"(?i)secret|passw|passphrase|passcode|signature|credential|api_?key|token|private_?key|(?:^|_)key$|"
    r"^session(?:_?id)?$|^sid$|hmac|cookie"
)
_NOT_SECRET_NAMES = re.compile(
    r"(?i)^(?:max|min)_?(?:completion_|output_|input_)?tokens?$|_tokens$|^tokens?_(?:count|limit)$"
)


def is_secret_param(name: str) -> bool:
    """True when a query parameter (or form field) of this name carries a secret."""
    folded = unquote_plus(name).strip().lower().replace("-", "_")
    if folded in SECRET_PARAM_NAMES:
        return True
    return bool(_SECRET_NAME_PARTS.search(folded)) and not _NOT_SECRET_NAMES.search(folded)


def _looks_secret_value(raw: str) -> bool:
    value = unquote_plus(raw)
    return any(True for _ in find_key_shaped(value)) or (
        len(value) >= 32 and looks_like_token(value)
    )


def redact_url(
    url: Any,
    *,
    keep_userinfo: bool = False,
    drop_fragment: bool = True,
    extra_names: frozenset[str] = frozenset(),
) -> str:
    """``url`` with secrets replaced by ``REDACTED``; everything else kept byte for byte.

    Secret-named query parameters and key-shaped values (anywhere: query, path, fragment)
    are redacted; ``user:password@`` becomes ``REDACTED:REDACTED@`` (the OTel ``url.full``
    rule) unless ``keep_userinfo``; the fragment is dropped unless ``drop_fragment`` is false.
    ``extra_names`` adds parameter names to redact. The same input always gives the same
    output, so a scrubbed recording and a scrubbed live request compare equal."""
    return _redact_url(
        str(url), keep_userinfo, drop_fragment, frozenset(n.lower() for n in extra_names)
    )


@lru_cache(maxsize=512)  # a client calls the same few URLs over and over
def _redact_url(url: str, keep_userinfo: bool, drop_fragment: bool, extra: frozenset[str]) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return _redact_keys(url)
    netloc = parts.netloc
    if "@" in netloc and not keep_userinfo:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = ("REDACTED:REDACTED@" if ":" in userinfo else "REDACTED@") + host
    query = (
        "&".join(_redact_pair(piece, extra) for piece in parts.query.split("&"))
        if parts.query
        else ""
    )
    fragment = "" if drop_fragment else parts.fragment
    if fragment and "=" in fragment:
        fragment = "&".join(_redact_pair(piece, extra) for piece in fragment.split("&"))
    return _redact_keys(urlunsplit((parts.scheme, netloc, parts.path, query, fragment)))


def _redact_pair(piece: str, extra: frozenset[str]) -> str:
    name, eq, value = piece.partition("=")
    secret_name = is_secret_param(name) or unquote_plus(name).lower() in extra
    if eq and value and value != REDACTED and (secret_name or _looks_secret_value(value)):
        return f"{name}={REDACTED}"
    return piece


# --- header values --------------------------------------------------------------------------


def invalid_header_value_reason(value: Any) -> str | None:
    """Why ``value`` cannot be sent as an HTTP header value (RFC 9110 field-value), without
    quoting it; ``None`` when it can."""
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not a string"
    if not value:
        return "it is empty"
    for i, ch in enumerate(value):
        if ch in "\r\n":
            return f"it contains a line break at character {i + 1}"
        if ord(ch) > 126:
            return f"it contains a non-ASCII character at character {i + 1}"
        if (ord(ch) < 32 and ch != "\t") or ord(ch) == 127:
            return f"it contains a control character at character {i + 1}"
    if value != value.strip():
        return "it starts or ends with whitespace"
    return None


# --- exceptions -----------------------------------------------------------------------------


def scrub_chain(exc: BaseException) -> None:
    """Redact, in place, the string arguments of ``exc`` and of every exception chained to it
    (``__cause__`` / ``__context__``), so a traceback printed later shows no secret."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        try:
            args = current.args
            clean = tuple(redact(a) if isinstance(a, str) else a for a in args)
            if clean != args:
                current.args = clean
            message = getattr(current, "message", None)  # the SDKs keep the text here too
            if isinstance(message, str) and redact(message) != message:
                current.message = redact(message)  # type: ignore[attr-defined]
        except Exception:  # an exception type that refuses new args keeps them
            pass
        stack += [current.__cause__, current.__context__]  # type: ignore[list-item]


def exception_text(exc: BaseException) -> str:
    """``str(exc)`` with secrets redacted."""
    try:
        return redact(str(exc))
    except Exception:
        return f"<{type(exc).__name__}: unprintable>"


def exception_stacktrace(exc: BaseException) -> str:
    """The formatted traceback of ``exc`` (with its chain) with secrets redacted."""
    import traceback

    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


# --- logs -----------------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from a record's message and traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error path
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def _install_log_filter() -> None:
    """Every record the ``sik_llms`` logger emits passes through a ``RedactingFilter``."""
    logger = logging.getLogger("sik_llms")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


_install_log_filter()
