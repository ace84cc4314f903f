"""Parsed cassettes kept per process, so a file replayed by many tests is parsed once.

Keyed by the absolute path and the file's modification time, size and inode, so an edited or
replaced file is parsed again; ``save_cassette`` also forgets the path it writes. A rewrite
within the filesystem's timestamp granularity (a few ms, up to 2 s on some filesystems), with
the same size, leaves all of those unchanged: a file modified less than ``RACY_NS`` before it
was parsed is "racily clean" (git's term) and its bytes are kept and compared on every hit
until a hit comes ``RACY_NS`` after its modification time (then its timestamp can be trusted).
Every hit returns a fresh ``Cassette`` (its own interaction list and metadata) sharing the
parsed interactions, which nothing modifies after parsing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from harness.cassettes.format import Cassette

__all__ = ["cached_cassette", "clear", "forget"]

#: Most files a process keeps parsed at once (a test run uses a few dozen).
MAX_ENTRIES = 256

#: A file modified this recently before it was parsed may be rewritten with the same stat.
RACY_NS = 2_000_000_000

_lock = threading.Lock()
#: absolute path -> (its stat version, the parsed cassette, its bytes while racily clean)
_parsed: dict[str, tuple[tuple[int, int, int], Cassette, bytes | None]] = {}


def _key(path: Path) -> tuple[str, tuple[int, int, int]] | None:
    # one stat, no symlink walk (Path.resolve lstats every component, per test): the same
    # file reached by two spellings is parsed twice, which costs memory, never correctness
    where = os.fspath(path)
    try:
        if not os.path.isabs(where):  # an absolute path is its own key (normpath costs a µs)
            where = os.path.abspath(where)
        st = os.stat(where)
    except OSError:
        return None
    return where, (st.st_mtime_ns, st.st_size, st.st_ino)


def cached_cassette(
    path: str | Path, load: Callable[[Path], Cassette], name: str | None = None
) -> Cassette:
    """``load(path)``, parsed once per file version; a missing file goes to ``load`` (its error)."""
    path = path if isinstance(path, Path) else Path(path)
    key = _key(path)
    if key is None:
        return load(path)
    where, version = key
    hit = _parsed.get(where)
    if hit is not None and hit[0] == version and (hit[2] is None or _still(where, version, hit)):
        return _fresh(hit[1], path, name)
    racy = time.time_ns() - version[0] < RACY_NS
    data = _read(where) if racy else None  # read before parsing: a later write looks changed
    cassette = load(path)
    with _lock:
        if len(_parsed) >= MAX_ENTRIES:
            _parsed.clear()
        _parsed[where] = (version, cassette, data)
    return _fresh(cassette, path, name)


def _read(where: str) -> bytes | None:
    try:
        with open(where, "rb") as file:
            return file.read()
    except OSError:
        return None


def _still(where: str, version: tuple[int, int, int], hit: tuple[Any, ...]) -> bool:
    """Whether a racily clean entry still holds the file's bytes (it stops being racy once its
    modification time is ``RACY_NS`` in the past)."""
    if _read(where) != hit[2]:
        return False
    if time.time_ns() - version[0] >= RACY_NS:
        with _lock:
            if _parsed.get(where) is hit:
                _parsed[where] = (hit[0], hit[1], None)
    return True


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
