"""The filters typed this session, walked with up/down in the filter input as in a shell."""

from __future__ import annotations

from collections.abc import Iterable


class FilterHistory:
    """Newest last, no duplicates, at most ``limit`` entries.

    ``previous(current)`` steps back (keeping what was being typed as a draft), ``next()``
    steps forward and ends on that draft; ``add`` (when a filter is applied) resets the walk.
    """

    def __init__(self, entries: Iterable[str] = (), limit: int = 100) -> None:
        self.limit = limit
        self._entries: list[str] = []
        for entry in entries:
            self.add(entry)
        self._cursor: int | None = None
        self._draft = ""

    @property
    def entries(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def add(self, text: str) -> None:
        text = text.strip()
        self._cursor = None
        if not text:
            return
        if text in self._entries:
            self._entries.remove(text)
        self._entries.append(text)
        del self._entries[: -self.limit]

    def previous(self, current: str) -> str | None:
        """The entry before the one shown (``None`` when there is none: keep the input)."""
        if not self._entries:
            return None
        if self._cursor is None:
            self._draft = current
            self._cursor = len(self._entries)
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self._entries[self._cursor]

    def next(self) -> str | None:
        """The entry after the one shown; past the newest, the draft. ``None``: not walking."""
        if self._cursor is None:
            return None
        self._cursor += 1
        if self._cursor >= len(self._entries):
            self._cursor = None
            return self._draft
        return self._entries[self._cursor]
