"""Realistic, reproducible identifiers (chatcmpl-..., msg_01..., toolu_01..., call_..., req_...).

SDKs and our client only care about the shapes, but tests and cassettes recorded against the
simulator are easier to diff when ids depend only on the seed and the request's ordinal.
"""

from __future__ import annotations

import hashlib
import string

_B62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"
_TABLES: dict[str, bytes] = {}


def _table(alphabet: str) -> bytes:
    """A bytes.translate table mapping each byte value onto the alphabet."""
    table = _TABLES.get(alphabet)
    if table is None:
        table = _TABLES[alphabet] = bytes(ord(alphabet[b % len(alphabet)]) for b in range(256))
    return table


class IdMaker:
    """Id factory for one request, seeded by (seed, ordinal)."""

    def __init__(self, seed: int, ordinal: int) -> None:
        self._key = f"ids:{seed}:{ordinal}".encode()
        self._count = 0
        self._pad = ""
        self._pad_at = 0

    def _pick(self, alphabet: str, n: int) -> str:
        """``n`` characters of ``alphabet`` from a keyed hash (fast, and stable per seed/ordinal)."""
        self._count += 1
        raw = b""
        block = 0
        while len(raw) < n:
            raw += hashlib.blake2b(b"%s:%d:%d" % (self._key, self._count, block)).digest()
            block += 1
        return raw[:n].translate(_table(alphabet)).decode("ascii")

    def chatcmpl(self) -> str:
        return "chatcmpl-" + self._pick(_B62, 29)

    def call(self) -> str:
        return "call_" + self._pick(_B62, 24)

    def response(self) -> str:
        return "resp_" + self._pick(_HEX, 50)

    def item(self, prefix: str) -> str:
        return f"{prefix}_" + self._pick(_HEX, 50)

    def message(self) -> str:
        return "msg_01" + self._pick(_B62, 22)

    def toolu(self) -> str:
        return "toolu_01" + self._pick(_B62, 22)

    def openai_request(self) -> str:
        return "req_" + self._pick(_HEX, 32)

    def anthropic_request(self) -> str:
        return "req_011C" + self._pick(_B62, 20)

    def fingerprint(self) -> str:
        return "fp_" + self._pick(_HEX, 10)

    def signature(self) -> str:
        return "Eq" + self._pick(_B62 + "+/", 150) + "=="

    def obfuscation(self, n: int) -> str:
        """Padding like the API's ``obfuscation`` field; cheap (sliced from one random pool)."""
        if not self._pad:
            self._pad = self._pick(_B62, 97)
        start = self._pad_at % 89
        self._pad_at += 7
        return self._pad[start : start + max(1, min(n, 8))]
