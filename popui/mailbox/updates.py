"""Plain-data updates the Mailbox hands the UI, besides the session's own events.

Everything the UI learns comes through `Mailbox.deliver` on the UI thread, in order: the
session's events (`popui.pop3.events`), with header blocks already parsed, and these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from popui.pop3.events import Event

if TYPE_CHECKING:
    from popui.mail.headers import SummaryRow
    from popui.mail.preview import Preview


class HeadersParsed(Event, frozen=True):
    """Rows' header summaries (compact, `HeaderSummary.to_row`), from the server or
    (``cached``) from the local cache."""

    rows: tuple[tuple[str, SummaryRow], ...]
    cached: bool = False
    listing: int = 0
    """The listing they belong to (a cache read for an older listing is dropped)."""


class FirstLines(Event, frozen=True):
    """The headers and first lines of a message just retrieved (``first_screens``), made on
    the events thread and told just before its ``MessageRetrieved``: the full view shows them
    without parsing anything on the UI's side first."""

    uid: str
    preview: Preview


class CacheDone(Event, frozen=True):
    """The cache has been read for a listing: what it lacked is asked of the server now."""

    listing: int


class OpenedLoaded(Event, frozen=True):
    """UIDLs of messages opened in an earlier session."""

    keys: frozenset[str]


class MarksLoaded(Event, frozen=True):
    """Delete marks saved by an earlier session (a quit that kept them, a crash, a kill)."""

    keys: frozenset[str]


class ChoicesLoaded(Event, frozen=True):
    """What the user chose earlier for this account (``no-top``: "retr" or "sizes")."""

    choices: tuple[tuple[str, str], ...]


class MarksChanged(Event, frozen=True):
    """The marks changed by something other than the user's own key (restored, dropped,
    committed): the list repaints them and the status counts them again."""

    message: str = ""
    severity: str = "information"


class StoreProblem(Event, frozen=True):
    """The local store could not be read or written; popui goes on without it."""

    message: str


class CopyProgress(Event, frozen=True):
    """A copy job moved on: ``uid`` was just written ("" while a message is still arriving)."""

    job: int
    uid: str
    done: int
    total: int
    bytes_done: int
    bytes_total: int
    retrieved: bool = True
    """RETR was used for it (the server marks a message seen)."""
    save: bool = False
    """A save: ``uid`` is marked for deletion now that it is on disk (so quitting halfway
    keeps the marks of what was saved)."""


class CopyDone(Event, frozen=True):
    """A copy job ended. ``copied`` are on disk and fsynced; ``skipped`` are ``(key, reason)``
    for messages that could not be read; ``error`` says why the job stopped early ("" when it
    did not). A save marks exactly ``copied`` for deletion."""

    job: int
    dest: str
    kind: str
    copied: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    error: str
    save: bool
    size: int
