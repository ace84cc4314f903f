"""Bad command-line input becomes one line and a non-zero exit, never a traceback.

The ``sik-llms`` dispatcher (``harness.cli``) uses this module for every subcommand, so the
rules hold whichever module a command lives in:

- ``OneLineParser``: argparse, but a usage error is a single ``sik-llms CMD: error: ...`` line;
- ``check_args``: checks the parsed options every command shares by name, before the command
  does any work (a long ``bench`` no longer loses its run to an unwritable ``--out``):
  ``port`` (0..65535), ``host`` (must resolve; a non-loopback address gets a loud warning),
  numbers (finite; durations, rates and counts not negative; ``jitter`` within 0..1), URLs
  (``otlp``, ``base_url``: ``http(s)://host[:port]``), and output paths (``OUTPUTS``: the
  directory must exist or be creatable, and be writable; a file path must not be a directory);
- ``UserError``: what a command raises for input it refuses; ``one_line`` renders any error
  (an ``OSError`` with its path, anything else with its type) as one line.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

__all__ = [
    "OUTPUTS",
    "OneLineParser",
    "UserError",
    "check_args",
    "check_output",
    "check_url",
    "one_line",
]


class UserError(Exception):
    """Input the user can fix; the message (one line) says what is wrong and what to do."""


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (plus the pointer to ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


#: Output options per command: dest -> "file" | "dir". Checked before the command runs.
OUTPUTS: dict[str, dict[str, str]] = {
    "record": {"out": "dir"},
    "load": {"out": "dir"},
    "bench": {"out": "file"},
    "demo": {"html": "file"},
}
#: Numeric options that must not be negative (durations, rates, counts), by dest.
NON_NEGATIVE = frozenset(
    {
        "ttft",
        "tps",
        "seconds",
        "delay",
        "batch_ms",
        "users",
        "rounds",
        "memory_calls",
        "workers",
        "speed",
    }
)
FRACTIONS = frozenset({"jitter"})
URLS = frozenset({"otlp", "base_url"})


def one_line(exc: BaseException) -> str:
    """One line describing ``exc`` for a user: its message, or for an ``OSError`` the reason
    and the path (``Permission denied: /proc/1/x``)."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        text = f"{exc.strerror}{where}"
    else:
        text = str(exc) or type(exc).__name__
        if not isinstance(exc, UserError | ValueError | LookupError):
            text = f"{type(exc).__name__}: {text}"
    return " ".join(text.split())


def check_output(path: Path, kind: str, option: str) -> None:
    """Raise ``UserError`` unless ``path`` can be written as a ``kind`` ("file" or "dir")."""
    path = Path(path)
    if kind == "file":
        if path.is_dir():
            raise UserError(
                f"{option} {path} is a directory; give a file path such as {path / 'report.out'}"
            )
        target_dir = path.parent
        if not target_dir.is_dir():
            raise UserError(
                f"{option} {path}: directory {target_dir} does not exist; create it first"
            )
    else:
        if path.exists() and not path.is_dir():
            raise UserError(f"{option} {path} exists and is not a directory; give a directory")
        target_dir = path
        while (
            not target_dir.exists()
        ):  # created later: the nearest existing parent must be writable
            target_dir = target_dir.parent
        if not target_dir.is_dir():
            raise UserError(f"{option} {path}: {target_dir} is not a directory")
    try:  # a real probe: access() says yes to root even where nothing can be created
        with tempfile.NamedTemporaryFile(dir=target_dir, prefix=".sik-llms-probe-"):
            pass
    except OSError as exc:
        raise UserError(
            f"{option} {path}: cannot write in {target_dir} ({exc.strerror or exc})"
        ) from None


def check_url(value: str, option: str) -> None:
    """Raise ``UserError`` unless ``value`` is an ``http(s)://host[:port][/path]`` URL."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise UserError(f"{option} {value!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(
            f"{option} {value!r} is not an http(s) URL; expected e.g. http://127.0.0.1:4318"
        )
    if port == 0:
        raise UserError(f"{option} {value!r}: port 0 cannot be connected to")


def _check_host(host: str, warn: Any) -> None:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(
            f"--host {host!r} does not resolve ({exc}); use 127.0.0.1 (loopback)"
        ) from None
    addresses = {info[4][0] for info in infos}
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        warn(
            f"WARNING: --host {host} is not a loopback address: anyone who can reach this machine "
            "can use it. Bind 127.0.0.1 unless you mean to expose it."
        )


def check_args(command: str, args: argparse.Namespace, *, warn: Any = None) -> None:
    """Check the options every command shares by name; raise ``UserError`` on the first bad one."""
    warn = warn or (lambda msg: print(msg, file=sys.stderr, flush=True))
    values = vars(args)
    for dest, value in values.items():
        option = "--" + dest.replace("_", "-")
        if value is None or isinstance(value, bool):
            continue
        if dest == "port":
            if not isinstance(value, int) or not 0 <= value <= 65535:
                raise UserError(
                    f"{option} {value} is not a TCP port; use 0..65535 (0 picks a free one)"
                )
        elif isinstance(value, float | int):
            if isinstance(value, float) and not math.isfinite(value):
                raise UserError(f"{option} {value} is not a finite number")
            if dest in NON_NEGATIVE and value < 0:
                raise UserError(f"{option} {value} must not be negative")
            if dest in FRACTIONS and not 0 <= value <= 1:
                raise UserError(f"{option} {value} must be within 0..1")
        elif dest in URLS and isinstance(value, str):
            check_url(value, option)
    if isinstance(values.get("host"), str):
        _check_host(values["host"], warn)
    for dest, kind in OUTPUTS.get(command, {}).items():
        if values.get(dest) is not None:
            check_output(Path(values[dest]), kind, "--" + dest.replace("_", "-"))


def debug_tracebacks() -> bool:
    """True when ``SIK_LLMS_TRACEBACK=1``: unexpected errors then show their traceback."""
    return os.environ.get("SIK_LLMS_TRACEBACK", "") not in ("", "0")
