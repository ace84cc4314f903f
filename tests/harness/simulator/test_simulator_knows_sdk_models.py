"""The simulator never answers 404 for a model the installed provider SDK offers."""

from __future__ import annotations

from harness.simulator.families import anthropic_model_known, openai_model_known
from sik_llms.sdk_catalog import sdk_models


def test_every_model_the_installed_sdks_list_is_known_to_the_simulator() -> None:
    known = {"openai": openai_model_known, "anthropic": anthropic_model_known}
    unknown = [name for name, provider in sdk_models().items() if not known[provider](name)]
    assert not unknown
    assert not openai_model_known("gpt-4o-typo") and not anthropic_model_known("claude-sonet-4-5")
