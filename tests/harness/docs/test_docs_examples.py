"""The worked examples of docs/harness-any-code.md run as written, as a user's project would.

Each example (one app module and its test file, each block headed by ``# <file>.py``) is
written into a fresh directory, recorded once against the simulator with ``--snapshot-update``,
then replayed with no key and no network (``unshare -rn`` where available): the replay passes
and leaves the cassette and the snapshot byte-identical. So an example that rots fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.harness.conftest import project_files, run_offline, run_recording

PAGE = ROOT / "docs" / "harness-any-code.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
#: the kinds of app the page must have one example for, by heading
KINDS = {
    "sik_llms": "sik_llms",
    "Raw `openai` with openai-v2": "openai-v2",
    "Raw `anthropic` with its own tracing": "anthropic-sdk",
    "OpenLLMetry": "openllmetry",
}


def worked_examples() -> dict[str, dict[str, str]]:
    """``{heading: {file name: code}}`` for the Python blocks under ``## Worked examples``."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\n## Worked examples\n", 1)[1].split("\n## ", 1)[0]
    examples: dict[str, dict[str, str]] = {}
    for part in re.split(r"^### ", section, flags=re.M)[1:]:
        heading, body = part.split("\n", 1)
        files = examples.setdefault(heading.strip(), {})
        for lang, code in _FENCE.findall(body):
            if lang != "python":
                continue
            name = re.fullmatch(r"# (\w+\.py)", code.split("\n", 1)[0].strip())
            assert name, f"{heading}: a Python block must start with '# <file>.py'"
            files[name.group(1)] = code
    return examples


EXAMPLES = worked_examples()


def test_the_page_has_one_worked_example_per_kind_of_app() -> None:
    assert list(EXAMPLES) == list(KINDS)
    for heading, files in EXAMPLES.items():
        tests = [name for name in files if name.startswith("test_")]
        assert len(tests) == 1 and len(files) == 2, f"{heading}: one app module and its test"


@pytest.mark.parametrize("heading", list(KINDS), ids=list(KINDS.values()))
def test_a_worked_example_records_once_then_replays_offline_unchanged(
    heading: str, tmp_path: Path
) -> None:
    from harness.simulator import Simulator

    for name, code in EXAMPLES[heading].items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\npythonpath = .\n", encoding="utf-8")

    with Simulator() as sim:
        recorded = run_recording(tmp_path, sim, "--llm-record-mode=once", "--snapshot-update")
    assert recorded.returncode == 0, recorded.stdout[-3000:] + recorded.stderr[-2000:]
    assert "1 passed" in recorded.stdout
    cassettes = project_files(tmp_path / "cassettes", "*.yaml")
    snapshots = project_files(tmp_path / "__snapshots__", "*.txt")
    assert len(cassettes) == 1 and len(snapshots) == 1, (sorted(cassettes), sorted(snapshots))

    replayed = run_offline(tmp_path)
    assert replayed.returncode == 0, replayed.stdout[-3000:] + replayed.stderr[-2000:]
    assert "1 passed" in replayed.stdout
    assert project_files(tmp_path / "__snapshots__", "*.txt") == snapshots
    assert project_files(tmp_path / "cassettes", "*.yaml") == cassettes
