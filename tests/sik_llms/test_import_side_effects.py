"""What importing sik_llms does to the process, and why."""

from __future__ import annotations

import subprocess
import sys

import pytest

FIRST_REQUEST_HEADERS = """
import platform
import subprocess
{imports}
from openai._base_client import get_platform


def refuse(*args, **kwargs):
    raise AssertionError(f"forked: {{args[0]!r}}")


subprocess.Popen = refuse  # from here on, any fork fails loudly
platform.platform()
get_platform()  # what the SDKs put in their request headers
print("no fork")
"""


@pytest.mark.parametrize(
    ("imports", "forks"), [("import sik_llms", False), ("import openai", True)]
)
def test_the_sdks_platform_probe_is_paid_at_import_not_on_the_first_request(
    imports: str, forks: bool
) -> None:
    """The SDKs' first request runs ``uname -p`` for its headers. Under gevent, greenlets racing
    to make that first request each forked (a fork storm in the load tests); sik_llms pays the
    probe once at import, before any greenlet runs. The bare-SDK case shows the fork is real."""
    code = FIRST_REQUEST_HEADERS.format(imports=imports)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    if forks:
        assert result.returncode != 0 and "forked" in result.stderr
    else:
        assert result.returncode == 0 and "no fork" in result.stdout, result.stderr
