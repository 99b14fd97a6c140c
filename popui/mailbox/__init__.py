"""The Mailbox model between the POP3 session and the UI (no Textual here).

`Mailbox` is imported on first use, so the parser process (`popui.mailbox.parser_process`, a
child of its own) starts without the session, the store and the rest (245 ms, 9 MB).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from popui.mailbox.model import Mailbox

__all__ = ["Mailbox"]


def __getattr__(name: str) -> object:
    if name == "Mailbox":
        from popui.mailbox.model import Mailbox

        return Mailbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
