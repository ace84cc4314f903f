"""Helpers for the plugin tests: one recorded interaction of the project's cassettes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.cassettes import load_cassette
from tests.conftest import ROOT

#: the project cassettes every instrumentation reads (one per provider)
OPENAI = "openai/text"
ANTHROPIC = "anthropic/text"


@dataclass(frozen=True)
class Recording:
    """The first interaction of a project cassette: what was sent and what came back."""

    path: str
    body: dict
    answer: dict

    @property
    def model(self) -> str:
        return self.body["model"]

    @property
    def prompt(self) -> str:
        return self.body["messages"][-1]["content"]

    def usage(self) -> tuple[int, int]:
        usage = self.answer["usage"]
        if "prompt_tokens" in usage:
            return usage["prompt_tokens"], usage["completion_tokens"]
        return usage["input_tokens"], usage["output_tokens"]


def recording(name: str) -> Recording:
    interaction = load_cassette(ROOT / "cassettes" / f"{name}.yaml").interactions[0]
    answer = interaction.response.json()
    assert isinstance(answer, dict), f"{name}: the first answer is not one JSON body"
    return Recording(urlsplit(interaction.request.uri).path, interaction.request.json(), answer)
