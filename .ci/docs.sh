#!/usr/bin/env bash
# Build the documentation site strictly: a broken link, a missing anchor, a page left out of
# the nav or a missing generated table (docs/generated/*.md) fails the build.
# Needs the project's .venv (./dev sets it up with the dev extras, which include docs).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict -d "$out"
echo "docs: mkdocs build --strict passed"
