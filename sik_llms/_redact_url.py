"""URL scrubbing for ``sik_llms.redact.redact_url``: secret-named parameters, userinfo, key shapes.

Which query parameters carry secrets (``SECRET_PARAM_NAMES``, ``is_secret_param``) and the
cached scrubber that rewrites a URL with them redacted. ``sik_llms.redact`` is the public face;
import from there.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from sik_llms._redact_patterns import REDACTED, find_key_shaped, looks_like_token, redact_keys

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
    return redact_url_cached(
        str(url), keep_userinfo, drop_fragment, frozenset(n.lower() for n in extra_names)
    )


@lru_cache(maxsize=512)  # a client calls the same few URLs over and over
def redact_url_cached(
    url: str, keep_userinfo: bool, drop_fragment: bool, extra: frozenset[str]
) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_keys(url)
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
    return redact_keys(urlunsplit((parts.scheme, netloc, parts.path, query, fragment)))


def _redact_pair(piece: str, extra: frozenset[str]) -> str:
    name, eq, value = piece.partition("=")
    secret_name = is_secret_param(name) or unquote_plus(name).lower() in extra
    if eq and value and value != REDACTED and (secret_name or _looks_secret_value(value)):
        return f"{name}={REDACTED}"
    return piece
