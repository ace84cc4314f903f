"""A model registry that keeps up: every model the installed SDKs list is known to sik_llms,
deprecations come from the SDK's table (one warning per model), and prices exist only where
published, with their source; otherwise cost is None and a note says so once."""

from __future__ import annotations

import asyncio
import logging
import warnings

import pytest

from harness.spans.capture import capture
from sik_llms import create_client, sdk_catalog, user_message
from sik_llms import models as registry
from sik_llms.models import MODELS, ModelProvider, get_model_info
from sik_llms.providers import Anthropic
from tests.conftest import REAL, needs_real
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
    assert not [k for k in request.attributes if "cost" in k]  # absent, never 0
    assert not [s for s in cap.spans() if any("cost" in k for k in s.attributes)]
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


def _anthropic_answer(model: str) -> bytes:
    return named_sse(
        message_start(model, 12),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": "ok"}),
        message_delta("end_turn", 2),
    )


@pytest.mark.filterwarnings("always::sik_llms.sdk_catalog.ModelDeprecationWarning")
def test_a_deprecated_model_warns_once_whichever_entry_points_the_caller_uses() -> None:
    # the dated snapshot and its alias are one model to the SDK's table
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = create_client("claude-sonnet-4-5", api_key="sk-ant-test", stream=True)
        with serve(200, _anthropic_answer("claude-sonnet-4-5")):
            client([user_message("hi")])
            asyncio.run(client.run_async([user_message("hi")]))
            list(client.stream_sync([user_message("hi")]))

            async def drain() -> None:
                async for _ in client.stream([user_message("hi")]):
                    pass

            asyncio.run(drain())
            again = create_client("claude-sonnet-4-5", api_key="sk-ant-test")
            again([user_message("hi")])
    deprecations = [
        w for w in caught if issubclass(w.category, sdk_catalog.ModelDeprecationWarning)
    ]
    assert len(deprecations) == 1, [str(w.message) for w in deprecations]
    assert "2026-11-30" in str(deprecations[0].message)
    assert "anthropic._data.DEPRECATED_MODELS" in str(deprecations[0].message)


def test_openais_documented_shutdown_dates_are_carried_without_a_warning() -> None:
    # The OpenAI SDK documents these in its model types ("Deprecated values") but never warns.
    assert get_model_info("gpt-4o-mini").deprecation_date == "2027-01-14"
    assert get_model_info("gpt-4o-mini-2024-07-18").deprecation_date == "2027-01-14"
    assert sdk_catalog.deprecation("gpt-5.1-mini").date is None  # "Not a supported model ID"
    assert get_model_info("gpt-5.4-mini").deprecation_date is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_client("gpt-4o-mini", api_key="sk-test")
    assert not [w for w in caught if issubclass(w.category, sdk_catalog.ModelDeprecationWarning)]


def test_the_openai_deprecation_text_parses_names_and_dates() -> None:
    text = '''
    """Deprecated values:

    - "gpt-a", "gpt-b",
      "gpt-c": Announced shutdown date: 2027-04-01. See
      https://example.invalid for details.
    - "gpt-d": Not a supported model ID. Retained for SDK compatibility.
    - "gpt-e": Announced shutdown
      date: 2026-03-26. See https://example.invalid.
    """
    '''
    assert sdk_catalog._openai_doc_deprecations(text) == {
        "gpt-a": "2027-04-01",
        "gpt-b": "2027-04-01",
        "gpt-c": "2027-04-01",
        "gpt-d": None,
        "gpt-e": "2026-03-26",
    }


def test_every_model_the_sdks_list_gets_a_client_of_its_provider() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sdk_catalog.ModelDeprecationWarning)
        for name, provider in sdk_catalog.sdk_models().items():
            client = create_client(name, api_key="sk-test")
            assert type(client).__module__.endswith(provider), (name, type(client))


@needs_real
def test_the_registry_prices_match_the_original_sik_llms_table() -> None:
    # ../shared/reference/sik-llms-original.md, section 2: the prices the original package shipped.
    text = (REAL.parent / "reference" / "sik-llms-original.md").read_text(encoding="utf-8")
    table = text.split("## 2. Models", 1)[1].split("```tsv", 1)[1].split("```", 1)[0]
    header, *rows = [line.split("\t") for line in table.strip().splitlines()]
    assert len(rows) == 13
    for row in rows:
        ref = dict(zip(header, row, strict=True))
        info = get_model_info(ref["model"])
        assert info is not None and info.name == ref["model"], ref["model"]

        def price(value: str) -> float | None:
            return None if value == "-" else float(value)

        assert (
            info.input_price,
            info.output_price,
            info.cache_read_price,
            info.cache_write_price,
        ) == (
            price(ref["input_usd_per_mtok"]),
            price(ref["output_usd_per_mtok"]),
            price(ref["cache_read_usd_per_mtok"]),
            price(ref["cache_write_usd_per_mtok"]),
        ), ref["model"]
        assert info.price_source and "sik-llms-original" in info.price_source, ref["model"]
