"""Packaging that pyproject.toml cannot say on its own: the wheel's bundled project files.

The demo replays ``cassettes/`` and ``sik-llms load`` runs ``loadtests/locustfile.py``; both stay
where users of the repository see them, and the wheel carries them as the packages
``harness.bundled.cassettes`` (one subpackage per provider folder) and
``harness.bundled.loadtests``: a package-dir mapping, so each file exists once in the repository.
``harness.bundled`` finds them, installed or in a checkout. Everything else (metadata, extras,
scripts) is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

BUNDLED = {"harness.bundled.cassettes": "cassettes", "harness.bundled.loadtests": "loadtests"}
PROVIDERS = sorted(
    d.name for d in Path(__file__).parent.joinpath("cassettes").iterdir() if d.is_dir()
)

setup(
    packages=[
        *find_namespace_packages(include=["sik_llms", "sik_llms.*", "harness", "harness.*"]),
        *BUNDLED,
        *(f"harness.bundled.cassettes.{p}" for p in PROVIDERS),
    ],
    package_dir=BUNDLED,
    package_data={
        "harness": ["*.yaml", "*.toml", "**/*.yaml", "**/*.html"],
        **{f"harness.bundled.cassettes.{p}": ["*.yaml"] for p in PROVIDERS},
        "harness.bundled.loadtests": ["locustfile.py"],
    },
)
