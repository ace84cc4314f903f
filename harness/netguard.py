"""The network guard: tests reach loopback only, unless a host is allowed by name.

``guard(allow=...)`` refuses, for the block and in every thread, any ``connect`` /
``connect_ex`` to an address outside loopback and any DNS lookup (``getaddrinfo``) of a host
outside loopback and ``allow``: the refusal is raised *before* the system call, so a refused
attempt never sends a packet. Unix sockets stay allowed. Each refusal is also appended to
``Guard.refusals``, because SDKs catch connection errors, retry, and re-raise them as a bare
"Connection error."; the pytest plugin fails the test with the guard's own message.

Why not pytest-socket (0.8.1, the kept library for this): it guards ``connect`` but not DNS
(``getaddrinfo`` would still send a query for an outside host), its refusal cannot be
observed once an SDK has swallowed it, and its message cannot name our way out (a cassette,
the marker, the switch). The patch surface here is the same as its (``socket.socket``).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: Hostnames that mean loopback without a lookup.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

ADVICE = (
    "Replay it from a cassette (@pytest.mark.llm_cassette; record once with --llm-record-mode=once), "
    "or allow the host: @pytest.mark.llm_allow_network({host!r}) or --llm-allow-network={host}."
)


class NetworkBlockedError(ConnectionRefusedError):
    """A test reached for a host outside loopback; raised before any packet left."""


@dataclass
class Guard:
    """The guard of one block: what it allows and what it refused."""

    allow: frozenset[str]
    refusals: list[str] = field(default_factory=list)
    resolved: set[str] = field(default_factory=set)  # addresses of allowed hosts, as looked up

    def allows(self, host: str) -> bool:
        host = host.strip("[]").lower()
        if (
            "*" in self.allow
            or host in self.allow
            or host in self.resolved
            or host in LOOPBACK_NAMES
        ):
            return True
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        mapped = getattr(address, "ipv4_mapped", None)
        # the unspecified address (0.0.0.0, ::) is this host: bound to, or connected to locally
        return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)

    def refuse(self, host: str, port: Any, how: str) -> NetworkBlockedError:
        where = f"{host}:{port}" if port not in (None, "", 0) else host
        message = (
            f"sik-llms network guard: the test tried to reach {where} ({how}); tests may only reach "
            f"loopback. {ADVICE.format(host=host)}"
        )
        self.refusals.append(message)
        return NetworkBlockedError(message)


_ACTIVE: list[Guard] = []
_LOCK = threading.Lock()
_ORIGINALS: dict[str, Any] = {}


def current() -> Guard | None:
    with _LOCK:
        return _ACTIVE[-1] if _ACTIVE else None


def _check_address(sock: Any, address: Any, how: str) -> None:
    active = current()
    if active is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host, port = (address[0], address[1]) if isinstance(address, tuple) else (str(address), None)
    if not active.allows(str(host)):
        raise active.refuse(str(host), port, how)


def _connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address, "connect")
    return _ORIGINALS["connect"](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address, "connect")
    return _ORIGINALS["connect_ex"](self, address)


def _getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    active = current()
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if active is not None and name is not None and not active.allows(str(name)):
        raise active.refuse(str(name), port, "connect" if _is_ip(str(name)) else "DNS lookup")
    results = _ORIGINALS["getaddrinfo"](host, port, *args, **kwargs)
    if active is not None and name is not None:
        active.resolved.update(str(r[4][0]).lower() for r in results)
    return results


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _install() -> None:
    if _ORIGINALS:
        return
    _ORIGINALS.update(
        connect=socket.socket.connect,
        connect_ex=socket.socket.connect_ex,
        getaddrinfo=socket.getaddrinfo,
    )
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo


def _uninstall() -> None:
    if not _ORIGINALS:
        return
    socket.socket.connect = _ORIGINALS["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _ORIGINALS["connect_ex"]  # type: ignore[method-assign]
    socket.getaddrinfo = _ORIGINALS["getaddrinfo"]
    _ORIGINALS.clear()


@contextmanager
def guard(allow: Iterable[str] = ()) -> Iterator[Guard]:
    """Refuse non-loopback connects and lookups in the block (``allow``: hostnames or IPs,
    ``"*"`` for all). Guards nest; the innermost decides."""
    active = Guard(allow=frozenset(h.strip().lower() for h in allow if h.strip()))
    with _LOCK:
        _install()
        _ACTIVE.append(active)
    try:
        yield active
    finally:
        with _LOCK:
            _ACTIVE.remove(active)
            if not _ACTIVE:
                _uninstall()


__all__ = ["LOOPBACK_NAMES", "Guard", "NetworkBlockedError", "current", "guard"]
