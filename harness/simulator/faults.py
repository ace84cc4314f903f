"""Fault injection: which fault hits which request (by rule, first N, or seeded probability).

A ``FaultRule`` says what to break and how often; a ``FaultInjector`` holds the active rules and
decides per request, thread-safely, with its own seeded RNG so a run is reproducible. The same
``Fault`` can come from Python, from a scenario rule (``fault:``) or from the CLI
(``--fault 429:retry_after=1,first=2``).
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    OVERLOADED = "529"
    DISCONNECT = "disconnect"
    MALFORMED = "malformed"
    STREAM_ERROR = "stream_error"
    SLOW = "slow"
    HANG = "hang"


_ALIASES = {"rate_limit": "429", "server_error": "500", "overloaded": "529", "trickle": "slow"}


@dataclass(frozen=True)
class Fault:
    """One fault. Fields apply to the kinds that use them (see ``FaultKind``).

    after_events: disconnect / malformed / stream_error: events sent intact before the break
    retry_after: 429 / 529 / 500: seconds in the ``retry-after`` header (None: no header)
    chunk_delay, chunk_size: slow: trickle the body in pieces this far apart
    hang_max: hang: the server gives up (closes) after this many seconds
    """

    kind: FaultKind
    after_events: int = 2
    retry_after: float | None = 1.0
    chunk_delay: float = 0.05
    chunk_size: int = 16
    hang_max: float = 30.0
    message: str | None = None

    @property
    def is_status(self) -> bool:
        return self.kind in (FaultKind.RATE_LIMIT, FaultKind.SERVER_ERROR, FaultKind.OVERLOADED)

    @property
    def status(self) -> int:
        return int(self.kind.value) if self.is_status else 200


@dataclass
class FaultRule:
    """Apply ``fault`` to matching requests: the first ``first`` of them, else with ``probability``."""

    fault: Fault
    probability: float = 1.0
    first: int | None = None
    provider: str | None = None
    seen: int = field(default=0, compare=False)


_FAULT_KEYS = {"after_events", "retry_after", "chunk_delay", "chunk_size", "hang_max", "message"}
_RULE_KEYS = {"probability", "first", "provider"}


def _number(key: str, value: Any, where: str) -> Any:
    if key in ("message", "provider"):
        return str(value)
    try:
        return int(value) if key in ("after_events", "chunk_size", "first") else float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {key}={value!r} is not a number") from exc


def fault_rule_from_dict(data: dict[str, Any] | str, where: str = "fault") -> FaultRule:
    """Build a rule from ``{"kind": "429", "retry_after": 2, "first": 1}`` (or just ``"429"``)."""
    if isinstance(data, str | int):
        data = {"kind": str(data)}
    data = dict(data)
    raw_kind = str(data.pop("kind", "")).strip().lower()
    raw_kind = _ALIASES.get(raw_kind, raw_kind)
    kinds = ", ".join(k.value for k in FaultKind)
    try:
        kind = FaultKind(raw_kind)
    except ValueError:
        raise ValueError(
            f"{where}: unknown fault kind {raw_kind!r}; choose one of {kinds}"
        ) from None
    unknown = set(data) - _FAULT_KEYS - _RULE_KEYS
    if unknown:
        raise ValueError(
            f"{where}: unknown fault option(s) {sorted(unknown)}; "
            f"allowed: {sorted(_FAULT_KEYS | _RULE_KEYS)}"
        )
    no_header = "retry_after" in data and data["retry_after"] in (None, "none", "null")
    fault_args = {
        k: _number(k, v, where)
        for k, v in data.items()
        if k in _FAULT_KEYS and not (k == "retry_after" and no_header)
    }
    if no_header:
        fault_args["retry_after"] = None
    rule_args = {k: _number(k, v, where) for k, v in data.items() if k in _RULE_KEYS}
    rule = FaultRule(fault=Fault(kind=kind, **fault_args), **rule_args)
    _check_rule(rule, where)
    return rule


_PROVIDERS = ("openai", "anthropic")


def _check_rule(rule: FaultRule, where: str) -> None:
    """Every number finite and in range, the provider one we simulate: else one clear line."""
    fault = rule.fault
    numbers = {
        "probability": rule.probability,
        "after_events": fault.after_events,
        "chunk_delay": fault.chunk_delay,
        "chunk_size": fault.chunk_size,
        "hang_max": fault.hang_max,
    }
    if fault.retry_after is not None:
        numbers["retry_after"] = fault.retry_after
    if rule.first is not None:
        numbers["first"] = rule.first
    for key, value in numbers.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{where}: {key}={value} must be a finite number >= 0")
    if not 0 <= rule.probability <= 1:
        raise ValueError(f"{where}: probability must be within 0..1, got {rule.probability}")
    if rule.first is not None and rule.first < 1:
        raise ValueError(
            f"{where}: first={rule.first} would never inject the fault; use first=1 or more"
        )
    if fault.chunk_size < 1 or fault.hang_max <= 0:
        raise ValueError(f"{where}: chunk_size must be >= 1 and hang_max > 0")
    if rule.provider is not None and rule.provider not in _PROVIDERS:
        raise ValueError(
            f"{where}: unknown provider {rule.provider!r}; choose {' or '.join(_PROVIDERS)}"
        )


def parse_fault_spec(spec: str) -> FaultRule:
    """Parse the CLI form ``KIND[:key=value,...]``, e.g. ``disconnect:after_events=3,probability=0.2``."""
    kind, _, rest = spec.partition(":")
    data: dict[str, Any] = {"kind": kind}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(
                f"--fault {spec!r}: expected key=value, got {item!r} (e.g. 429:retry_after=1,first=2)"
            )
        data[key.strip()] = value.strip()
    return fault_rule_from_dict(data, where=f"--fault {spec!r}")


class FaultInjector:
    """Active fault rules plus a seeded RNG; ``pick`` is called once per request."""

    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = [replace(r) for r in rules or []]
        self._rng = random.Random(f"faults:{seed}")
        self._seed = seed

    def set(self, rules: list[FaultRule], seed: int | None = None) -> None:
        with self._lock:
            self._rules = [replace(r, seen=0) for r in rules]
            if seed is not None:
                self._seed = seed
            self._rng = random.Random(f"faults:{self._seed}")

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def chance(self, probability: float) -> bool:
        """A seeded coin flip (for scenario-rule faults with a probability)."""
        if probability >= 1:
            return True
        with self._lock:
            return self._rng.random() < probability

    def pick(self, provider: str) -> Fault | None:
        with self._lock:
            for rule in self._rules:
                if rule.provider and rule.provider != provider:
                    continue
                rule.seen += 1
                if rule.first is not None:
                    if rule.seen <= rule.first:
                        return rule.fault
                    continue
                if rule.probability >= 1 or self._rng.random() < rule.probability:
                    return rule.fault
            return None
