"""Helpers shared by the docs tests: run a documented example the way a reader would."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter from the repository root, with no OTEL_*, OPENAI_* or
    ANTHROPIC_* variable of ours leaking in (``env`` sets the ones the example needs)."""
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "ANTHROPIC_"))
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
