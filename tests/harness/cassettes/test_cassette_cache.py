"""A cassette replayed by many tests is parsed once per file version, and never served stale."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.cassettes import (
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    cache,
    load_cassette,
    save_cassette,
)


def _cassette(text: str) -> Cassette:
    request = RecordedRequest("POST", "https://api.openai.com/v1/chat/completions", {}, b"{}")
    response = RecordedResponse(200, "OK", {"content-type": ["application/json"]}, text.encode())
    return Cassette(interactions=[Interaction(0, request, response)])


class CountingLoad:
    def __init__(self) -> None:
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> Cassette:
        self.calls.append(path)
        return load_cassette(path)


@pytest.fixture
def load() -> CountingLoad:
    cache.clear()
    return CountingLoad()


def test_the_same_file_is_parsed_once_and_each_caller_gets_its_own_cassette(
    tmp_path: Path, load: CountingLoad
) -> None:
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "one.yaml")
    first = cache.cached_cassette(path, load, name="first")
    first.interactions.append(first.interactions[0])
    second = cache.cached_cassette(path, load, name="second")
    assert len(load.calls) == 1
    assert len(second.interactions) == 1
    assert second.name == "second" and first.name == "first"
    assert second.interactions[0].response.body == b'{"a": 1}'


def test_an_edited_file_is_parsed_again(tmp_path: Path, load: CountingLoad) -> None:
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "one.yaml")
    cache.cached_cassette(path, load)
    path.write_text(path.read_text().replace('{"a": 1}', '{"a": 22}'))
    again = cache.cached_cassette(path, load)
    assert len(load.calls) == 2
    assert again.interactions[0].response.body == b'{"a": 22}'


def test_a_recording_that_rewrites_the_file_is_never_served_stale(
    tmp_path: Path, load: CountingLoad
) -> None:
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "one.yaml")
    cache.cached_cassette(path, load)
    stat = path.stat()
    save_cassette(_cassette('{"a": 2}'), path)  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same timestamp
    assert path.stat().st_size == stat.st_size
    again = cache.cached_cassette(path, load)
    assert again.interactions[0].response.body == b'{"a": 2}'


def test_a_missing_cassette_still_raises_the_loaders_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        cache.cached_cassette(tmp_path / "nope.yaml", load_cassette)


def test_use_cassette_replays_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.cassettes import format as cassette_format
    from harness.cassettes import use_cassette

    cache.clear()
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "one.yaml")
    parses: list[str] = []
    real = cassette_format.parse_cassette

    def parse(text: str, **kwargs: object) -> Cassette:
        parses.append(text)
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cassette_format, "parse_cassette", parse)
    for _ in range(3):
        with use_cassette(path, unused="ignore") as session:
            assert len(session.cassette.interactions) == 1
    assert len(parses) == 1


def test_a_file_rewritten_in_place_with_the_same_size_and_timestamp_is_parsed_again(
    tmp_path: Path, load: CountingLoad
) -> None:
    # an editor or a test rewriting the file within one filesystem timestamp tick, no recorder
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "one.yaml")
    assert cache.cached_cassette(path, load).interactions[0].response.body == b'{"a": 1}'
    stat = path.stat()
    path.write_text(path.read_text().replace('{"a": 1}', '{"a": 2}'))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert cache.cached_cassette(path, load).interactions[0].response.body == b'{"a": 2}'
    assert cache.cached_cassette(path, load).interactions[0].response.body == b'{"a": 2}'
    assert len(load.calls) == 2


def test_a_file_replaced_by_another_with_the_same_size_and_timestamp_is_parsed_again(
    tmp_path: Path, load: CountingLoad
) -> None:
    path = save_cassette(_cassette('{"a": 1}'), tmp_path / "one.yaml")
    old = 1_600_000_000_000_000_000  # long ago: the timestamp alone would be trusted
    os.utime(path, ns=(old, old))
    cache.cached_cassette(path, load)
    other = save_cassette(_cassette('{"a": 2}'), tmp_path / "other.yaml")
    os.utime(other, ns=(old, old))
    other.replace(path)  # a new inode under the same name
    assert cache.cached_cassette(path, load).interactions[0].response.body == b'{"a": 2}'
