"""The preview pane: headers and first body lines from ``TOP``, never a ``RETR``.

The pane only displays what it is given; asking the engine for a preview is the caller's job,
so nothing here can mark a message as seen.
"""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from popui.mail.headers import HeaderSummary
from popui.mail.preview import Preview, parse_preview, top_is_whole
from popui.messages import WorkerFailed
from popui.pop3.events import PreviewFailed, PreviewReady
from popui.widgets.safe_text import safe_field, safe_line

#: Previews bigger than this (a server that ignores TOP's line count) are parsed off the UI thread.
INLINE_PARSE_LIMIT = 256 * 1024

NO_TOP = (
    "This server has no working TOP, so there is no preview. Press Enter to open the full "
    "message — that marks it as seen on the server."
)


def format_date(summary: HeaderSummary) -> str:
    """The Date header in local time, or as sent when it cannot be parsed."""
    if summary.date is None:
        return summary.date_raw
    local: datetime = summary.date.astimezone()
    return local.strftime("%a, %d %b %Y %H:%M %Z").strip()


def header_lines(summary: HeaderSummary) -> list[Content]:
    """From/To/Cc/Date/Subject/Reply-To, skipping the empty optional ones."""
    fields = [
        ("From", summary.from_full, True),
        ("To", summary.to, True),
        ("Cc", summary.cc, False),
        ("Date", format_date(summary), True),
        ("Subject", summary.subject, True),
        ("Reply-To", summary.reply_to, False),
    ]
    return [safe_field(f"{name:<8}", value) for name, value, always in fields if always or value]


class PreviewPane(VerticalScroll):
    """Shows one message's preview. Public: ``show_loading``, ``show_preview``,
    ``show_failure``, ``clear`` and ``uid`` (the message shown or loading, or None).
    """

    DEFAULT_CSS = """
    PreviewPane {
        padding: 0 1;
        & #preview-headers { margin-bottom: 1; }
        & #preview-notice { color: $warning; margin-bottom: 1; }
        & #preview-body { color: $text; }
        &.-loading #preview-headers, &.-empty #preview-headers { color: $text-muted; }
        &.-failed #preview-notice { color: $error; }
    }
    """

    class _Parsed(Message):
        def __init__(self, uid: str, preview: Preview) -> None:
            super().__init__()
            self.uid = uid
            self.preview = preview

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.uid: str | None = None
        self.preview: Preview | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="preview-headers")
        yield Static(id="preview-notice")
        yield Static(id="preview-body")

    def on_mount(self) -> None:
        self.clear()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        WorkerFailed.forward(event)

    def _set(self, state: str, headers: Content, notice: Content, body: Content) -> None:
        self.set_class(state == "loading", "-loading")
        self.set_class(state == "empty", "-empty")
        self.set_class(state == "failed", "-failed")
        self.query_one("#preview-headers", Static).update(headers)
        notice_widget = self.query_one("#preview-notice", Static)
        notice_widget.update(notice)
        notice_widget.display = bool(notice.plain)
        self.query_one("#preview-body", Static).update(body)
        self.scroll_home(animate=False)

    def clear(self) -> None:
        """No message highlighted."""
        self.uid = None
        self.preview = None
        self._set("empty", Content("No message selected"), Content(), Content())

    def show_loading(self, row_label: str, uid: str | None = None) -> None:
        """A preview of ``uid`` was requested; ``row_label`` (e.g. the subject) is untrusted."""
        self.uid = uid
        self.preview = None
        label = Content.assemble("Loading preview of ", safe_line(row_label), " …")
        self._set("loading", label, Content(), Content())

    def show_preview(self, event: PreviewReady) -> bool:
        """Show ``event`` unless it is for another message than the one loading."""
        if not self._wanted(event.uid):
            return False
        complete = top_is_whole(event.data, event.lines)
        if len(event.data) > INLINE_PARSE_LIMIT:  # a server that ignored TOP's line count
            self._parse_in_thread(event.uid, event.data, complete)
        else:
            self._display(event.uid, parse_preview(event.data, complete=complete))
        return True

    def show_failure(self, event: PreviewFailed) -> bool:
        if not self._wanted(event.uid):
            return False
        self.uid = event.uid
        self.preview = None
        notice = NO_TOP if event.top_unsupported else "Preview failed: "
        text = Content(notice) if event.top_unsupported else safe_line(notice + event.message)
        self._set("failed", Content("No preview"), text, Content())
        return True

    def _wanted(self, uid: str) -> bool:
        return self.uid is None or self.uid == uid

    @work(thread=True, exclusive=True, group="preview-parse", exit_on_error=False)
    def _parse_in_thread(self, uid: str, data: bytes, complete: bool) -> None:
        preview = parse_preview(data, complete=complete)
        if not get_current_worker().is_cancelled:
            self.post_message(self._Parsed(uid, preview))

    @on(_Parsed)
    def _parsed(self, message: _Parsed) -> None:
        if self._wanted(message.uid):
            self._display(message.uid, message.preview)

    class Shown(Message):
        """A preview is on screen; ``text`` is its body (kept for ``~b``)."""

        def __init__(self, uid: str, text: str) -> None:
            super().__init__()
            self.uid = uid
            self.text = text

    def _display(self, uid: str, preview: Preview) -> None:
        self.uid = uid
        self.preview = preview
        self.post_message(self.Shown(uid, "\n".join(preview.body_lines)))
        headers = Content("\n").join(header_lines(preview.summary))
        notice = safe_line(preview.notice) if preview.notice else Content()
        # Lines are sanitised by parse_preview; Content() never parses markup.
        body = Content("\n".join(line.expandtabs() for line in preview.body_lines))
        self._set("shown", headers, notice, body)
