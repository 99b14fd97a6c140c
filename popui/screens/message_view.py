"""The full view of one message (Enter): progress while ``RETR`` runs, then headers, body,
attachments; save, raw source, all headers, ``$PAGER``.

The screen does not talk to the engine: the caller requests ``Retrieve`` and forwards the
``RetrieveProgress`` / ``MessageRetrieved`` / ``RetrieveFailed`` events for this uid.
Parsing runs in a thread worker: a 20 MB message must not freeze the UI.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Log, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker

from popui import messages as msg
from popui.mail.attachments import save_all, save_attachment, save_eml
from popui.mail.message import ParsedMessage, parse_message
from popui.messages import WorkerFailed
from popui.pop3.events import Event, MessageRetrieved, RetrieveFailed, RetrieveProgress
from popui.sizes import human_size
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


@dataclass(frozen=True)
class Rendered:
    """A parsed message and its display lines, computed off the UI thread."""

    message: ParsedMessage
    body: list[str]

    @cached_property
    def raw(self) -> list[str]:
        """Source lines, made when first shown: a 27 MB message then opens 0.25 s sooner."""
        return raw_lines(self.message.raw)


def render(data: bytes, width: int | None = None) -> Rendered:
    message = parse_message(data)
    return Rendered(message, split_lines(message.text, width))


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
        &.-error #mv-notice { color: $error; }
    }
    """
    BINDINGS = [
        Binding("h", "toggle_headers", "All headers"),
        Binding("v", "toggle_raw", "Source"),
        Binding("s", "save_attachment", "Save"),
        Binding("S", "save_all", "Save all"),
        Binding("e", "save_eml", "Save .eml"),
        Binding("o,|", "pager", "Pager"),
        Binding("d", "mark", "Mark"),
        Binding("space", "page(1)", "Page down", show=False),
        Binding("minus,b", "page(-1)", "Page up", show=False),
        Binding("q,escape", "close", "Back"),
    ]

    class Loaded(Message):
        """The message is parsed and on screen."""

        def __init__(self, uid: str) -> None:
            super().__init__()
            self.uid = uid

    class _Rendered(Message):
        def __init__(self, rendered: Rendered) -> None:
            super().__init__()
            self.rendered = rendered

    class _RenderFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(
        self, uid: str, size: int, subject: str = "", *, mailbox: Listenable | None = None
    ) -> None:
        """``size`` is the LIST size (for progress); ``subject`` (untrusted) shows while loading.
        The retrieval's progress and result come from ``mailbox`` (a `Mailbox`) while shown."""
        super().__init__()
        self.mailbox = mailbox
        if mailbox is not None:  # now: the message may arrive before the view is mounted
            mailbox.subscribe(self._listen)
        self.uid = uid
        self.list_size = size
        self.loading_subject = subject
        self.rendered: Rendered | None = None
        self.all_headers = False
        self.raw_mode = False
        self.saved_paths: list[Path] = []  # what the last save wrote

    @property
    def message(self) -> ParsedMessage | None:
        return self.rendered.message if self.rendered else None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="mv-headers"):
            yield Static(id="mv-header-text")
        yield Static(id="mv-notice")
        with Vertical(id="mv-loading"):
            yield Static(
                Content.assemble(
                    "Retrieving ",
                    safe_line(self.loading_subject or "message"),
                    f" ({human_size(self.list_size)}) …",
                ),
                id="mv-loading-label",
            )
            yield ProgressBar(total=max(self.list_size, 1), show_eta=False)
        yield Log(id="mv-body", auto_scroll=False)
        yield OptionList(id="mv-attachments")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#mv-headers").display = False
        self.query_one("#mv-notice").display = False
        self.query_one("#mv-body").display = False
        self.query_one("#mv-attachments").display = False

    def on_unmount(self) -> None:
        if self.mailbox is not None:
            self.mailbox.unsubscribe(self._listen)

    def _listen(self, event: Event) -> None:
        message = msg.as_message(event)
        if message is not None:
            self.post_message(message)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        WorkerFailed.forward(event)

    # --- the Mailbox's updates ----------------------------------------------------------------

    @on(msg.RetrieveProgress)
    def _progress(self, message: msg.RetrieveProgress) -> None:
        self.show_progress(message.event)

    @on(msg.MessageRetrieved)
    def _retrieved(self, message: msg.MessageRetrieved) -> None:
        self.show_message(message.event)

    @on(msg.RetrieveFailed)
    def _retrieve_failed(self, message: msg.RetrieveFailed) -> None:
        self.show_failure(message.event)

    def show_progress(self, event: RetrieveProgress) -> bool:
        if event.uid != self.uid:
            return False
        bar = self.query_one(ProgressBar)
        bar.update(total=max(event.total or self.list_size, 1), progress=event.received)
        return True

    def show_message(self, event: MessageRetrieved) -> bool:
        """Parse ``event.data`` in a thread; the view fills in when that is done."""
        if event.uid != self.uid:
            return False
        self.query_one(ProgressBar).update(total=max(len(event.data), 1), progress=len(event.data))
        self.query_one("#mv-loading-label", Static).update("Parsing …")
        self._parse_in_thread(event.data, self.size.width - 4)
        return True

    def show_failure(self, event: RetrieveFailed) -> bool:
        if event.uid != self.uid:
            return False
        self._fail(f"Could not retrieve the message: {event.message}")
        return True

    def _fail(self, text: str) -> None:
        self.query_one("#mv-loading").display = False
        self.add_class("-error")
        self._set_notice(text)

    @work(thread=True, exclusive=True, group="message-parse", exit_on_error=False)
    def _parse_in_thread(self, data: bytes, width: int) -> None:
        try:
            rendered = render(data, width)
        except Exception as error:  # parse_message should not raise; never show a traceback
            self.post_message(
                self._RenderFailed(f"Could not parse the message ({type(error).__name__})")
            )
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self._Rendered(rendered))

    @on(_RenderFailed)
    def _render_failed(self, message: _RenderFailed) -> None:
        self._fail(message.error)

    @on(_Rendered)
    def _rendered(self, message: _Rendered) -> None:
        self.rendered = message.rendered
        parsed = self.rendered.message
        self.query_one("#mv-loading").display = False
        self.query_one("#mv-headers").display = True
        self._show_headers()
        self._set_notice("; ".join(parsed.notices))
        self._show_body()
        attachments = self.query_one("#mv-attachments", OptionList)
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
        attachments.border_title = f"Attachments ({len(parsed.attachments)}): s save, S save all"
        if parsed.attachments:
            attachments.highlighted = 0
        self.query_one("#mv-body", Log).focus()
        self.post_message(self.Loaded(self.uid))

    # --- display ---------------------------------------------------------------------------

    def _set_notice(self, text: str) -> None:
        notice = self.query_one("#mv-notice", Static)
        notice.update(safe_line(text))
        notice.display = bool(text)

    def _show_headers(self) -> None:
        parsed = self.message
        if parsed is None:
            return
        if self.all_headers:
            lines = [safe_field(name, value) for name, value in parsed.headers]
        else:
            lines = header_lines(parsed.summary)
        self.query_one("#mv-header-text", Static).update(Content("\n").join(lines))

    def _show_body(self) -> None:
        if self.rendered is None:
            return
        body = self.query_one("#mv-body", Log)
        body.clear()
        lines = self.rendered.raw if self.raw_mode else self.rendered.body
        # Log.write_lines drops empty strings ("".splitlines() is []): keep the blank lines
        # between paragraphs as one space.
        body.write_lines([line or " " for line in lines])
        body.scroll_home(animate=False)
        body.display = True

    # --- actions ---------------------------------------------------------------------------

    def action_toggle_headers(self) -> None:
        self.all_headers = not self.all_headers
        self._show_headers()

    def action_toggle_raw(self) -> None:
        if self.rendered is None:
            return
        self.raw_mode = not self.raw_mode
        self.query_one("#mv-headers").display = not self.raw_mode
        self._show_body()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_mark(self) -> None:
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
        if self.message is None:
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
        if self.rendered is None:
            return
        lines = self.rendered.raw if self.raw_mode else self.rendered.body
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
