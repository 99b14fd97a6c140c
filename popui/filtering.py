"""The list's filter: a compiled pattern over rows, with ``~D``/``~T`` read from the Mailbox's
sets (rows do not carry marks or tags themselves).

No Textual here. Only a pattern that tests a mark or a tag pays for the small adapter below;
every other pattern runs on the rows as they are.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from popui.patterns import FilterResult, Pattern
from popui.patterns.nodes import And, Flag, Node, Not, Or
from popui.rows import Row


def uses_flags(node: Node) -> bool:
    """True when ``node`` tests a mark (``~D``) or a tag (``~T``)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Flag) and item.name in ("marked", "tagged"):
            return True
        if isinstance(item, Not):
            stack.append(item.child)
        elif isinstance(item, And | Or):
            stack.extend(item.children)
    return False


class FlaggedRow:
    """A row as a pattern sees it, with its mark and tag from the Mailbox's sets."""

    __slots__ = ("marked", "row", "tagged")

    def __init__(self, row: Row, marked: bool, tagged: bool) -> None:
        self.row = row
        self.marked = marked
        self.tagged = tagged

    @property
    def subject(self) -> str:
        return self.row.subject

    @property
    def sender(self) -> str:
        return self.row.sender

    @property
    def sender_addr(self) -> str:
        return self.row.sender_addr

    @property
    def to(self) -> str:
        return self.row.to

    @property
    def cc(self) -> str:
        return self.row.cc

    @property
    def message_id(self) -> str:
        return self.row.message_id

    @property
    def date(self) -> datetime | None:
        return self.row.date

    @property
    def size(self) -> int:
        return self.row.size

    @property
    def opened(self) -> bool:
        return self.row.opened

    @property
    def body(self) -> str | None:
        return self.row.body


@dataclass(frozen=True)
class Filtered:
    """The rows a filter shows (in the order given) of ``total``; see ``FilterResult``."""

    rows: list[Row]
    total: int
    unsearched: int = 0

    def counts(self) -> str:
        """``12 of 340`` and the bodies ``~b`` could not search, for the status bar."""
        shown = cast("list[FlaggedRow]", self.rows)  # counts() only takes len() of them
        return FilterResult(shown, self.total, self.unsearched).counts()


def filter_rows(
    pattern: Pattern,
    rows: Sequence[Row],
    marks: Container[str] = frozenset(),
    tags: Container[str] = frozenset(),
) -> Filtered:
    """The rows ``pattern`` shows, in the order given, and the counts for the status bar."""
    if not uses_flags(pattern.node):
        # Rows have no marked/tagged fields, and a pattern without ~D/~T never reads them.
        plain = pattern.filter(cast("Sequence[FlaggedRow]", rows))
        return Filtered(cast("list[Row]", plain.rows), plain.total, plain.unsearched)
    flagged = [FlaggedRow(row, row.uid in marks, row.uid in tags) for row in rows]
    result = pattern.filter(flagged)
    return Filtered([item.row for item in result.rows], result.total, result.unsearched)
