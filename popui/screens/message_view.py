"""The full view of one message (Enter): progress while ``RETR`` runs, then headers, body,
attachments; save, raw source, all headers, ``$PAGER``. A reader as mutt's pager: next and
previous message (the main screen opens them), search with highlighted matches, a URL picker
that shows where each link really goes, and attachments viewed inline (text parts and attached
messages, in a nested full view) or opened with another program after a confirm.

The screen does not talk to the engine: the caller requests ``Retrieve`` and forwards the
``RetrieveProgress`` / ``MessageRetrieved`` / ``RetrieveFailed`` events for this uid.
Parsing runs in a thread worker: a 20 MB message must not freeze the UI.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from functools import cached_property, partial
from pathlib import Path
from typing import Protocol

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, Input, Log, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from popui import messages as msg
from popui.commands import VIEW_COMMANDS, bindings
from popui.mail.attachments import Attachment, save_all, save_attachment, save_eml
from popui.mail.decode import decode_bytes
from popui.mail.links import Link, extract_links
from popui.mail.message import ParsedMessage, parse_message
from popui.mail.preview import Preview, first_screens
from popui.messages import WorkerFailed
from popui.opener import attachment_viewer, browser_command, launch, run_in_terminal
from popui.patterns import is_regex
from popui.pop3.events import Event, MessageRetrieved, RetrieveFailed, RetrieveProgress
from popui.screens.confirm_action import ConfirmAction
from popui.screens.link_picker import Choice, LinkPicker
from popui.screens.palette import ScreenCommands
from popui.sizes import human_size
from popui.widgets.footer import Footer
from popui.widgets.preview import header_lines
from popui.widgets.safe_text import clean_block, clean_line, safe_field, safe_line


class Listenable(Protocol):
    """What the full view needs of the `Mailbox`: its updates while the view is shown."""

    def subscribe(self, listener: Callable[[Event], None]) -> None: ...
    def unsubscribe(self, listener: Callable[[Event], None]) -> None: ...


def default_save_folder() -> Path:
    """``~/Downloads`` when it exists, else the current directory."""
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()


def split_lines(text: str, width: int | None = None) -> list[str]:
    """Untrusted text as display lines: controls made visible, tabs expanded, and lines
    longer than ``width`` wrapped (mail often sends a paragraph as one line).
    """
    lines = [line.expandtabs() for line in clean_block(text).split("\n")]
    if width is None or width < 20:
        return lines
    wrapped: list[str] = []
    for line in lines:
        if len(line) <= width:
            wrapped.append(line)
        else:
            wrapped.extend(textwrap.wrap(line, width, drop_whitespace=False) or [""])
    return wrapped


def raw_lines(raw: bytes) -> list[str]:
    """The message source as sent; bytes that are not UTF-8 show as U+FFFD."""
    return split_lines(raw.decode("utf-8", errors="replace"))


def for_log(lines: list[str]) -> tuple[list[str], int]:
    """``lines`` as the body shows them (a blank line as one space, as ``Log.write_lines``
    left them) and the widest one in cells (what the body scrolls sideways over)."""
    width = max((len(line) if line.isascii() else cell_len(line) for line in lines), default=0)
    return [line or " " for line in lines], width


@dataclass(frozen=True)
class FirstLines:
    """What the full view shows first: the headers and the first screens of the text, found
    by the preview's scanner (milliseconds for a 5 MB message), while the whole message is
    parsed (text, attachments, all headers) off the UI thread."""

    preview: Preview
    shown: tuple[list[str], int]  # ``for_log``


def first_lines(preview: Preview, width: int | None) -> FirstLines:
    """``preview`` (``first_screens``) with its body lines wrapped to ``width``."""
    return FirstLines(preview, for_log(split_lines("\n".join(preview.body_lines), width)))


@dataclass(frozen=True)
class Rendered:
    """A parsed message and its display lines, computed off the UI thread."""

    message: ParsedMessage
    body: list[str]

    @cached_property
    def body_shown(self) -> tuple[list[str], int]:
        return for_log(self.body)

    @cached_property
    def raw(self) -> list[str]:
        """Source lines, made when first shown (off the UI thread: ``source``)."""
        return raw_lines(self.message.raw)

    @cached_property
    def source(self) -> tuple[list[str], int]:
        """The source lines as shown; slow the first time (0.25 s for 27 MB)."""
        return for_log(self.raw)

    @cached_property
    def links(self) -> list[Link]:
        """Every link of the text and HTML parts (made off the UI thread when first asked)."""
        return extract_links(self.message.raw)


#: Seconds the parse waits for the first lines to be drawn before parsing the rest anyway.
FIRST_PAINT_WAIT = 1.0

#: Seconds a download may take before the footer's keys are built anyway (they wait for the
#: first lines: building them takes as long as the 5 MB download at 20 ms).
FOOTER_WAIT = 0.5
#: A download that takes longer than this shows what is retrieved and a progress bar
LOADING_AFTER = 0.1

#: Matches searched at most (a one-letter search in a 20 MB message finds millions).
MAX_MATCHES = 10_000


class SearchHighlighter(Highlighter):
    """Highlights the matches of a search in each line; the current match's line stronger."""

    MATCH = Style(reverse=True)
    CURRENT = Style(color="black", bgcolor="yellow", bold=True)

    def __init__(self, regex: re.Pattern[str], current: str | None = None) -> None:
        self.regex = regex
        self.current = current

    def highlight(self, text: Text) -> None:
        style = self.CURRENT if text.plain == self.current else self.MATCH
        for match in self.regex.finditer(text.plain):
            if match.end() > match.start():
                text.stylize(style, match.start(), match.end())


def search_regex(term: str) -> re.Pattern[str]:
    """A case-insensitive substring, or a regular expression when ``term`` has regex
    characters (as the filter's patterns); raises ``re.error`` for a bad one."""
    return re.compile(term if is_regex(term) else re.escape(term), re.IGNORECASE)


def find_matches(lines: list[str], regex: re.Pattern[str]) -> list[int]:
    """The indexes of the lines with a match (at most ``MAX_MATCHES``)."""
    found: list[int] = []
    for index, line in enumerate(lines):
        if regex.search(line):
            found.append(index)
            if len(found) >= MAX_MATCHES:
                break
    return found


def attachment_as_message(attachment: Attachment) -> bytes:
    """A text attachment as a small message of its own, for the nested full view."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = attachment.filename or attachment.safe_filename
    subtype = "html" if attachment.content_type == "text/html" else "plain"
    message.set_content(decode_bytes(attachment.data()), subtype=subtype)
    return message.as_bytes()


class SearchInput(Input):
    """The search line: Esc closes it (and not the view)."""

    BINDINGS = [Binding("escape", "cancel", "Close search", show=False)]

    class Cancelled(Message):
        pass

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())


_opened_files: list[Path] = []


def _remove_opened_files() -> None:
    for folder in _opened_files:
        shutil.rmtree(folder, ignore_errors=True)


def write_private_copy(attachment: Attachment) -> Path:
    """The attachment in a new private folder (0700), removed when popui exits."""
    if not _opened_files:
        atexit.register(_remove_opened_files)
    folder = Path(tempfile.mkdtemp(prefix="popui-open-"))
    _opened_files.append(folder)
    return save_attachment(folder, attachment.safe_filename, attachment.data())


def render(data: bytes, width: int | None = None) -> Rendered:
    message = parse_message(data)
    rendered = Rendered(message, split_lines(message.text, width))
    _ = rendered.body_shown  # made here, off the UI thread
    return rendered


class BodyLog(Log):
    """The body (or source): a `Log` whose lines are replaced at once.

    ``Log.write_lines`` splits, measures and refreshes each line on the UI thread: 0.1 s and
    more for the 80,000 lines of a 5 MB text. Here the lines come split and measured.
    """

    def set_lines(self, lines: list[str], width: int) -> None:
        self._lines = lines
        self._width = width
        self._updates += 1  # a width measured by an earlier write no longer applies
        self._render_line_cache.clear()
        self.virtual_size = Size(width, len(lines))
        self.refresh()


class SaveFolderDialog(ModalScreen[Path | None]):
    """Ask for a folder (default filled in); dismisses with the expanded Path, or None."""

    DEFAULT_CSS = """
    SaveFolderDialog {
        align: center middle;
        & > Vertical {
            width: 80; max-width: 95%; height: auto;
            padding: 1 2; border: thick $primary; background: $surface;
        }
        & .title { text-style: bold; margin-bottom: 1; }
        & #save-error { color: $error; }
        & Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
        & Button { margin-left: 1; }
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, default: Path) -> None:
        super().__init__()
        self.prompt = prompt
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(safe_line(self.prompt), classes="title")
            yield Input(str(self.default), id="folder")
            yield Static(id="save-error")
            with Horizontal():
                yield Button("Save", id="save", variant="primary")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _submit(self) -> None:
        value = self.query_one(Input).value.strip()
        error = self.query_one("#save-error", Static)
        if not value:
            error.update("Enter a folder")
            return
        if "\0" in value:
            error.update(Content.assemble("Not a folder name: ", safe_line(value)))
            return
        try:
            folder = Path(value).expanduser()
        except RuntimeError:  # ~name of a user the system does not know
            user = value.split("/", 1)[0]
            error.update(Content.assemble("No home folder for ", safe_line(user)))
            return
        if folder.exists() and not folder.is_dir():
            error.update(Content.assemble("Not a folder: ", safe_line(str(folder))))
            return
        self.dismiss(folder)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class MessageView(Screen[str | None]):
    """Full view of ``uid``. Feed it the engine's events with ``show_progress``,
    ``show_message`` and ``show_failure``; each returns False for another uid's event.
    Dismisses with "mark" when the user marked the message for deletion (``d``, as in mutt's
    pager), else None.
    """

    DEFAULT_CSS = """
    MessageView {
        & #mv-headers { height: auto; max-height: 40%; padding: 0 1; background: $panel; }
        & #mv-notice { padding: 0 1; color: $warning; }
        & #mv-loading { height: auto; padding: 1 1; }
        & #mv-loading ProgressBar { margin-top: 1; }
        & #mv-body { height: 1fr; padding: 0 1; overflow: auto auto; }
        & #mv-attachments { height: auto; max-height: 8; border: round $primary; }
        & #mv-search { dock: bottom; height: 1; border: none; padding: 0 1; display: none; }
        & #mv-search.-shown { display: block; }
        & #mv-search-status { height: 1; padding: 0 1; color: $text-muted; display: none; }
        & #mv-search-status.-shown { display: block; }
        &.-error #mv-notice { color: $error; }
    }
    """
    BINDINGS = bindings(VIEW_COMMANDS)
    HELP_COMMANDS = VIEW_COMMANDS
    COMMANDS = {ScreenCommands}

    class Loaded(Message):
        """The message is parsed and on screen."""

        def __init__(self, uid: str) -> None:
            super().__init__()
            self.uid = uid

    class _FirstShown(Message):
        def __init__(self, first: FirstLines) -> None:
            super().__init__()
            self.first = first

    class _Rendered(Message):
        def __init__(self, rendered: Rendered) -> None:
            super().__init__()
            self.rendered = rendered

    class _RenderFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self,
        uid: str,
        size: int,
        subject: str = "",
        *,
        mailbox: Listenable | None = None,
        on_text: Callable[[str], None] | None = None,
        data: bytes | None = None,
        browser: str | None = None,
        opener: str | None = None,
    ) -> None:
        """``size`` is the LIST size (for progress); ``subject`` (untrusted) shows while loading.
        The retrieval's progress and result come from ``mailbox`` (a `Mailbox`) while shown.
        ``on_text`` gets the message's text once parsed (kept for the filter's ``~b``).
        ``data``: a message already at hand (an attached one: a nested view, no RETR, no next
        or previous). ``browser``/``opener``: the ``[ui]`` commands for links and attachments.
        """
        super().__init__()
        self.mailbox = mailbox
        self.on_text = on_text
        self.data = data
        self.nested = data is not None
        self.browser = browser
        self.opener = opener
        self.matches: list[int] = []
        self.match_index = -1
        self.search_term = ""
        if mailbox is not None:  # now: the message may arrive before the view is mounted
            mailbox.subscribe(self._listen)
        self.uid = uid
        self.list_size = size
        self.loading_subject = subject
        self._received = (0, max(size, 1))  # octets in, of how many: for a late progress bar
        self._loading_timer: Timer | None = None
        self.first: FirstLines | None = None  # shown until ``rendered`` is there
        self.rendered: Rendered | None = None
        self._pending_search: str | None = None  # asked for before the whole text was there
        self._first_painted = threading.Event()  # the first lines are on screen: parse the rest
        self._parse_stop = threading.Event()  # the view is gone: its parse stops
        self._resume_gc = False
        self._first_paint_due = False
        self.all_headers = False
        self.raw_mode = False
        self.saved_paths: list[Path] = []  # what the last save wrote
        self._save_job: int | None = None  # s: the copy job that is to close the view

    @property
    def message(self) -> ParsedMessage | None:
        return self.rendered.message if self.rendered else None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="mv-headers"):
            yield Static(id="mv-header-text")
        yield Static(id="mv-notice")
        # the progress (`_show_loading`) only for a download that takes a while
        yield BodyLog(id="mv-body", auto_scroll=False)
        yield Static(id="mv-search-status")
        # the attachment list and the search line are mounted when first needed: each costs
        # ~15 ms that would come before the first lines
        yield Footer(later=True)  # built once the text is on screen: `_build_footer`

    def on_mount(self) -> None:
        self.query_one("#mv-headers").display = False
        self.query_one("#mv-notice").display = False
        # Focused (empty) from the start: a focus change when the text comes would rebuild
        # the footer (tens of ms) just when the text is to be drawn.
        self.query_one("#mv-body", Log).focus()
        self.set_timer(FOOTER_WAIT, self._build_footer)
        self._loading_timer = self.set_timer(LOADING_AFTER, self._show_loading)
        if self.data is not None:
            self._start_parse(self.data)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [(c.title, c.help, partial(self.run_action, c.action)) for c in VIEW_COMMANDS]

    def on_unmount(self) -> None:
        self._parse_stop.set()
        self._first_painted.set()
        self._gc_back()
        if self.mailbox is not None:
            self.mailbox.unsubscribe(self._listen)

    def _listen(self, event: Event) -> None:
        # (the session reports a download's progress at most ten times a second)
        message = msg.as_message(event)
        if message is not None:
            self.post_message(message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        WorkerFailed.forward(event)

    # --- the Mailbox's updates ----------------------------------------------------------------

    @on(msg.RetrieveProgress)
    def _progress(self, message: msg.RetrieveProgress) -> None:
        self.show_progress(message.event)

    @on(msg.FirstLines)
    def _first_lines_ready(self, message: msg.FirstLines) -> None:
        if message.event.uid == self.uid and self.first is None:
            self._show_first(first_lines(message.event.preview, self._text_width()))

    @on(msg.MessageRetrieved)
    def _retrieved(self, message: msg.MessageRetrieved) -> None:
        self.show_message(message.event)

    @on(msg.RetrieveFailed)
    def _retrieve_failed(self, message: msg.RetrieveFailed) -> None:
        self.show_failure(message.event)

    def show_progress(self, event: RetrieveProgress) -> bool:
        if event.uid != self.uid:
            return False
        self._received = (event.received, max(event.total or self.list_size, 1))
        for bar in self.query(ProgressBar):
            bar.update(total=self._received[1], progress=event.received)
        return True

    def _show_loading(self) -> None:
        """What is being retrieved, and how far: shown once a download has taken
        ``LOADING_AFTER`` (a faster one would only flash it, and its paint would come before
        the text)."""
        if self.first is not None or self.rendered is not None or self.has_class("-error"):
            return
        received, total = self._received
        bar = ProgressBar(total=total, show_eta=False)
        bar.progress = received
        self.mount(Vertical(
            Static(Content.assemble("Retrieving ", safe_line(self.loading_subject or "message"),
                                    f" ({human_size(self.list_size)}) …"),
                   id="mv-loading-label"),
            bar, id="mv-loading"), before="#mv-body")

    def _hide_loading(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
        for block in self.query("#mv-loading"):
            block.display = False

    def show_message(self, event: MessageRetrieved) -> bool:
        """Parse ``event.data`` in a thread; the view fills in when that is done."""
        if event.uid != self.uid:
            return False
        # No "Parsing …" here: the first lines follow within milliseconds, and the repaint it
        # would cost delays them.
        self._start_parse(event.data)
        return True

    def show_failure(self, event: RetrieveFailed) -> bool:
        if event.uid != self.uid:
            return False
        self._fail(f"Could not retrieve the message: {event.message}")
        return True

    def _fail(self, text: str) -> None:
        self._gc_back()
        self._build_footer()
        self._hide_loading()
        self.add_class("-error")
        self._set_notice(text)

    def _start_parse(self, data: bytes) -> None:
        """Parse ``data`` in a thread of its own, started now: a thread worker would start on
        the event loop's next turn, after a repaint (20-50 ms later for a 5 MB message).

        The cyclic garbage collector pauses until the first lines are drawn: a full collection
        of a big mailbox's objects (30 ms) would otherwise often fall just there.
        """
        if gc.isenabled() and not self._first_painted.is_set():
            gc.disable()
            self._resume_gc = True
        thread = threading.Thread(target=self._parse, args=(data, self._text_width()),
                                  name="popui-message-parse", daemon=True)
        thread.start()

    def _text_width(self) -> int:
        return (self.size if self.size.width else self.app.size).width - 4

    def _parse(self, data: bytes, width: int) -> None:
        """Thread: the first lines first (unless the Mailbox sent them: ``FirstLines``); once
        they are on screen, the whole message."""
        try:
            if self.first is None:
                self.post_message(self._FirstShown(first_lines(first_screens(data), width)))
            self._first_painted.wait(timeout=FIRST_PAINT_WAIT)  # the UI has the GIL to itself
            if self._parse_stop.is_set():
                return
            rendered = render(data, width)
        except Exception as error:  # parse_message should not raise; never show a traceback
            self.post_message(
                self._RenderFailed(f"Could not parse the message ({type(error).__name__})")
            )
            return
        self.post_message(self._Rendered(rendered))

    @on(_FirstShown)
    def _first_shown(self, message: _FirstShown) -> None:
        self._show_first(message.first)

    def _show_first(self, first: FirstLines) -> None:
        if self.rendered is not None or self.has_class("-error"):
            return
        self.first = first
        self._hide_loading()
        self.query_one("#mv-headers").display = True
        self._show_headers()
        self._set_notice(self.first.preview.notice or "")
        body = self.query_one("#mv-body", BodyLog)
        body.set_lines(*self.first.shown)
        body.scroll_home(animate=False)
        self._first_paint_due = True

    def _compositor_refresh(self) -> None:
        """Textual's repaint of this screen; the first after the first lines puts them on the
        terminal (``call_after_refresh`` may run before it)."""
        super()._compositor_refresh()
        if self._first_paint_due:
            self._first_paint_due = False
            self._first_painted.set()
            self._gc_back()
            self.call_later(self._build_footer)

    def _build_footer(self) -> None:
        self.query_one(Footer).build()

    def _gc_back(self) -> None:
        if self._resume_gc:
            self._resume_gc = False
            gc.enable()

    @on(_RenderFailed)
    def _render_failed(self, message: _RenderFailed) -> None:
        self._fail(message.error)

    @on(_Rendered)
    async def _rendered(self, message: _Rendered) -> None:
        if self.has_class("-error"):
            return
        self.rendered = message.rendered
        self._build_footer()
        parsed = self.rendered.message
        self._hide_loading()
        self.query_one("#mv-headers").display = True
        self._show_headers()
        self._set_notice("; ".join(parsed.notices))
        self._show_body(keep_place=self.first is not None)
        attachments = await self._attachment_list()
        attachments.clear_options()
        attachments.add_options(
            Option(
                Content.assemble(
                    safe_line(a.filename or a.safe_filename),
                    (f"  {clean_line(a.content_type)}  {human_size(a.size)}", "dim"),
                )
            )
            for a in parsed.attachments
        )
        attachments.display = bool(parsed.attachments)
        attachments.border_title = f"Attachments ({len(parsed.attachments)}): w save, W save all"
        if parsed.attachments:
            attachments.highlighted = 0
        if self.on_text is not None:
            self.on_text(parsed.text)
        if self._pending_search is not None:
            term, self._pending_search = self._pending_search, None
            self.search(term)
        self.post_message(self.Loaded(self.uid))

    async def _attachment_list(self) -> OptionList:
        found = self.query("#mv-attachments").results(OptionList)
        attachments = next(found, None)
        if attachments is None:
            attachments = OptionList(id="mv-attachments")
            await self.mount(attachments, after="#mv-search-status")
        return attachments

    # --- display ---------------------------------------------------------------------------

    def _set_notice(self, text: str) -> None:
        notice = self.query_one("#mv-notice", Static)
        notice.update(safe_line(text))
        notice.display = bool(text)

    def pager_lines(self) -> list[str]:
        """What ``$PAGER`` gets: the source, or the headers shown, a blank line and the text."""
        if self.rendered is None:
            return []
        if self.raw_mode:
            return self.rendered.raw
        return [*self._header_text(), "", *self.rendered.body]

    def _header_text(self) -> list[str]:
        """The headers shown (all of them after ``h``), as plain lines for ``$PAGER``."""
        parsed = self.message
        if parsed is None:
            return []
        if self.all_headers:
            return [f"{name}: {value}" for name, value in parsed.headers]
        return [line.plain for line in header_lines(parsed.summary)]

    def _show_headers(self) -> None:
        parsed = self.message
        if parsed is not None and self.all_headers:
            lines = [safe_field(name, value) for name, value in parsed.headers]
        elif parsed is not None:
            lines = header_lines(parsed.summary)
        elif self.first is not None:  # every header comes with the whole message
            lines = header_lines(self.first.preview.summary)
        else:
            return
        self.query_one("#mv-header-text", Static).update(Content("\n").join(lines))

    def _show_body(self, *, keep_place: bool = False) -> None:
        """The text (or the source, built beforehand by ``action_toggle_raw``); ``keep_place``:
        the whole text replaces its first lines, where the reader may have scrolled."""
        if self.rendered is None:
            return
        body = self.query_one("#mv-body", BodyLog)
        body.set_lines(*(self.rendered.source if self.raw_mode else self.rendered.body_shown))
        if not keep_place:
            body.scroll_home(animate=False)

    def _not_ready(self) -> bool:
        """True (and says so once the text shows) while the whole message is being parsed."""
        if self.rendered is not None:
            return False
        if self.first is not None:
            self.notify("Still reading the message: one moment.", timeout=2)
        return True

    # --- actions ---------------------------------------------------------------------------

    def action_toggle_headers(self) -> None:
        self.all_headers = not self.all_headers
        self._show_headers()

    @work(exclusive=True, group="message-source", exit_on_error=False)
    async def action_toggle_raw(self) -> None:
        rendered = self.rendered
        if rendered is None or self._not_ready():
            return
        if not self.raw_mode:  # the source lines are made when first asked for, off the UI thread
            await asyncio.to_thread(lambda: rendered.source)
        self.raw_mode = not self.raw_mode
        self.query_one("#mv-headers").display = not self.raw_mode
        self._show_body()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_mark(self) -> None:
        if self.nested:
            self.notify("An attached message cannot be marked: mark the message it came in.")
            return
        self.dismiss("mark")

    def action_next_message(self) -> None:
        self._neighbour("next")

    def action_previous_message(self) -> None:
        self._neighbour("previous")

    def _neighbour(self, which: str) -> None:
        if self.nested:
            self.notify("This is an attached message: q goes back to the one it came in.")
            return
        self.dismiss(which)

    # --- search ----------------------------------------------------------------------------

    def _lines(self) -> list[str]:
        if self.rendered is None:
            return []
        return self.rendered.raw if self.raw_mode else self.rendered.body

    async def action_search(self) -> None:
        if self.rendered is None and self.first is None:
            return
        box = next(self.query("#mv-search").results(SearchInput), None)
        if box is None:
            box = SearchInput(id="mv-search", placeholder="search: a word or a regular "
                              "expression · Enter finds · Esc closes")
            await self.mount(box, before=self.query_one(Footer))
        box.add_class("-shown")
        box.value = self.search_term
        box.focus()

    @on(Input.Submitted, "#mv-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.input.remove_class("-shown")
        self.query_one("#mv-body", Log).focus()
        self.search(event.value)

    @on(SearchInput.Cancelled)
    def _search_cancelled(self) -> None:
        self.query_one("#mv-search").remove_class("-shown")
        self.query_one("#mv-body", Log).focus()

    def search(self, term: str) -> None:
        """Highlight every match of ``term`` and go to the first one below the top line."""
        body = self.query_one("#mv-body", Log)
        self.search_term = term
        if self.rendered is None and term:  # searched when the whole text is there
            self._pending_search = term
            self._search_status(f"{term}: searching …")
            return
        if not term:
            self.matches = []
            body.highlight = False
            self._search_status("")
            self._repaint_body()
            return
        try:
            regex = search_regex(term)
        except re.error as error:
            self._search_status(f"Not a regular expression: {error}", error=True)
            return
        self.matches = find_matches(self._lines(), regex)
        body.highlighter = SearchHighlighter(regex)
        body.highlight = True
        if not self.matches:
            self.match_index = -1
            self._search_status(f"Not found: {term}", error=True)
            self._repaint_body()
            return
        top = round(body.scroll_y)
        self.match_index = next((i for i, line in enumerate(self.matches) if line >= top), 0)
        self._go_to_match()

    def action_search_next(self) -> None:
        self._step_match(1)

    def action_search_previous(self) -> None:
        self._step_match(-1)

    def _step_match(self, step: int) -> None:
        if not self.matches:
            if self.search_term:
                self._search_status(f"Not found: {self.search_term}", error=True)
            else:
                self.notify("Search first (/).")
            return
        self.match_index = (self.match_index + step) % len(self.matches)
        self._go_to_match()

    def _go_to_match(self) -> None:
        body = self.query_one("#mv-body", Log)
        line = self.matches[self.match_index]
        highlighter = body.highlighter
        if isinstance(highlighter, SearchHighlighter):
            highlighter.current = self._lines()[line]
        height = body.scrollable_content_region.height
        body.scroll_to(y=max(0, line - height // 3), animate=False)
        more = "+" if len(self.matches) >= MAX_MATCHES else ""
        self._search_status(f"{self.search_term}: line {line + 1}, match "
                            f"{self.match_index + 1} of {len(self.matches)}{more} · n next · "
                            "N previous")
        self._repaint_body()

    def _repaint_body(self) -> None:
        body = self.query_one("#mv-body", Log)
        body._render_line_cache.clear()  # the Log caches lines with their old highlights
        body.refresh()

    def _search_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#mv-search-status", Static)
        status.update(Content.styled(clean_line(text), "$text-error" if error else ""))
        status.set_class(bool(text), "-shown")

    # --- links ---------------------------------------------------------------------------------

    @work(exclusive=True, group="message-links", exit_on_error=False)
    async def action_links(self) -> None:
        rendered = self.rendered
        if rendered is None or self._not_ready():
            return
        links = await asyncio.to_thread(lambda: rendered.links)
        if not links:
            self.notify("This message has no links.")
            return
        choice: Choice | None = await self.app.push_screen_wait(LinkPicker(links))
        if choice is None:
            return
        what, link = choice
        if what == "copy":
            self.app.copy_to_clipboard(link.target)
            self.notify(clean_line(f"Copied (OSC 52): {link.target}"), markup=False)
            return
        if not link.openable:
            self.notify(clean_line(f"Not opened: {link.scheme or 'this kind of'} link"),
                        severity="warning", markup=False)
            return
        try:
            argv = browser_command(link.target, self.browser)
        except ValueError as error:
            self.notify(clean_line(f"The browser command is not usable: {error}"),
                        severity="error", markup=False)
            return
        problem = await asyncio.to_thread(launch, argv)
        if problem:
            self.notify(clean_line(f"No browser: {problem}"), severity="error", markup=False)
        else:
            self.notify(clean_line(f"Opening {link.target}"), markup=False)

    # --- attachments ---------------------------------------------------------------------------

    def action_attachments(self) -> None:
        if self._not_ready():
            return
        if self.message is None or not self.message.attachments:
            self.notify("This message has no attachments.")
            return
        self.query_one("#mv-attachments", OptionList).focus()

    @on(OptionList.OptionSelected, "#mv-attachments")
    def _attachment_chosen(self, event: OptionList.OptionSelected) -> None:
        self.view_attachment(event.option_index)

    @work(exclusive=True, group="message-attachment", exit_on_error=False)
    async def view_attachment(self, index: int) -> None:
        """Text and attached messages in a nested full view; others with another program,
        after a confirm."""
        if self.message is None:
            return
        attachment = self.message.attachments[index]
        name = attachment.filename or attachment.safe_filename
        if attachment.content_type == "message/rfc822":
            data = await asyncio.to_thread(attachment.data)
            self.app.push_screen(self._nested(data, name))
            return
        if attachment.content_type.startswith("text/"):
            data = await asyncio.to_thread(attachment_as_message, attachment)
            self.app.push_screen(self._nested(data, name))
            return
        path = Path(tempfile.gettempdir()) / "popui-open-…" / attachment.safe_filename
        viewer = attachment_viewer(attachment.content_type, str(path), self.opener)
        program = viewer.argv[0]
        ok = await self.app.push_screen_wait(ConfirmAction(
            f"Open {name} with {program}?",
            [f"{attachment.content_type}, {human_size(attachment.size)}",
             "It is written to a private temporary folder, removed when popui exits. "
             "Files from strangers can be dangerous to open."],
            "Open",
        ))
        if not ok:
            return
        try:
            written = await asyncio.to_thread(write_private_copy, attachment)
        except OSError as error:
            self.notify(clean_line(f"Not opened: {error.strerror or error}"), severity="error",
                        markup=False)
            return
        viewer = attachment_viewer(attachment.content_type, str(written), self.opener)
        if viewer.terminal:
            try:
                with self.app.suspend():
                    problem = run_in_terminal(viewer.argv)
            except SuspendNotSupported:
                problem = "it needs the terminal, which cannot be handed over here"
        else:
            problem = await asyncio.to_thread(launch, viewer.argv)
        if problem:
            self.notify(clean_line(f"Not opened: {problem}"), severity="error", markup=False)

    def _nested(self, data: bytes, name: str) -> MessageView:
        return MessageView(f"{self.uid}/attached", len(data), name, data=data,
                           browser=self.browser, opener=self.opener)

    # --- keeping: C copy, s save (copy, then mark), | pipe (popui.screens.keeping) ----------

    def action_copy(self) -> None:
        self._keep("copy")

    def action_save(self) -> None:
        self._keep("save")

    def action_pipe(self) -> None:
        self._keep("pipe")

    @work(exclusive=True, group="keep", exit_on_error=False)
    async def _keep(self, what: str) -> None:
        from popui.mailbox import Mailbox
        from popui.screens import keeping

        if self.message is None or self._not_ready():
            return
        if self.nested or not isinstance(self.mailbox, Mailbox):
            self.notify("This is an attached message: q goes back to the one it came in, "
                        "which C, s and | act on.")
            return
        data = self.message.raw
        if what == "pipe":
            await keeping.pipe_open_message(self, self.mailbox, self.loading_subject, data)
            return
        job = await keeping.copy_open_message(self, self.mailbox, self.uid,
                                              self.loading_subject, data, save=what == "save")
        self._save_job = job if what == "save" else None

    @on(msg.CopyDone)
    def _copy_done(self, message: msg.CopyDone) -> None:
        """A save of this message is on disk: it is marked now; back to the list, moving on."""
        if message.event.job == self._save_job and message.event.copied:
            self.dismiss("mark")

    def action_page(self, pages: int) -> None:
        body = self.query_one("#mv-body", Log)
        body.scroll_to(y=body.scroll_y + pages * body.scrollable_content_region.height,
                       animate=False)

    def _selected_attachment_index(self) -> int | None:
        attachments = self.query_one("#mv-attachments", OptionList)
        if self.message is None or not self.message.attachments:
            return None
        return attachments.highlighted if attachments.highlighted is not None else 0

    @work(exclusive=True, group="message-save", exit_on_error=False)
    async def action_save_attachment(self) -> None:
        if self._not_ready():
            return
        index = self._selected_attachment_index()
        if index is None or self.message is None:
            self.notify("This message has no attachments", severity="warning")
            return
        attachment = self.message.attachments[index]
        folder = await self._ask_folder(f"Save {attachment.safe_filename} to folder:")
        if folder is not None:
            await self._save(
                lambda: [save_attachment(folder, attachment.safe_filename, attachment.data())]
            )

    @work(exclusive=True, group="message-save", exit_on_error=False)
    async def action_save_all(self) -> None:
        if self._not_ready():
            return
        if self.message is None or not self.message.attachments:
            self.notify("This message has no attachments", severity="warning")
            return
        attachments = self.message.attachments
        count = len(attachments)
        folder = await self._ask_folder(f"Save {count} attachment(s) to folder:")
        if folder is not None:
            await self._save(lambda: save_all(folder, attachments))

    @work(exclusive=True, group="message-save", exit_on_error=False)
    async def action_save_eml(self) -> None:
        if self.message is None or self._not_ready():
            return
        parsed = self.message
        folder = await self._ask_folder("Save the whole message (.eml) to folder:")
        if folder is not None:
            await self._save(lambda: [save_eml(folder, parsed.summary.subject, parsed.raw)])

    async def _ask_folder(self, prompt: str) -> Path | None:
        """The folder to save to; the last one used in this run is offered first."""
        default = getattr(self.app, "last_save_folder", None) or default_save_folder()
        folder: Path | None = await self.app.push_screen_wait(SaveFolderDialog(prompt, default))
        if folder is not None:
            self.app.last_save_folder = folder  # type: ignore[attr-defined]
        return folder

    async def _save(self, write: Callable[[], list[Path]]) -> None:
        """Run ``write`` off the UI thread and report exactly the paths it wrote."""
        try:
            paths: list[Path] = await asyncio.to_thread(write)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            where = f" ({error.filename})" if error.filename else ""
            self.notify(clean_line(f"Not saved: {reason}{where}"), severity="error", markup=False)
            return
        self.saved_paths = paths
        listing = "\n".join(clean_line(str(p)) for p in paths)
        self.notify(f"Saved to:\n{listing}", title="Saved", markup=False, timeout=10)

    def action_pager(self) -> None:
        """Show the current text (body or source) in ``$PAGER`` (fallback ``less``)."""
        if self.rendered is None or self._not_ready():
            return
        lines = self.pager_lines()
        fd, name = tempfile.mkstemp(prefix="popui-", suffix=".txt")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            try:
                with self.app.suspend():
                    error = run_pager(name)
            except SuspendNotSupported:
                error = "a pager cannot be opened in this terminal"
            if error:
                self.notify(clean_line(f"No pager: {error}"), severity="warning", markup=False)
        finally:
            Path(name).unlink(missing_ok=True)


def run_pager(path: str) -> str | None:
    """Run ``$PAGER`` (else ``less``) on ``path``; returns why no pager could start, or None."""
    try:
        command = shlex.split(os.environ.get("PAGER", ""))
    except ValueError:
        command = []
    error: OSError | None = None
    for candidate in (command, ["less"]):
        if not candidate:
            continue
        try:
            subprocess.run([*candidate, path], check=False)
            return None
        except OSError as exc:
            error = exc
    return error.strerror if error and error.strerror else "no pager found"
