"""Realistic, reproducible identifiers (chatcmpl-..., msg_01..., toolu_01..., call_..., req_...).

SDKs and our client only care about the shapes, but tests and cassettes recorded against the
simulator are easier to diff when ids depend only on the seed and the request's ordinal.
"""

from __future__ import annotations

import random
import string

_B62 = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


class IdMaker:
    """Id factory for one request, seeded by (seed, ordinal)."""

    def __init__(self, seed: int, ordinal: int) -> None:
        self._rng = random.Random(f"ids:{seed}:{ordinal}")

    def _pick(self, alphabet: str, n: int) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(n))

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
        return self._pick(_B62, max(1, n))
