"""Class 6: every subcommand turns bad input into one line and a non-zero exit, no traceback.

A table of bad inputs runs each subcommand as a user would (a subprocess); each row asserts a
non-zero exit, no ``Traceback`` anywhere, and exactly one line on stderr that names the
problem. Output paths are checked before a command starts, so nothing long runs first.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.user_input import UserError, check_args

BAD_VERSION = "interactions:\n- request: {method: POST, uri: 'https://h/v1/x'}\n  response: {status: {code: 200}}\nversion: abc\n"


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A loopback port something is already listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# (argv, text the one stderr line must contain); {busy}, {closed}, {file}, {dir}, {bad} are filled in
CASES: list[tuple[str, str]] = [
    ("bogus-command", "unknown command"),
    ("simulate --port -1", "not a TCP port"),
    ("simulate --port 70000", "not a TCP port"),
    ("simulate --port abc", "invalid int value"),
    ("simulate --port {busy}", "{busy}"),
    ("simulate --host nonexistent.invalid", "does not resolve"),
    ("simulate --ttft nan", "not a finite number"),
    ("simulate --ttft -1", "must not be negative"),
    ("simulate --tps inf", "not a finite number"),
    ("simulate --jitter 2", "within 0..1"),
    ("simulate --fault 429:first=-3", "first=-3"),
    ("simulate --fault 429:first=0", "first=0"),
    ("simulate --fault 429:provider=gemini", "unknown provider"),
    ("simulate --fault 429:retry_after=nan", "retry_after=nan"),
    ("simulate --fault slow:chunk_delay=-1", "chunk_delay=-1"),
    ("simulate --fault disconnect:after_events=x", "not a number"),
    ("simulate --fault nosuchfault", "unknown fault kind"),
    ("simulate --cassette /nonexistent/c.yaml", "not found"),
    ("simulate --cassette {notcassette}", "interactions"),
    ("simulate --scenario /nonexistent/s.yaml", "s.yaml"),
    ("collect --port -1", "not a TCP port"),
    ("collect --port {busy}", "{busy}"),
    ("collect --delay nan", "not a finite number"),
    ("collect --fault explode", "invalid choice"),
    ("record --out /proc/1/x", "/proc/1"),
    ("record --out {file}", "not a directory"),
    ("record --provider gemini", "invalid choice"),
    ("record --base-url not-a-url --provider openai --api-key k", "not an http(s) URL"),
    ("demo --html /tmp", "is a directory"),
    ("demo --html /nonexistent/dir/t.html", "does not exist"),
    ("demo --html /proc/1/t.html", "/proc/1"),
    ("demo --otlp not-a-url", "not an http(s) URL"),
    ("demo --otlp http://[::1", "not a valid URL"),
    ("demo --otlp http://127.0.0.1:{closed}", "FAILED"),
    ("demo --cassettes /nonexistent", "not found"),
    ("bench --out /tmp", "is a directory"),
    ("bench --out /nonexistent/b.json", "does not exist"),
    ("bench --rounds -1", "must not be negative"),
    ("bench --batch-ms nan", "not a finite number"),
    ("bench --setups nosuchsetup", "unknown setup"),
    ("load --out /proc/1/x", "/proc/1"),
    ("load --out {file}", "not a directory"),
    ("load --users -5", "must not be negative"),
    ("load --seconds nan", "not a finite number"),
    ("load --phases nosuchphase", "unknown phase"),
    ("scan /nonexistent", "no such file"),
    ("replay /nonexistent.yaml", "not found"),
    ("replay {bad}", "version"),
    ("replay {dir}", "not found"),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[c[0].split(" {")[0] for c in CASES])
def test_bad_input_is_one_line_and_a_nonzero_exit(
    argv: str, expected: str, busy_port: int, closed_port: int, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "bad.yaml").write_text(BAD_VERSION)
    (tmp_path / "not-a-cassette.yaml").write_text("interactions: 5\n")
    fill = {
        "busy": str(busy_port),
        "closed": str(closed_port),
        "file": str(tmp_path / "a-file"),
        "dir": str(tmp_path),
        "bad": str(tmp_path / "bad.yaml"),
        "notcassette": str(tmp_path / "not-a-cassette.yaml"),
    }
    args = [part.format(**fill) for part in argv.split()]
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode not in (0, None), (result.stdout[-500:], result.stderr)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert expected.format(**fill) in lines[0] and lines[0].startswith("sik-llms"), lines[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_binding_a_non_loopback_address_warns_loudly(host: str) -> None:
    warnings: list[str] = []
    check_args("simulate", argparse.Namespace(host=host, port=0), warn=warnings.append)
    assert (
        len(warnings) == 1 and "not a loopback address" in warnings[0] and "WARNING" in warnings[0]
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_hosts_pass_quietly(host: str) -> None:
    warnings: list[str] = []
    check_args("collect", argparse.Namespace(host=host, port=4318), warn=warnings.append)
    assert warnings == []


def test_output_paths_are_checked_before_the_command_runs(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is a directory"):
        check_args("bench", argparse.Namespace(out=tmp_path))
    check_args("bench", argparse.Namespace(out=tmp_path / "report.json"))  # writable: passes
    assert list(tmp_path.iterdir()) == []  # the probe leaves nothing behind
