"""The parsed form of a pattern: a small tree of frozen nodes.

The parser builds it, the compiler turns it into a predicate, and the tests' reference evaluator
walks it directly. Dates are absolute instants here: relative dates (``<3d``) were resolved
against "now" when the pattern was parsed.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

Field = Literal["subject", "sender", "sender_addr", "to", "cc", "message_id", "body"]
FlagName = Literal["marked", "tagged", "new"]

#: The row fields each text pattern letter searches; "" is a plain word.
TEXT_FIELDS: dict[str, tuple[Field, ...]] = {
    "f": ("sender", "sender_addr"),
    "s": ("subject",),
    "t": ("to",),
    "c": ("cc",),
    "C": ("to", "cc"),
    "i": ("message_id",),
    "b": ("body",),
    "": ("sender", "sender_addr", "subject"),
}

FLAGS: dict[str, FlagName] = {"D": "marked", "T": "tagged", "N": "new"}


class Everything(Struct, frozen=True):
    """``~A``: every message."""


class Flag(Struct, frozen=True):
    """``~D`` marked for deletion, ``~T`` tagged, ``~N`` never opened here."""

    name: FlagName


class Text(Struct, frozen=True):
    """Text in some fields: a case-insensitive substring, or a regular expression.

    ``letter`` is the pattern letter (``"s"`` for ``~s``; ``""`` for a plain word).
    """

    letter: str
    needle: str
    regex: bool

    @property
    def fields(self) -> tuple[Field, ...]:
        return TEXT_FIELDS[self.letter]


class Size(Struct, frozen=True):
    """``~z`` and the bare size terms: ``low <= size <= high`` (``None``: no bound)."""

    low: int | None
    high: int | None


class Date(Struct, frozen=True):
    """``~d``: ``low <= date < high`` as POSIX timestamps (``None``: no bound)."""

    low: float | None
    high: float | None


class Not(Struct, frozen=True):
    child: Node


class And(Struct, frozen=True):
    children: tuple[Node, ...]


class Or(Struct, frozen=True):
    children: tuple[Node, ...]


Node = Everything | Flag | Text | Size | Date | Not | And | Or


def uses_body(node: Node) -> bool:
    """True when evaluating ``node`` may need a message's body text."""
    if isinstance(node, Text):
        return node.letter == "b"
    if isinstance(node, Not):
        return uses_body(node.child)
    if isinstance(node, And | Or):
        return any(uses_body(child) for child in node.children)
    return False
