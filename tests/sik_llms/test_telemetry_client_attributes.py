"""Clients made alike share their constant span attributes, and never share a stale or
differently-typed one (sik_llms.telemetry.attributes)."""

from __future__ import annotations

from sik_llms import create_client
from sik_llms.redact import REDACTED, register_secret, secrets_generation
from sik_llms.telemetry import names as n
from sik_llms.telemetry.attributes import client_attributes

KEY = "sk-test-0000"


def _attrs(**kwargs):
    client = create_client("gpt-4o-mini", api_key=KEY, stream=False, **kwargs)
    return client_attributes(client, semconv=False)


def test_two_clients_made_alike_share_one_set_of_attributes() -> None:
    assert _attrs(temperature=0.5) is _attrs(temperature=0.5)


def test_different_settings_or_conventions_get_their_own() -> None:
    first = _attrs(temperature=0.5)
    assert _attrs(temperature=0.7) is not first
    client = create_client("gpt-4o-mini", api_key=KEY, stream=False, temperature=0.5)
    assert client_attributes(client, semconv=True) is not first
    assert client_attributes(client, semconv=False, lean=True) is not first


def test_an_integer_and_a_float_setting_keep_their_own_types() -> None:
    as_int = _attrs(temperature=1)
    as_float = _attrs(temperature=1.0)
    assert type(as_int.inference[n.GEN_AI_REQUEST_TEMPERATURE]) is int
    assert type(as_float.inference[n.GEN_AI_REQUEST_TEMPERATURE]) is float


def test_a_newly_registered_secret_is_redacted_from_attributes_built_before_it() -> None:
    secret = "tenant-a-9f8e7d6c5b4a39281706"
    model = f"ft:gpt-4o-mini:{secret}"
    before = client_attributes(
        create_client(model, api_key=KEY, stream=False, provider="openai"), semconv=False
    )
    assert secret in before.inference[n.GEN_AI_REQUEST_MODEL]
    generation = secrets_generation()
    register_secret(secret)
    assert secrets_generation() != generation
    register_secret(secret)  # known already: nothing changes, caches stay warm
    after = client_attributes(
        create_client(model, api_key=KEY, stream=False, provider="openai"), semconv=False
    )
    assert after is not before
    assert after.inference[n.GEN_AI_REQUEST_MODEL] == f"ft:gpt-4o-mini:{REDACTED}"
