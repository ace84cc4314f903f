"""Our examples, scenarios, defaults, cassettes and docs name current models: ones the installed
SDKs list and do not mark deprecated (``sik_llms.sdk_catalog``: Anthropic's deprecation table,
OpenAI's documented "Deprecated values"). Read from the SDKs at test time, never a copied list,
so an SDK upgrade that deprecates one of our models fails here until we move on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from harness.bench.model import MODELS as BENCH_MODELS
from harness.cassettes.suite import MODELS as SUITE_MODELS
from harness.load.users import DEFAULT_MODELS as LOAD_MODELS
from harness.simulator import anthropic_wire, openai_wire
from sik_llms.models import get_model_info
from sik_llms.sdk_catalog import deprecated_models, sdk_models
from tests.conftest import ROOT

#: Where examples live (text scanned for every model name an SDK marks deprecated). The
#: simulator's other modules are left out on purpose: its name grammar and behaviour notes must
#: cover every real model, old ones included; its defaults are checked below.
EXAMPLE_GLOBS = (
    "README.md",
    "docs/*.md",
    "cassettes/**/*.yaml",
    "harness/simulator/scenarios/*.yaml",
    "harness/demo/*.py",
    "harness/cassettes/*.py",
    "harness/load/*.py",
    "harness/bench/*.py",
    "harness/simulator/__init__.py",
    "harness/simulator/throughput.py",
    "loadtests/*.py",
    ".ci/*.sh",
)
#: Files that quote the guide (seed/otel_101.md), whose examples name the models of its day; the
#: quote is the point, so the names stay (each with why).
QUOTES = {
    "docs/guide.md": "explains the guide's CostBasedSampler, which tests 'gpt-4' in 'gpt-4o-mini'",
    "harness/samplers.py": "the guide's CostBasedSampler, as printed",
    "harness/demo/tour.py": "its sampler note quotes the guide's 'gpt-4' in 'gpt-4o-mini' test",
}


def _example_files() -> list[Path]:
    files = {p for pattern in EXAMPLE_GLOBS for p in ROOT.glob(pattern) if p.is_file()}
    return sorted(p for p in files if p.relative_to(ROOT).as_posix() not in QUOTES)


def _named(text: str, names: set[str]) -> set[str]:
    """Which of ``names`` appear in ``text`` as a whole model name (not inside a longer one)."""
    found = set()
    for token in re.findall(r"[A-Za-z0-9][A-Za-z0-9.:_-]*[A-Za-z0-9]", text):
        if token in names:
            found.add(token)
    return found


def test_the_sdks_deprecation_tables_are_read_and_nonempty() -> None:
    table = deprecated_models()
    providers = {sdk_models().get(name) for name in table}
    assert {"openai", "anthropic"} <= providers  # both SDKs contribute
    assert all(d.date is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.date) for d in table.values())


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_example_names_a_model_the_installed_sdk_marks_deprecated(path: Path) -> None:
    table = deprecated_models()
    named = _named(path.read_text(encoding="utf-8"), set(table))
    assert not named, {
        name: f"deprecated, end of life {table[name].date} ({table[name].source})" for name in named
    }


def _defaults() -> dict[str, str]:
    models = {
        f"suite {p}/{kind}": m for p, kinds in SUITE_MODELS.items() for kind, m in kinds.items()
    }
    models |= {f"simulator openai listing {m}": m for m in openai_wire.DEFAULT_MODELS}
    models |= {f"simulator anthropic listing {m}": m for m in anthropic_wire.DEFAULT_MODELS}
    models |= {f"load {kind}": m for kind, m in LOAD_MODELS.items()}
    models |= {f"bench {p}": m for p, m in BENCH_MODELS.items()}
    return models


def _cassette_models() -> dict[str, str]:
    """Every model a project cassette's requests name."""
    found = {}
    for path in sorted((ROOT / "cassettes").glob("**/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, interaction in enumerate(data.get("interactions", [])):
            body = interaction["request"].get("body") or ""
            match = re.search(r'"model"\s*:\s*"([^"]+)"', body if isinstance(body, str) else "")
            if match:
                found[f"{path.relative_to(ROOT)}#{i}"] = match.group(1)
    return found


def test_every_default_and_recorded_model_is_current_and_listed_by_its_sdk() -> None:
    listed, table = sdk_models(), deprecated_models()
    models = _defaults() | _cassette_models()
    assert len(models) > 30
    stale = {where: m for where, m in models.items() if m not in listed or m in table}
    assert not stale, stale


def test_the_suites_models_have_a_published_price() -> None:
    # The suite's "expensive" scenario prints a cost, and the demo's sampler sorts by price.
    for kinds in SUITE_MODELS.values():
        for model in kinds.values():
            info = get_model_info(model)
            assert info is not None and info.is_priced and info.price_source, model
