"""Checks a long command makes on its output paths before it starts, so a run is never lost to a
path it cannot write at the end. Each returns None when fine, else one line saying what is wrong."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["check_output_dir", "check_output_file"]


def check_output_dir(path: Path) -> str | None:
    """``path`` is (or can be made) a directory we can write files into."""
    if path.exists() and not path.is_dir():
        return f"{path} exists and is not a directory: choose another output directory"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"cannot write into {path}: {exc.strerror or exc}"
    return None


def check_output_file(path: Path) -> str | None:
    """``path`` is a file we can create or overwrite (its folder is made if missing)."""
    if path.is_dir():
        return f"{path} is a directory: give a file name"
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a"):
            pass
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    if not existed:
        os.unlink(path)
    return None
