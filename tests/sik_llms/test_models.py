"""The model registry: lookups, dated snapshots, prices, and every recorded model."""

from __future__ import annotations

import json

import pytest

from sik_llms.models import (
    MODELS,
    SUPPORTED_MODELS,
    ModelProvider,
    close_matches,
    get_model_info,
    provider_of,
    unknown_model_message,
)
from sik_llms.providers import anthropic as anthropic_provider
from sik_llms.providers import openai as openai_provider
from sik_llms.types import TextResponse
from tests.conftest import REAL


def test_original_table_is_present_with_its_prices() -> None:
    info = get_model_info("gpt-4o-mini")
    assert info is not None and info.name == "gpt-4o-mini-2024-07-18"
    assert (info.input_price, info.output_price, info.cache_read_price) == (0.15, 0.6, 0.075)
    opus = get_model_info("claude-opus-4-20250514")
    assert opus is not None and (
        opus.input_price,
        opus.output_price,
        opus.cache_read_price,
        opus.cache_write_price,
    ) == (15, 75, 1.5, 18.75)
    assert get_model_info("claude-3-7-sonnet-latest").max_output_extended_thinking == 64_000


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo-0125"),
        ("gpt-4-0613", "gpt-4-0613"),
        ("gpt-4.1-2025-04-14", "gpt-4.1-2025-04-14"),
        ("gpt-5-2025-08-07", "gpt-5-2025-08-07"),
        ("gpt-5.5-2026-04-23", "gpt-5.5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001"),
        ("claude-sonnet-4-6-20260101", "claude-sonnet-4-6"),
    ],
)
def test_dated_snapshots_resolve_to_their_family(name: str, family: str) -> None:
    info = get_model_info(name)
    assert info is not None, name
    assert info.name == family


def test_unknown_names_are_unknown_and_suggest_close_matches() -> None:
    assert get_model_info("claude-sonet-4-5") is None
    assert provider_of("this-model-does-not-exist") is None
    assert "claude-sonnet-4-5" in close_matches("claude-sonet-4-5")
    message = unknown_model_message("claude-sonet-4-5")
    assert "claude-sonnet-4-5" in message and "provider=" in message and "base_url" in message


def test_every_name_is_unique_and_aliases_point_back() -> None:
    for info in MODELS:
        for alias in info.aliases:
            assert SUPPORTED_MODELS[alias] is info
        assert isinstance(info.provider, ModelProvider)


def _manifest_models() -> list[tuple[str, str, int]]:
    manifest = REAL / "MANIFEST.jsonl"
    if not manifest.is_file():
        pytest.skip(f"real recordings not present at {REAL}")
    out = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for key in ("model", "request_model"):
            out.append((row[key], row["provider"], int(row["http_status"])))
    return out


def test_every_model_named_by_the_recordings_is_registered() -> None:
    for name, provider, status in _manifest_models():
        if status == 404:  # 404s name models that do not exist, by design
            continue
        info = get_model_info(name)
        if name == "this-model-does-not-exist":
            assert info is None
            continue
        assert info is not None, name
        assert info.provider == provider, name


def test_openai_cached_tokens_are_never_charged_twice() -> None:
    info = get_model_info("gpt-4o-mini")
    r = TextResponse()
    openai_provider.fill_usage(
        r, info, input_tokens=1_000_000, output_tokens=1_000_000, cached=400_000, reasoning=0
    )
    assert r.input_tokens == 1_000_000 and r.cache_read_tokens == 400_000
    assert r.input_cost == pytest.approx(0.6 * 0.15)
    assert r.cache_read_cost == pytest.approx(0.4 * 0.075)
    assert r.output_cost == pytest.approx(0.6)
    assert r.total_cost == pytest.approx(0.09 + 0.03 + 0.6)
    assert r.input_tokens_total == 1_000_000 and r.total_tokens == 2_000_000  # cached counted once


def test_anthropic_cache_reads_and_writes_have_their_own_prices() -> None:
    info = get_model_info("claude-sonnet-4-5")
    r = TextResponse()
    anthropic_provider.fill_usage(
        r,
        info,
        input_tokens=1_000_000,
        output_tokens=0,
        cache_read=2_000_000,
        cache_write=1_000_000,
    )
    assert r.input_cost == pytest.approx(3)
    assert r.cache_read_cost == pytest.approx(0.6)
    assert r.cache_write_cost == pytest.approx(3.75)
    assert r.total_cost == pytest.approx(7.35)
    assert r.input_tokens_total == 4_000_000 and r.total_tokens == 4_000_000


def test_unpriced_models_have_no_cost() -> None:
    r = TextResponse()
    openai_provider.fill_usage(
        r, get_model_info("gpt-6-sol"), input_tokens=10, output_tokens=10, cached=0, reasoning=0
    )
    assert r.total_cost is None  # known from the SDK's model list, no published price here
    openai_provider.fill_usage(r, None, input_tokens=10, output_tokens=10, cached=0, reasoning=0)
    assert r.total_cost is None
