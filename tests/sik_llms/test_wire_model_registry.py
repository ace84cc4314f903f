"""A model registry that keeps up: every model the installed SDKs list is known to sik_llms,
deprecations come from the SDK's table (one warning per model), and prices exist only where
published, with their source; otherwise cost is None and a note says so once."""

from __future__ import annotations

import logging
import warnings

from harness.spans.capture import capture
from sik_llms import create_client, sdk_catalog, user_message
from sik_llms import models as registry
from sik_llms.models import MODELS, ModelProvider, get_model_info
from sik_llms.providers import Anthropic
from tests.sik_llms.wire_cases import (
    block_delta,
    block_start,
    message_delta,
    message_start,
    named_sse,
    serve,
)


def test_every_model_the_installed_sdks_list_is_known_with_its_provider() -> None:
    listed = sdk_catalog.sdk_models()
    assert {
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-sonnet-5",
        "claude-haiku-5-5",
        "gpt-5.5",
        "o3",
    } <= set(listed)
    for name, provider in listed.items():
        info = get_model_info(name)
        assert info is not None, name
        assert info.provider == ModelProvider(provider), name


def test_a_new_sdk_model_gets_a_client_and_an_unpriced_cost() -> None:
    client = create_client("claude-opus-4-8", api_key="sk-ant-test")
    assert isinstance(client, Anthropic)
    body = named_sse(
        message_start("claude-opus-4-8", 12),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "ok"}),
        message_delta("end_turn", 2),
    )
    with capture() as cap, serve(200, body):
        response = client([user_message("hi")])
    assert (response.input_tokens, response.output_tokens, response.total_cost) == (12, 2, None)
    request = next(s for s in cap.spans() if s.name == "llm.request")
    assert "llm.cost.total" not in request.attributes
    assert cap.metric_value("llm.cost", None, llm_model="claude-opus-4-8") is None


def test_the_unpriced_note_is_logged_once_per_model(caplog, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_noted", set())
    with caplog.at_level(logging.INFO, logger="sik_llms"):
        for _ in range(3):
            create_client("claude-sonnet-5", api_key="sk-ant-test")
    notes = [
        r for r in caplog.records if "no published price for claude-sonnet-5" in r.getMessage()
    ]
    assert len(notes) == 1


def test_every_price_has_a_source_and_no_price_is_borrowed_from_another_model() -> None:
    for info in MODELS:
        assert info.is_priced == (info.price_source is not None), info.name
        assert "assumed" not in str(info.metadata.get("price_note", "")), info.name
    assert get_model_info("claude-sonnet-4-6").price_source == (
        "https://platform.claude.com/docs/en/models/sonnet-4-6/overview"
    )
    assert get_model_info("claude-opus-4-8").is_priced is False  # the SDK lists it; no price here


def test_a_deprecated_model_warns_once_with_the_sdks_end_of_life_date(monkeypatch) -> None:
    monkeypatch.setattr(sdk_catalog, "_warned", set())
    assert get_model_info("claude-sonnet-4-5").deprecation_date == "2026-11-30"
    assert get_model_info("claude-sonnet-4-5-20250929").deprecation_date == "2026-11-30"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_client("claude-sonnet-4-5", api_key="sk-ant-test")
        create_client("claude-sonnet-4-5", api_key="sk-ant-test")
        create_client("claude-haiku-4-5", api_key="sk-ant-test")  # not deprecated: silent
    deprecations = [
        w for w in caught if issubclass(w.category, sdk_catalog.ModelDeprecationWarning)
    ]
    assert len(deprecations) == 1
    assert "2026-11-30" in str(deprecations[0].message) and "claude-sonnet-4-5" in str(
        deprecations[0].message
    )


def test_dates_in_the_sdks_spelling_become_iso_dates() -> None:
    assert sdk_catalog._iso("November 30th, 2026") == "2026-11-30"
    assert sdk_catalog._iso("January 22nd, 2027") == "2027-01-22"
    assert sdk_catalog._iso("June 1st, 2026") == "2026-06-01"
    assert sdk_catalog._iso("soon") is None
