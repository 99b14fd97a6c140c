"""The Mailbox model between the POP3 session and the UI (no Textual here)."""

from popui.mailbox.model import Mailbox

__all__ = ["Mailbox"]
