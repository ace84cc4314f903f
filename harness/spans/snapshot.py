"""A syrupy extension that stores span trees as readable ``.txt`` files, one per assertion.

``assert capture.tree() == snapshot`` uses it automatically (``SpanTree.__eq__`` switches the
assertion to this extension); ``snapshot(extension_class=SpanTreeSnapshot)`` works for any
text. ``pytest --snapshot-update`` writes or accepts changes. The text is the deterministic
plain rendering, written with ``\\n`` line endings in UTF-8, so files are byte-identical
across runs, machines and xdist workers.
"""

from __future__ import annotations

from typing import Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class SpanTreeSnapshot(SingleFileSnapshotExtension):
    """Text snapshot of a span tree (or any string), in ``__snapshots__/<test file>/<test>.txt``."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    def serialize(self, data: Any, **kwargs: Any) -> str:
        text = data.render() if hasattr(data, "render") else data
        if not isinstance(text, str):
            raise TypeError(
                f"SpanTreeSnapshot stores span trees or text, not {type(data).__name__}"
            )
        return text.replace("\r\n", "\n")


__all__ = ["SpanTreeSnapshot"]
