"""The ``llm_cassette`` marker's keywords as ``use_cassette`` arguments, and the one-line
messages for bad input (pure logic: the pytest plugin turns a ``MarkerError`` or a message into
a failed test with no traceback).

Accepted keywords are read from ``use_cassette``'s parameters and ``MatchConfig``'s fields, so
they cannot drift from what the engine takes; the matching ones become a ``MatchConfig``
(``ignore_fields`` adds to the default volatile fields).
"""

from __future__ import annotations

from dataclasses import fields, replace
from difflib import get_close_matches
from functools import cache
from inspect import signature
from pathlib import Path
from typing import Any

from harness.cassettes.format import CassetteNotFoundError
from harness.cassettes.match import DEFAULT_VOLATILE_FIELDS, MatchConfig
from harness.cassettes.session import MODES, TIMINGS, UNUSED_POLICIES, use_cassette


class MarkerError(ValueError):
    """A keyword or value ``@pytest.mark.llm_cassette`` does not accept; the text is one line."""


def marker_keywords() -> list[str]:
    """Every keyword the marker accepts: ``use_cassette``'s parameters and ``MatchConfig``'s
    fields (the harness reference documents each; a test checks it)."""
    return list(_keywords())


@cache
def _keywords() -> tuple[str, ...]:  # read once per process, not per test
    session = [p for p in signature(use_cassette).parameters if p not in ("path", "hint")]
    return tuple(dict.fromkeys([*session, *(f.name for f in fields(MatchConfig))]))


def cassette_options(marker_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The marker's keywords (``name`` included) as ``use_cassette`` keyword arguments, less
    ``mode`` and ``timing`` (the plugin resolves those with the command line)."""
    kwargs = dict(marker_kwargs)
    accepted = list(dict.fromkeys([*marker_keywords(), "name"]))
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        close = [get_close_matches(u, accepted, n=1) for u in unknown]
        hints = "".join(f" (did you mean {c[0]}?)" for c in close if c)
        raise MarkerError(
            f"@pytest.mark.llm_cassette got unknown keyword(s) {', '.join(unknown)}{hints}; "
            f"accepted: {', '.join(accepted)}"
        )
    for key, allowed in (("mode", MODES), ("timing", TIMINGS), ("unused", UNUSED_POLICIES)):
        if key in kwargs and kwargs[key] not in allowed:
            raise MarkerError(
                f"@pytest.mark.llm_cassette({key}={kwargs[key]!r}): {key} must be one of "
                f"{', '.join(allowed)}"
            )
    match_names = [f.name for f in fields(MatchConfig)]
    options = {k: kwargs.pop(k) for k in match_names if k in kwargs}
    for key in ("ignore_fields", "match_headers", "ignore_query"):
        if isinstance(options.get(key), str):
            options[key] = (options[key],)
        if key in options:
            options[key] = tuple(options[key])
    if "ignore_fields" in options:
        options["ignore_fields"] = tuple(
            dict.fromkeys([*DEFAULT_VOLATILE_FIELDS, *options["ignore_fields"]])
        )
    if options:
        kwargs["match"] = replace(kwargs.get("match") or MatchConfig(), **options)
    kwargs.pop("timing", None)
    kwargs.pop("mode", None)
    return kwargs


def unusable_message(
    path: Path,
    exc: BaseException,
    *,
    root: Path,
    nodeid: str,
    known: list[Path],
    update: str = "",
) -> str:
    """One line: why the cassette at ``path`` cannot be used and the command that fixes it.

    ``known``: the cassettes that exist (the nearest is suggested for a missing one);
    ``update``: extra arguments of the command (`` --snapshot-update`` for syrupy tests).
    """

    def shown(p: Path) -> str:
        return str(p.relative_to(root) if p.is_relative_to(root) else p)

    command = f"pytest '{nodeid}' --llm-record-mode"
    if isinstance(exc, CassetteNotFoundError):
        close = get_close_matches(shown(path), [shown(p) for p in known], n=1, cutoff=0.6)
        guess = f" (did you mean {close[0]}?)" if close else ""
        return (
            f"sik-llms: no cassette {shown(path)}{guess}; fix the name in "
            f"@pytest.mark.llm_cassette, or record it: {command}=once{update} (outside CI)"
        )
    text = " ".join(str(exc).split()).removeprefix(f"{path}: ")
    return (
        f"sik-llms: cannot use cassette {shown(path)}: {text} "
        f"(to re-record it: {command}=all{update})"
    )


__all__ = ["MarkerError", "cassette_options", "marker_keywords", "unusable_message"]
