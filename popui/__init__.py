"""popui: a terminal mail browser for POP3 mailboxes."""

__version__ = "0.1.0"
