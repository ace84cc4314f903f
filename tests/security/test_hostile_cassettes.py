"""Class 5: hostile cassette files are refused with one CassetteError line, never hang or crash.

The issue's instances: a 627-byte cassette of nested YAML anchors (10^9 items under
``parsed_body``) kept ``replay`` and ``scan`` busy past a minute; a body nested 100,000 deep
crashed ``scan`` with RecursionError; ``version: abc`` / ``version: [1]`` raised raw
ValueError / TypeError. Variants: the bomb in other fields, every field the loader reads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.cassettes import CassetteError, load_cassette, parse_cassette
from harness.cassettes.limits import MAX_DEPTH, YamlLimitError, check_yaml
from harness.cassettes.scan import scan_file
from harness.simulator.cassette import serve_cassette

HEAD = (
    "interactions:\n- request: {method: POST, uri: 'https://h/v1/chat/completions'}\n  response:\n"
)


def alias_bomb(levels: int = 9, width: int = 10, where: str = "parsed_body") -> str:
    """Nested anchors: ``width ** levels`` items once expanded, a few hundred bytes written."""
    lines = ["      a0: &a0 [" + ",".join(["x"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"      a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]")
    return HEAD + f"    status: {{code: 200}}\n    {where}:\n" + "\n".join(lines) + "\nversion: 1\n"


def deep_yaml(depth: int) -> str:
    return (
        HEAD
        + "    status: {code: 200}\n    parsed_body: "
        + "[" * depth
        + "]" * depth
        + "\nversion: 1\n"
    )


def deep_json_body(depth: int) -> str:
    return (
        HEAD
        + "    status: {code: 200}\n    body: {string: '"
        + "[" * depth
        + "]" * depth
        + "'}\nversion: 1\n"
    )


def _write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text, text
    return text


@pytest.mark.parametrize("where", ["parsed_body", "headers", "sik_llms_timing"])
def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path, where: str) -> None:
    text = alias_bomb(where=where)
    assert len(text) < 1000
    with pytest.raises(CassetteError, match="alias bomb") as info:
        load_cassette(_write(tmp_path, text))
    _one_line(info.value)
    with pytest.raises(
        CassetteError, match="alias bomb"
    ):  # the simulator serves through the same loader
        serve_cassette(_write(tmp_path, text, "sim.yaml"))


def test_a_few_harmless_aliases_still_load() -> None:
    text = (
        HEAD
        + "    status: {code: 200}\n    headers: {a: &v [x], b: *v}\n    body: {string: ok}\nversion: 1\n"
    )
    assert parse_cassette(text).interactions[0].response.headers == {"a": ["x"], "b": ["x"]}


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_absurd_nesting_is_one_cassette_error(tmp_path: Path, depth: int) -> None:
    with pytest.raises(CassetteError) as info:
        load_cassette(_write(tmp_path, deep_yaml(depth)))
    assert "deep" in _one_line(info.value) or "not valid YAML" in str(info.value)


@pytest.mark.parametrize(
    "text",
    [alias_bomb(), deep_yaml(100_000), deep_json_body(100_000), deep_json_body(900)],
    ids=["alias-bomb", "deep-yaml", "deep-json-body", "json-body-near-the-limit"],
)
def test_scan_reads_hostile_files_without_recursion_or_hanging(tmp_path: Path, text: str) -> None:
    findings = scan_file(_write(tmp_path, text))  # no RecursionError, no minute-long expansion
    assert all(f.kind == "unscannable YAML" for f in findings)


def test_the_limit_check_is_one_linear_pass() -> None:
    with pytest.raises(YamlLimitError):
        check_yaml(alias_bomb(levels=30))  # 10**30 items: refused as soon as the bound is crossed
    check_yaml(
        HEAD + "    status: {code: 200}\n" + "".join(f"    k{i}: v\n" for i in range(20_000))
    )


BAD_FIELDS = {
    "version: abc": ("version: 1", "version: abc", "'version' must be a positive integer"),
    "version: [1]": ("version: 1", "version: [1]", "'version' must be a positive integer"),
    "version: true": ("version: 1", "version: true", "'version' must be a positive integer"),
    "version: -1": ("version: 1", "version: -1", "'version' must be a positive integer"),
    "method list": ("method: POST", "method: [POST]", "'method' must be a string"),
    "method junk": ("method: POST", "method: 'PO ST;'", "must be an HTTP method"),
    "uri mapping": (
        "uri: 'https://h/v1/chat/completions'",
        "uri: {a: 1}",
        "'uri' must be a string",
    ),
    "uri relative": ("uri: 'https://h/v1/chat/completions'", "uri: /v1/x", "absolute URL"),
    "status string": ("code: 200", "code: '200'", "status.code"),
    "status bool": ("code: 200", "code: true", "status.code"),
    "status out of range": ("code: 200", "code: 7000", "status.code"),
    "status message list": ("code: 200}", "code: 200, message: [a]}", "status.message"),
    "headers list": (
        "code: 200}",
        "code: 200}\n    headers: [a, b]",
        "'headers' must be a mapping",
    ),
    "header nested": (
        "code: 200}",
        "code: 200}\n    headers: {a: {b: c}}",
        "must be a string or a list",
    ),
    "body list": ("body: {string: ok}", "body: {string: [1, 2]}", "body must be a string"),
    "timing nan": (
        "body: {string: ok}",
        "body: {string: ok}\n    sik_llms_timing: {headers_s: .nan, events_s: [1]}",
        "finite",
    ),
    "timing text": (
        "body: {string: ok}",
        "body: {string: ok}\n    sik_llms_timing: abc",
        "sik_llms_timing",
    ),
    "metadata list": ("version: 1", "metadata: [1]\nversion: 1", "'metadata' must be a mapping"),
    "interactions mapping": (
        "interactions:\n- request",
        "interactions: {}\nx:\n- request",
        "no 'interactions' list",
    ),
}
GOOD = HEAD + "    status: {code: 200}\n    body: {string: ok}\nversion: 1\n"


@pytest.mark.parametrize("case", list(BAD_FIELDS.values()), ids=list(BAD_FIELDS))
def test_every_field_the_loader_reads_is_validated_with_one_line(
    case: tuple[str, str, str],
) -> None:
    old, new, message = case
    assert old in GOOD
    with pytest.raises(CassetteError) as info:
        parse_cassette(GOOD.replace(old, new, 1))
    assert message in _one_line(info.value)


def test_the_good_cassette_of_these_cases_loads() -> None:
    assert parse_cassette(GOOD).interactions[0].response.body == b"ok"


@pytest.mark.parametrize("command", ["replay", "scan"])
def test_the_command_line_refuses_a_bomb_in_one_line_quickly(tmp_path: Path, command: str) -> None:
    path = _write(tmp_path, alias_bomb())
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", command, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "alias bomb" in result.stdout + result.stderr
