"""Helpers for tests that run a user's project in a pytest of its own (acceptance, docs examples).

- ``project_files(root, pattern)``: every matching file under ``root``, as bytes by relative path
  (to prove a replay left cassettes and snapshots byte-identical);
- ``run_offline(cwd, *args)``: ``python -m pytest *args`` in ``cwd`` with no ``OPENAI_*`` /
  ``ANTHROPIC_*`` / ``OTEL_*`` variable (``CI`` kept: replays are what CI runs), in a network
  namespace of its own (``unshare -rn``) where the machine allows it, so nothing it does can
  leave the machine;
- ``run_recording(cwd, simulator, *args)``: the same without ``CI`` (recording is refused
  under CI) and with the SDKs pointed at ``simulator`` with placeholder keys, as a user records
  once.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

_OURS = ("OPENAI_", "ANTHROPIC_", "OTEL_", "TRACELOOP_")


def project_files(root: Path, pattern: str) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob(pattern))}


@functools.cache
def unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return (
        subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
    )


def _env(*, ci: bool, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    if not ci:
        env.pop("CI", None)
    env.update(extra)
    return env


def _pytest(
    cwd: Path, args: tuple[str, ...], env: dict[str, str], prefix: list[str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pytest", "-p", "no:randomly", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_offline(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A replay with no key, in a network namespace of its own when ``unshare`` works."""
    return _pytest(cwd, args, _env(ci=True), ["unshare", "-rn"] if unshare_works() else [])


def run_recording(cwd: Path, simulator: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """A recording run against ``simulator`` (a running ``harness.simulator.Simulator``)."""
    env = _env(
        ci=False,
        OPENAI_BASE_URL=simulator.openai_base_url,
        ANTHROPIC_BASE_URL=simulator.anthropic_base_url,
        OPENAI_API_KEY="sk-sim",
        ANTHROPIC_API_KEY="sk-sim",
    )
    return _pytest(cwd, args, env, [])
