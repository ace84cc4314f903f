"""Where the project files that commands need are: the cassette library and the locustfile.

In the repository they are ``cassettes/`` and ``loadtests/locustfile.py`` at the top level; the
wheel carries the same files as the packages ``harness.bundled.cassettes`` and
``harness.bundled.loadtests`` (see setup.py), read here with ``importlib.resources``. A source
checkout (including an editable install) uses its own top-level folders, so ``sik-llms record``
there rewrites the files the repository keeps.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["cassette_dir", "checkout_root", "default_record_dir", "locustfile"]


def checkout_root() -> Path | None:
    """The source checkout this harness runs from, or None when installed from a wheel."""
    root = Path(__file__).resolve().parents[2]
    if (
        (root / "pyproject.toml").is_file()
        and (root / "cassettes").is_dir()
        and (root / "loadtests").is_dir()
    ):
        return root
    return None


def _bundled(package: str, folder: str) -> Path:
    """``folder`` of the checkout, else the bundled package ``harness.bundled.<package>``."""
    root = checkout_root()
    if root is not None:
        return root / folder
    # a wheel installs real files, so the traversable is a plain directory
    return Path(str(resources.files(__name__) / package))


def cassette_dir() -> Path:
    """The project's cassette library (``<provider>/<scenario>.yaml``), read-only when installed."""
    return _bundled("cassettes", "cassettes")


def locustfile() -> Path:
    """The locustfile ``sik-llms load`` runs (a thin face over ``harness.load``)."""
    return _bundled("loadtests", "loadtests") / "locustfile.py"


def default_record_dir() -> Path:
    """Where ``sik-llms record`` writes without ``--out``: the checkout's ``cassettes/``, or
    ``./cassettes`` when installed (never into site-packages)."""
    root = checkout_root()
    return root / "cassettes" if root is not None else Path("cassettes")
