"""Parsed cassettes kept per process, so a file replayed by many tests is parsed once.

Keyed by the resolved path and the file's modification time and size, so an edited file is
parsed again; ``save_cassette`` also forgets the path it writes (a rewrite within the
filesystem's timestamp granularity, with the same size, would otherwise look unchanged).
Every hit returns a fresh ``Cassette`` (its own interaction list and metadata) sharing the
parsed interactions, which nothing modifies after parsing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from harness.cassettes.format import Cassette

__all__ = ["cached_cassette", "clear", "forget"]

#: Most files a process keeps parsed at once (a test run uses a few dozen).
MAX_ENTRIES = 256

_lock = threading.Lock()
_parsed: dict[str, tuple[tuple[int, int], Cassette]] = {}


def _key(path: Path) -> tuple[str, tuple[int, int]] | None:
    # one stat, no symlink walk (Path.resolve lstats every component, per test): the same
    # file reached by two spellings is parsed twice, which costs memory, never correctness
    where = os.fspath(path)
    try:
        if not os.path.isabs(where):  # an absolute path is its own key (normpath costs a µs)
            where = os.path.abspath(where)
        st = os.stat(where)
    except OSError:
        return None
    return where, (st.st_mtime_ns, st.st_size)


def cached_cassette(
    path: str | Path, load: Callable[[Path], Cassette], name: str | None = None
) -> Cassette:
    """``load(path)``, parsed once per file version; a missing file goes to ``load`` (its error)."""
    path = path if isinstance(path, Path) else Path(path)
    key = _key(path)
    if key is None:
        return load(path)
    where, version = key
    with _lock:
        hit = _parsed.get(where)
    if hit is None or hit[0] != version:
        cassette = load(path)
        with _lock:
            if len(_parsed) >= MAX_ENTRIES:
                _parsed.clear()
            _parsed[where] = (version, cassette)
    else:
        cassette = hit[1]
    return _fresh(cassette, path, name)


def _fresh(cassette: Cassette, path: Path, name: str | None) -> Cassette:
    # a shallow copy of the dataclass (it has no __post_init__ and no slots) with its own list
    # and metadata; faster than copy.copy or the constructor, and this runs for every test
    fresh = object.__new__(type(cassette))
    fresh.__dict__.update(
        cassette.__dict__,
        interactions=list(cassette.interactions),
        metadata=dict(cassette.metadata),
        path=path,
        name=name,
    )
    return fresh


def forget(path: str | Path) -> None:
    """Drop ``path``'s parsed cassette (called when a recording writes it)."""
    real = os.path.realpath(path)
    with _lock:  # every spelling of the file (the cache keys by absolute path, links unresolved)
        for where in [w for w in _parsed if w == real or os.path.realpath(w) == real]:
            del _parsed[where]


def clear() -> None:
    """Forget every parsed cassette."""
    with _lock:
        _parsed.clear()
