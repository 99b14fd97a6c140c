"""Keeping mail from the main screen (issue 10): tags (``t`` ``T`` ``Ctrl+T``), copy (``C``),
save (``s``: copy, then mark for deletion) and pipe (``|``). `MainScreen` inherits these
actions and handlers; the keys are in `popui.commands`.

Copying reads each message with ``RETR`` (the server marks it seen; the prompt says so) through
the Mailbox's copy jobs, written by the same writers as ``popui fetch``; a save marks exactly
the messages that are safely on disk. Nothing here touches the disk or the network itself.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.notifications import SeverityLevel
from textual.screen import Screen

from popui import messages as msg
from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.pop3.requests import Retrieve
from popui.rows import Row
from popui.sizes import human_size
from popui.widgets.message_list import MessageList
from popui.widgets.status_bar import StatusBar

RETR_NOTE = ("Copying reads each message with RETR: the server marks {it} as seen "
             "(previews never do).")
SAVE_NOTE = ("Then {it} marked for deletion, only once safely on disk; nothing is deleted on "
             "the server until you commit ($).")
#: messages named at most in a copy's report
NAMED = 5


def _messages(count: int) -> str:
    return f"{count} message{'' if count == 1 else 's'}"


def copy_notes(count: int, *, save: bool, retrieved: bool = False) -> list[str]:
    """The prompt's warnings: RETR marks seen (unless the bytes are at hand), a save marks."""
    notes = [] if retrieved else [RETR_NOTE.format(it="it" if count == 1 else "them")]
    if save:
        notes.append(SAVE_NOTE.format(it="it is" if count == 1 else "they are"))
    return notes


def copy_title(rows: list[Row], *, save: bool, tagged: bool) -> str:
    verb = "Save" if save else "Copy"
    if tagged or len(rows) > 1:
        size = human_size(sum(row.size for row in rows))
        what = "tagged messages" if tagged else "messages of this collapsed thread"
        if len(rows) == 1:
            what = "tagged message"
        return f"{verb} {len(rows)} {what} ({size}) to:"
    row = rows[0]
    return f"{verb} “{row.subject or '(no subject)'}” ({human_size(row.size)}) to:"


def default_destination(mailbox: Mailbox) -> str:
    return mailbox.copy_target or "~/Mail/saved/"


class KeepingActions(Screen[None]):
    """Tag, copy, save and pipe. Needs the subclass's ``mailbox`` and ``update_marks_status``."""

    mailbox: Mailbox

    def update_marks_status(self) -> None:
        """The subclass shows the marks' count (copying with ``s`` marks)."""

    @property
    def _list(self) -> MessageList:
        return self.query_one("#messages", MessageList)

    @property
    def _status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    # -- tags --------------------------------------------------------------------------------

    def _tags_edited(self, keys: list[str] | None = None) -> None:
        self._list.refresh_rows(keys or ())
        self._status.update_status(tagged=len(self.mailbox.tags))

    def _current_keys(self) -> list[str]:
        """The current message; on a collapsed thread, every message of it (as mutt)."""
        row = self._list.current
        if row is None:
            return []
        if self._list.collapsed_count(row.uid) > 1:
            return [member.uid for member in self._list.thread_of(row.uid)]
        return [row.uid]

    def action_tag(self) -> None:
        """``t``: tag or untag and move on (a collapsed thread: all of it)."""
        keys = self._current_keys()
        if not keys:
            return
        if all(key in self.mailbox.tags for key in keys):
            self.mailbox.untag(keys)
        else:
            self.mailbox.tag(keys)
        self._tags_edited(keys)
        self._list.cursor_down()

    def action_tag_filtered(self) -> None:
        result = self._list.filter_result  # collapsed threads' hidden rows too
        keys = [row.uid for row in (result.rows if result is not None else self._list.view)]
        self.mailbox.tag(keys)
        self._tags_edited()
        shown = "the filter shows" if self._list.filter_text else "in the list"
        self.notify(f"Tagged {_messages(len(keys))} ({shown}); {len(self.mailbox.tags)} "
                    "tagged in all.")

    def action_untag_all(self) -> None:
        self.mailbox.untag_all()
        self._tags_edited()

    @on(msg.Listing)
    def _tags_after_listing(self) -> None:
        self._status.update_status(tagged=len(self.mailbox.tags))

    # -- copy and save -----------------------------------------------------------------------

    def action_copy(self) -> None:
        self.copy_flow(save=False)

    def action_save(self) -> None:
        self.copy_flow(save=True)

    def _targets(self) -> tuple[list[Row], bool]:
        """The tagged messages when there are any (True), else the current one (or its
        collapsed thread)."""
        tagged = self.mailbox.tagged_rows()
        if tagged:
            return tagged, True
        rows = [row for key in self._current_keys() if (row := self.mailbox.rows.get(key))]
        return rows, False

    @work(exclusive=True, group="copy", exit_on_error=False)
    async def copy_flow(self, save: bool) -> None:
        """Key -> prompt -> Mailbox copy job; progress and the result come back as messages."""
        rows, tagged = self._targets()
        if not rows:
            return
        if self.mailbox.copying is not None:
            self.notify("A copy is still running; wait for it to finish.", severity="warning")
            return
        if not self.mailbox.connection.is_connected:
            self.notify("Not connected: nothing can be copied now.", severity="warning")
            return
        from popui.screens.copy_prompt import CopyPrompt  # loaded when first asked for

        dest = await self.app.push_screen_wait(CopyPrompt(
            copy_title(rows, save=save, tagged=tagged), default_destination(self.mailbox),
            copy_notes(len(rows), save=save)))
        if dest is None:
            return
        self.mailbox.copy([row.uid for row in rows], dest, save=save)
        self._status.update_status(note=f"copying 0 of {len(rows)}…")

    def action_stop_copy(self) -> None:
        job = self.mailbox.copying
        if job is None:
            self.notify("No copy is running.")
            return
        job.cancelled.set()
        self._status.update_status(note="stopping the copy…")

    @on(msg.CopyProgress)
    def _copy_progress(self, message: msg.CopyProgress) -> None:
        event = message.event
        if event.uid:
            self._list.refresh_rows([event.uid])
            if event.save:
                self.update_marks_status()
        if self.mailbox.copying is not None and self.mailbox.copying.cancelled.is_set():
            return
        note = f"copying {event.done} of {event.total}"
        if event.bytes_total:
            percent = min(100, 100 * event.bytes_done // event.bytes_total)
            note += (f" · {human_size(event.bytes_done)} of {human_size(event.bytes_total)}"
                     f" {percent}%")
        self._status.update_status(note=note + "… (Ctrl+G stops)")

    @on(msg.CopyDone)
    def _copy_done(self, message: msg.CopyDone) -> None:
        event = message.event
        self._status.update_status(note="")
        self._list.refresh_rows()
        if event.save:
            self.update_marks_status()
        text, severity = self.copy_report(event)
        self.notify(text, title="Saved" if event.save and event.copied else "Copied",
                    severity=severity, markup=False, timeout=12)

    def copy_report(self, event: up.CopyDone) -> tuple[str, SeverityLevel]:
        """What a copy did, in sentences; the severity of the toast."""
        kind = {"maildir": "Maildir", "mbox": "mbox"}.get(event.kind, "")
        where = f"{event.dest} ({kind})" if kind else event.dest
        total = len(event.copied) + len(event.skipped)
        if not event.copied:
            lines = [f"Nothing was copied to {where}."]
            severity: SeverityLevel = "error"
        else:
            lines = [f"Copied {_messages(len(event.copied))} ({human_size(event.size)}) to "
                     f"{where}, written and synced to disk."]
            if event.save:
                lines.append("Marked for deletion: the server deletes "
                             f"{'it' if len(event.copied) == 1 else 'them'} when you commit ($).")
            severity = "warning" if (event.skipped or event.error) else "information"
        if event.error:
            lines.append(event.error)
        if event.skipped:
            lines.append(f"{len(event.skipped)} of {total} could not be read:")
            for key, reason in event.skipped[:NAMED]:
                row = self.mailbox.row(key)
                name = (row.subject or "(no subject)") if row is not None else "a message"
                lines.append(f"- {name}: {reason}")
            if len(event.skipped) > NAMED:
                lines.append(f"… and {len(event.skipped) - NAMED} more")
        if event.save and (event.skipped or event.error) and event.copied:
            lines.append("Only the copied ones were marked.")
        return "\n".join(lines), severity

    # -- pipe ---------------------------------------------------------------------------------

    def action_pipe(self) -> None:
        self.pipe_flow()

    @work(exclusive=True, group="pipe", exit_on_error=False)
    async def pipe_flow(self) -> None:
        row = self._list.current
        if row is None:
            return
        if self.mailbox.session is None:
            self.notify("Not connected.", severity="warning")
            return
        from popui.screens.pipe_view import PipePrompt, PipeView  # loaded when first asked for

        command = await self.app.push_screen_wait(PipePrompt(
            f"Pipe “{row.subject or '(no subject)'}” ({human_size(row.size)}) to the command:",
            self.mailbox.pipe_command,
            ["The message is read with RETR: the server marks it as seen. The command gets it "
             "on its standard input; what it prints is shown."]))
        if command is None:
            return
        self.mailbox.pipe_command = command
        self.app.push_screen(PipeView(command, key=row.uid, size=row.size,
                                      mailbox=self.mailbox))
        self.mailbox.submit(Retrieve(row.uid))


# -- the full view: the open message's bytes are at hand -------------------------------------


async def copy_open_message(screen: Screen[Any], mailbox: Mailbox, key: str, subject: str,
                            data: bytes, *, save: bool) -> int | None:
    """``C``/``s`` in the full view: ask where, then copy ``data`` (no RETR); the job's id."""
    if mailbox.copying is not None:
        screen.notify("A copy is still running; wait for it to finish.", severity="warning")
        return None
    from popui.screens.copy_prompt import CopyPrompt

    verb = "Save" if save else "Copy"
    dest = await screen.app.push_screen_wait(CopyPrompt(
        f"{verb} “{subject or '(no subject)'}” ({human_size(len(data))}) to:",
        default_destination(mailbox), copy_notes(1, save=save, retrieved=True)))
    if dest is None:
        return None
    return mailbox.copy([key], dest, save=save, data=data).id


async def pipe_open_message(screen: Screen[Any], mailbox: Mailbox, subject: str,
                            data: bytes) -> None:
    """``|`` in the full view: ask for the command, show what it prints."""
    from popui.screens.pipe_view import PipePrompt, PipeView

    command = await screen.app.push_screen_wait(PipePrompt(
        f"Pipe “{subject or '(no subject)'}” ({human_size(len(data))}) to the command:",
        mailbox.pipe_command,
        ["The command gets the message on its standard input; what it prints is shown."]))
    if command is not None:
        mailbox.pipe_command = command
        screen.app.push_screen(PipeView(command, data=data))
