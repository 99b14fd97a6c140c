"""The views built on untrusted mail: preview pane, full view, dialogs, protocol log, info.

Each widget/screen is mounted in a tiny host app and driven with Pilot; assertions are on what
the user sees (the rendered cells) and on what the screens dismiss with.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest
from app_support import HostApp, run_async, screen_text, wait_until
from textual.app import App
from textual.widgets import Input, Log, ProgressBar

from popui.pop3.events import (
    MessageRetrieved,
    PreviewFailed,
    PreviewReady,
    RetrieveFailed,
    RetrieveProgress,
)
from popui.pop3.models import Capabilities
from popui.pop3.protocol_log import ProtocolLog
from popui.screens.confirm import ConfirmCommit, ErrorDialog, QuitDialog
from popui.screens.info import InfoScreen
from popui.screens.message_view import MessageView, SaveFolderDialog, run_pager
from popui.screens.protocol_log import ProtocolLogScreen
from popui.widgets.preview import INLINE_PARSE_LIMIT, PreviewPane

#: Markup that would quit the app if parsed, a terminal title escape and a bidi override.
HOSTILE_SUBJECT = "[@click=app.quit]x\x1b]0;pwned\x07 \u202egnp.exe"
HOSTILE_FILENAME = "../../etc/passwd"
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_no_control(app: App[Any]) -> None:
    """No ESC/BEL/C1/bidi override reached the rendered cells or the SVG screenshot."""
    text = screen_text(app)
    svg = app.export_screenshot()
    for bad in CONTROL:
        assert bad not in text
        assert bad not in svg


# --- confirm dialogs -------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "expected"), [("y", True), ("n", False), ("escape", False)])
@run_async
async def test_confirm_commit_keys(key: str, expected: bool) -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        app.push_collect(ConfirmCommit(2, 3 * 1024 * 1024, ["one", "two"]))
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert app.results == [expected]


@run_async
async def test_confirm_commit_defaults_to_no_and_lists_subjects() -> None:
    subjects = [f"subject {i}" for i in range(12)] + [HOSTILE_SUBJECT]
    app = HostApp()
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_collect(ConfirmCommit(13, 2048, subjects))
        await pilot.pause()
        text = screen_text(app)
        assert "Delete 13 messages from the server?" in text
        assert "2.0K in total" in text
        assert "subject 9" in text and "subject 10" not in text
        assert "and 3 more" in text
        await pilot.press("enter")  # the focused button is No
        await pilot.pause()
        assert app.results == [False]


@run_async
async def test_confirm_commit_shows_hostile_subject_literally() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(ConfirmCommit(1, 10, [HOSTILE_SUBJECT]))
        await pilot.pause()
        assert "[@click=app.quit]x" in screen_text(app)
        assert_no_control(app)
        subjects = app.screen.query_one("#subjects")
        await pilot.click(subjects, offset=(4, 0))
        await pilot.pause()
        assert app.is_running and app.results == []


@pytest.mark.parametrize(
    ("key", "expected"),
    [("c", "commit"), ("k", "keep"), ("f", "forget"), ("escape", "cancel"),
     ("enter", "cancel")],
)
@run_async
async def test_quit_dialog_keys(key: str, expected: str) -> None:
    app = HostApp()
    async with app.run_test() as pilot:
        app.push_collect(QuitDialog(3))
        await pilot.pause()
        assert "3 messages marked for deletion" in screen_text(app)
        await pilot.press(key)
        await pilot.pause()
        assert app.results == [expected]


@run_async
async def test_error_dialog_shows_server_text_safely() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(ErrorDialog("Certificate rejected", f"-ERR {HOSTILE_SUBJECT}"))
        await pilot.pause()
        text = screen_text(app)
        assert "Certificate rejected" in text and "[@click=app.quit]x" in text
        assert_no_control(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


# --- protocol log ----------------------------------------------------------------------------


@run_async
async def test_protocol_log_follows_lines_from_another_thread_and_switches_level() -> None:
    log = ProtocolLog(level=1)
    log.command("USER alice")
    log.command("PASS hunter2")
    levels: list[int] = []
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ProtocolLogScreen(log, levels.append)
        app.push_screen(screen)
        await pilot.pause()
        widget = screen.query_one(Log)
        assert any("USER alice" in line for line in widget.lines)
        assert not any("hunter2" in line for line in widget.lines)
        assert "level 1" in screen_text(app)

        def session_thread() -> None:
            for i in range(500):
                log.status(f"+OK {i} {HOSTILE_SUBJECT}")

        worker = threading.Thread(target=session_thread)
        worker.start()
        worker.join()
        await wait_until(pilot, lambda: len(widget.lines) == 502)
        assert "+OK 499 [@click=app.quit]x" in widget.lines[-1]
        assert not any(bad in line for line in widget.lines for bad in CONTROL)

        await pilot.press("2")
        await pilot.pause()
        assert levels == [2]
        assert "level 2" in screen_text(app)
        await pilot.press("0")
        await pilot.pause()
        assert levels == [2, 0]
        assert "level 0" in screen_text(app)

        await pilot.press("q")
        await pilot.pause()
        assert app.screen is not screen
        log.status("+OK after close")  # the closed screen is no longer a listener
        assert log._listeners == []


# --- info ------------------------------------------------------------------------------------


@run_async
async def test_info_screen_shows_capabilities_and_tls() -> None:
    caps = Capabilities(
        known=True,
        top=True,
        uidl=True,
        pipelining=False,
        sasl=("PLAIN", "LOGIN"),
        resp_codes=True,
        login_delay=900,
        expire="NEVER",
        implementation=HOSTILE_SUBJECT,
        raw=("TOP", "UIDL", "SASL PLAIN LOGIN", "EXPIRE NEVER"),
    )
    app = HostApp()
    async with app.run_test(size=(100, 50)) as pilot:
        app.push_screen(
            InfoScreen(
                f"+OK Dovecot ready. {HOSTILE_SUBJECT}",
                caps,
                "TLSv1.3",
                "USER/PASS",
                message_count=3,
                mailbox_size=4096,
                server="pop.example.org:995",
            )
        )
        await pilot.pause()
        text = screen_text(app)
        for expected in (
            "TLSv1.3",
            "USER/PASS",
            "PLAIN LOGIN",
            "900 s",
            "NEVER",
            "3 messages, 4.0K",
            "Dovecot ready",
            "SASL PLAIN LOGIN",
            "pop.example.org:995",
            "[@click=app.quit]x",
        ):
            assert expected in text
        assert "PIPELINING     : no" in text
        assert_no_control(app)


@run_async
async def test_info_screen_without_tls_or_capa() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(InfoScreen("+OK", Capabilities(), None, "APOP"))
        await pilot.pause()
        text = screen_text(app)
        assert "not encrypted" in text
        assert "did not answer CAPA" in text


# --- messages built for the views ------------------------------------------------------------


def build_message(
    subject: str = "Quarterly report",
    body: str = "Hello Bob,\n\nthe numbers are in.\n",
    attachments: tuple[tuple[str, bytes, str], ...] = (),
    html: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice Example <alice@example.org>"
    msg["To"] = "bob@example.org"
    msg["Cc"] = "carol@example.org"
    msg["Reply-To"] = "replies@example.org"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 03 Mar 2026 10:15:00 +0000"
    msg["Message-ID"] = "<m1@example.org>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)


def hostile_message() -> bytes:
    body = f"Click {HOSTILE_SUBJECT}\n[bold red]not bold[/]\n\x1b[2J cleared?\n"
    return build_message(
        subject=HOSTILE_SUBJECT,
        body=body,
        attachments=((HOSTILE_FILENAME, b"root:x:0:0\n", "text/plain"),),
    )


def top(raw: bytes, lines: int) -> bytes:
    """What ``TOP n lines`` answers: the header block and the first ``lines`` body lines."""
    head, _, body = raw.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n" + b"".join(body.splitlines(keepends=True)[:lines])


# --- preview pane ----------------------------------------------------------------------------


@run_async
async def test_preview_pane_loading_then_preview() -> None:
    pane = PreviewPane()
    app = HostApp(pane)
    async with app.run_test(size=(100, 40)) as pilot:
        assert "No message selected" in screen_text(app)
        pane.show_loading("Quarterly report", uid="u1")
        await pilot.pause()
        assert "Loading preview of Quarterly report" in screen_text(app)
        raw = build_message(body="".join(f"body line {i}\n" for i in range(100)))
        assert pane.show_preview(PreviewReady("u1", top(raw, 20), 20))
        await pilot.pause()
        text = screen_text(app)
        for expected in (
            "Alice Example <alice@example.org>",
            "bob@example.org",
            "carol@example.org",
            "replies@example.org",
            "Quarterly report",
            "2026",
            "body line 0",
            "body line 17",
        ):
            assert expected in text
        assert "body line 25" not in text
        assert "Loading" not in text


@run_async
async def test_preview_pane_ignores_stale_and_reports_no_top() -> None:
    pane = PreviewPane()
    app = HostApp(pane)
    async with app.run_test(size=(100, 30)) as pilot:
        pane.show_loading("second", uid="u2")
        assert not pane.show_preview(PreviewReady("u1", top(build_message("first"), 5), 5))
        await pilot.pause()
        assert "first" not in screen_text(app)
        assert pane.show_failure(PreviewFailed("u2", "-ERR unknown command", top_unsupported=True))
        await pilot.pause()
        text = screen_text(app)
        assert "no working TOP" in text
        assert "marks it as seen on the server" in text
        pane.show_loading("third", uid="u3")
        pane.show_failure(PreviewFailed("u3", f"-ERR {HOSTILE_SUBJECT}"))
        await pilot.pause()
        assert "Preview failed: -ERR [@click=app.quit]x" in screen_text(app)
        pane.clear()
        await pilot.pause()
        assert "No message selected" in screen_text(app)


@run_async
async def test_preview_pane_shows_hostile_message_literally() -> None:
    pane = PreviewPane()
    app = HostApp(pane)
    async with app.run_test(size=(120, 40)) as pilot:
        pane.show_loading(HOSTILE_SUBJECT, uid="h")
        await pilot.pause()
        assert_no_control(app)
        pane.show_preview(PreviewReady("h", top(hostile_message(), 20), 20))
        await pilot.pause()
        text = screen_text(app)
        assert "Subject : [@click=app.quit]x" in text
        assert "[bold red]not bold[/]" in text
        assert_no_control(app)
        for x in range(20):  # the subject line: a parsed @click would quit the app
            await pilot.click(pane, offset=(x, 4))
        await pilot.pause()
        assert app.is_running


@run_async
async def test_preview_pane_parses_big_previews_off_the_ui_thread() -> None:
    pane = PreviewPane()
    app = HostApp(pane)
    body = "".join(f"line {i} {'x' * 60}\n" for i in range(8000))  # > INLINE_PARSE_LIMIT
    raw = build_message(subject="big one", body=body)
    assert len(raw) > INLINE_PARSE_LIMIT
    async with app.run_test(size=(100, 30)) as pilot:
        pane.show_loading("big one", uid="b")
        pane.show_preview(PreviewReady("b", raw, 20, ignored_line_count=True))
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: pane.preview is not None)
        await pilot.pause()
        assert pane.preview is not None and pane.preview.body_lines[0].startswith("line 0")
        assert "big one" in screen_text(app)


# --- full view -------------------------------------------------------------------------------


async def open_view(pilot: Any, app: HostApp, raw: bytes, uid: str = "u1") -> MessageView:
    """Push a MessageView, feed it progress and the message, wait until it is shown."""
    view = MessageView(uid, len(raw), subject="the subject")
    app.push_collect(view)
    await pilot.pause()
    assert view.show_progress(RetrieveProgress(uid, len(raw) // 2, len(raw)))
    assert not view.show_progress(RetrieveProgress("other", 1, 2))
    # what is retrieved shows once the download has taken a moment (LOADING_AFTER)
    await wait_until(pilot, lambda: "Retrieving the subject" in screen_text(app),
                     what="the progress")
    assert view.query_one(ProgressBar).percentage == pytest.approx(0.5, abs=0.01)
    assert not view.show_message(MessageRetrieved("other", b"x"))
    assert view.show_message(MessageRetrieved(uid, raw))
    await app.workers.wait_for_complete()
    await wait_until(pilot, lambda: view.rendered is not None)
    await pilot.pause()
    return view


def body_lines(view: MessageView) -> list[str]:
    return list(view.query_one("#mv-body", Log).lines)


async def save_via_dialog(
    pilot: Any, app: HostApp, key: str, folder: Path, *, accepted: bool = True
) -> None:
    """Press ``key``, replace the folder in the dialog with ``folder``, press Enter."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, SaveFolderDialog))
    app.screen.query_one(Input).value = str(folder)
    await pilot.press("enter")
    if accepted:
        await wait_until(pilot, lambda: not isinstance(app.screen, SaveFolderDialog))
        await app.workers.wait_for_complete()
    await pilot.pause()


@run_async
async def test_message_view_pages_with_space_and_offers_the_last_folder(tmp_path: Path) -> None:
    body = "".join(f"line {i}\n" for i in range(200))
    raw = build_message(body=body, attachments=(("a.txt", b"a", "text/plain"),))
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, raw)
        log = view.query_one("#mv-body", Log)
        await pilot.press("space")
        await wait_until(pilot, lambda: log.scroll_y >= log.scrollable_content_region.height - 1,
                         what="a page down")
        await pilot.press("minus")
        await wait_until(pilot, lambda: log.scroll_y == 0, what="back up")
        folder = tmp_path / "kept"
        await save_via_dialog(pilot, app, "w", folder)
        await pilot.press("e")  # the next save offers the folder used last
        await wait_until(pilot, lambda: isinstance(app.screen, SaveFolderDialog), what="dialog")
        assert app.screen.query_one(Input).value == str(folder)
        await pilot.press("escape")
        await pilot.press("d")
        await wait_until(pilot, lambda: app.results == ["mark"], what="dismissed to mark")


@run_async
async def test_message_view_keeps_blank_lines_between_paragraphs() -> None:
    raw = build_message(body="Hello Bob,\n\nthe numbers are in.\n\n\nAlice\n")
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, app, raw)
        lines = [line.strip() for line in screen_text(app).splitlines()]
        start = lines.index("Hello Bob,")
        assert lines[start : start + 6] == ["Hello Bob,", "", "the numbers are in.", "", "",
                                            "Alice"]


@run_async
async def test_message_view_shows_headers_body_attachments_and_toggles() -> None:
    raw = build_message(
        body="Hello Bob,\n\tthe numbers are in.\n",
        attachments=(("report.pdf", b"%PDF-1.4 " * 300, "application/pdf"),),
    )
    app = HostApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, app, raw)
        text = screen_text(app)
        for expected in (
            "Alice Example <alice@example.org>",
            "Quarterly report",
            "replies@example.org",
            "Hello Bob,",
            "report.pdf",
            "application/pdf",
            "2.6K",
        ):
            assert expected in text
        assert "Message-ID" not in text
        assert any(line == "        the numbers are in." for line in body_lines(view))

        await pilot.press("h")
        await pilot.pause()
        assert "Message-ID: <m1@example.org>" in screen_text(app)
        await pilot.press("h")
        await pilot.pause()
        assert "Message-ID" not in screen_text(app)

        await pilot.press("v")
        await pilot.pause()
        source = body_lines(view)
        assert "MIME-Version: 1.0" in source
        assert any(line.startswith("Content-Type: multipart/mixed") for line in source)
        await pilot.press("v")
        await pilot.pause()
        assert "MIME-Version: 1.0" not in body_lines(view)

        await pilot.press("q")
        await pilot.pause()
        assert app.results == [None]


@run_async
async def test_message_view_hostile_message_is_shown_literally() -> None:
    app = HostApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, app, hostile_message())
        text = screen_text(app)
        assert "[@click=app.quit]x" in text
        assert "[bold red]not bold[/]" in text
        assert HOSTILE_FILENAME in text  # shown as sent, saved under a safe name
        assert_no_control(app)
        assert not any(bad in line for line in body_lines(view) for bad in CONTROL)
        for x in range(8, 20):  # the subject line: a parsed @click would quit the app
            await pilot.click("#mv-headers", offset=(x, 4))
        await pilot.pause()
        assert app.is_running
        await pilot.press("v")
        await pilot.pause()
        assert_no_control(app)


@run_async
async def test_message_view_saves_inside_the_folder_and_never_overwrites(tmp_path: Path) -> None:
    outside = tmp_path / "etc" / "passwd"
    folder = tmp_path / "downloads" / "sub"
    folder.mkdir(parents=True)
    (folder / "passwd").write_bytes(b"already here")
    raw = hostile_message()
    app = HostApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, app, raw)
        await save_via_dialog(pilot, app, "w", folder)
        assert app.screen is view
        assert view.saved_paths == [folder / "passwd (1)"]
        assert (folder / "passwd (1)").read_bytes() == b"root:x:0:0\n"
        assert (folder / "passwd").read_bytes() == b"already here"
        assert not outside.exists()
        assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
            "passwd",
            "passwd (1)",
        ]
        assert any(str(folder / "passwd (1)") in n.message for n in app._notifications)

        await save_via_dialog(pilot, app, "W", folder)
        assert view.saved_paths == [folder / "passwd (2)"]

        await save_via_dialog(pilot, app, "e", folder)
        (eml,) = view.saved_paths
        assert eml.parent == folder and eml.suffix == ".eml"
        assert eml.read_bytes() == raw
        assert "/" not in eml.name and "\x1b" not in eml.name


@run_async
async def test_message_view_save_dialog_cancel_and_bad_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    raw = build_message(attachments=(("a.txt", b"data", "text/plain"),))
    app = HostApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = await open_view(pilot, app, raw)
        await save_via_dialog(pilot, app, "w", not_a_folder, accepted=False)
        assert isinstance(app.screen, SaveFolderDialog)
        assert "Not a folder" in screen_text(app)
        # ~name of no known user, a NUL byte (pasted): said in the dialog, never raised.
        await save_via_dialog(pilot, app, "w", Path("~no-such-user-popui/x"), accepted=False)
        assert isinstance(app.screen, SaveFolderDialog)
        assert "No home folder for ~no-such-user-popui" in screen_text(app)
        app.screen.query_one(Input).value = str(tmp_path / "a\0b")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaveFolderDialog)
        assert "Not a folder name" in screen_text(app)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is view and view.saved_paths == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@run_async
async def test_message_view_without_attachments_and_failure() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, build_message())
        await pilot.press("w")
        await pilot.pause()
        assert app.screen is view
        assert any("no attachments" in n.message for n in app._notifications)

        failing = MessageView("u9", 1000)
        app.push_screen(failing)
        await pilot.pause()
        assert failing.show_failure(RetrieveFailed("u9", f"-ERR {HOSTILE_SUBJECT}"))
        await pilot.pause()
        text = screen_text(app)
        assert "Could not retrieve the message: -ERR [@click=app.quit]x" in text
        assert_no_control(app)


@run_async
async def test_message_view_html_notice_and_pager_fallback() -> None:
    raw = build_message(body="", html="<p>Hello <b>HTML</b> world</p>")
    raw = raw.replace(b"Content-Type: text/plain", b"Content-Type: text/x-ignored")
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, raw)
        assert view.message is not None and view.message.text_source == "html"
        assert "HTML part shown as text" in screen_text(app)
        assert any("Hello" in line and "HTML" in line for line in body_lines(view))
        await pilot.press("o")  # headless: no terminal to hand over; a notice, no traceback
        await pilot.pause()
        assert app.is_running
        assert any("No pager" in n.message for n in app._notifications)


def test_run_pager_gets_a_private_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "in.txt"
    source.write_text("hello\n")
    source.chmod(0o600)
    copies = tmp_path / "copies"
    copies.mkdir()
    monkeypatch.setenv("PAGER", f"cp -p -t {copies}")
    assert run_pager(str(source)) is None
    assert (copies / "in.txt").read_text() == "hello\n"
    monkeypatch.setenv("PAGER", "/nonexistent/pager")
    monkeypatch.setenv("PATH", str(tmp_path))  # no less either
    assert run_pager(str(source)) is not None


@run_async
async def test_message_view_copes_with_200000_lines() -> None:
    raw = build_message(body="".join(f"line {i} of a long body\n" for i in range(200_000)))
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, raw)
        body = view.query_one("#mv-body", Log)
        assert body.line_count >= 200_000
        await pilot.press("end")
        await pilot.pause()
        assert "line 199999 of a long body" in screen_text(app)


@run_async
async def test_message_view_wraps_long_lines_to_the_view() -> None:
    paragraph = " ".join(f"word{i}" for i in range(80))  # one ~560 character line
    raw = build_message(body=paragraph + "\n")
    raw = raw.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: 8bit")
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_view(pilot, app, raw)
        lines = [line for line in body_lines(view) if line.strip()]
        assert len(lines) > 5
        assert all(len(line) <= 96 for line in lines)
        assert " ".join(line.strip() for line in lines) == paragraph


@run_async
async def test_message_view_pager_gets_sanitised_private_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = tmp_path / "copies"
    copies.mkdir()
    monkeypatch.setenv("PAGER", f"cp -p -t {copies}")
    app = HostApp()
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_view(pilot, app, hostile_message())
        await pilot.press("o")
        await pilot.pause()
        (copy,) = copies.iterdir()
        text = copy.read_text()
        assert "[@click=app.quit]x" in text and "[bold red]not bold[/]" in text
        assert not any(bad in text for bad in CONTROL)
        assert copy.stat().st_mode & 0o777 == 0o600
        assert not Path(tempfile.gettempdir(), copy.name).exists()  # removed after the pager


@run_async
async def test_confirm_commit_counts_subjects_not_passed() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 40)) as pilot:
        app.push_collect(ConfirmCommit(250, 10_000_000, [f"s{i}" for i in range(10)]))
        await pilot.pause()
        text = screen_text(app)
        assert "Delete 250 messages" in text and "and 240 more" in text and "9.5M" in text
