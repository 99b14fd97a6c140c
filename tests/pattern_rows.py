"""A plain row with every field a pattern or a thread reads, for the pattern and thread tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(eq=False)
class FakeRow:
    subject: str = ""
    sender: str = ""
    sender_addr: str = ""
    to: str = ""
    cc: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    date: datetime | None = None
    size: int = 0
    marked: bool = False
    tagged: bool = False
    opened: bool = False
    body: str | None = None
