"""The full view as a reader, on its own (a message handed to it, as an attached one is):
$PAGER's text, attachments opened with another program after a confirm, the palette."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from app_support import HostApp, run_async, screen_text, wait_until

from popui.commands import VIEW_COMMANDS
from popui.screens.confirm_action import ConfirmAction
from popui.screens.message_view import MessageView


def message_with_pdf() -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Alice <alice@example.org>"
    msg["Subject"] = "The report"
    msg["X-Extra"] = "only with all headers"
    msg.set_content("Here it is.\n")
    msg.add_attachment(b"%PDF-1.4 fake\n", maintype="application", subtype="pdf",
                       filename="report.pdf")
    return msg.as_bytes()


async def shown(pilot, app: HostApp, view: MessageView) -> None:  # type: ignore[no-untyped-def]
    app.push_collect(view)
    await wait_until(pilot, lambda: view.message is not None, what="parsed")
    await pilot.pause()


@run_async
async def test_pager_gets_the_headers_shown_then_the_text(tmp_path: Path) -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = MessageView("x", 0, "The report", data=message_with_pdf())
        await shown(pilot, app, view)
        lines = view.pager_lines()
        assert lines[0].startswith("From") and "alice@example.org" in lines[0]
        assert any(line.startswith("Subject") and "The report" in line for line in lines)
        assert "Here it is." in lines
        assert not any("X-Extra" in line for line in lines)
        await pilot.press("h")  # all headers: $PAGER gets all of them
        assert "X-Extra: only with all headers" in view.pager_lines()
        await pilot.press("v")  # the source: as sent
        assert "X-Extra: only with all headers" in view.pager_lines()
        assert any("Content-Type: application/pdf" in line for line in view.pager_lines())


@run_async
async def test_other_attachments_open_with_the_opener_after_a_confirm(tmp_path: Path) -> None:
    copy = tmp_path / "opened.pdf"
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = MessageView("x", 0, "The report", data=message_with_pdf(),
                           opener=f"cp {{}} {copy}")
        await shown(pilot, app, view)
        await pilot.press("a", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), what="confirm")
        assert "Open report.pdf with cp?" in screen_text(app)
        await pilot.press("n")  # no: nothing is written or run
        await wait_until(pilot, lambda: app.screen is view, what="back")
        await app.workers.wait_for_complete()
        assert not copy.exists()
        await pilot.press("enter")  # the attachment list still has the focus
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmAction), what="confirm")
        await pilot.press("y")
        await wait_until(pilot, copy.exists, what="the opener ran on the file")
        await wait_until(pilot, lambda: copy.read_bytes() == b"%PDF-1.4 fake\n",
                         what="the whole file")


@run_async
async def test_the_palette_of_the_full_view_has_its_commands() -> None:
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = MessageView("x", 0, "The report", data=message_with_pdf())
        await shown(pilot, app, view)
        titles = [title for title, _, _ in view.palette_commands()]
        assert titles == [command.title for command in VIEW_COMMANDS]
        toggle = dict((t, cb) for t, _, cb in view.palette_commands())["All headers"]
        await toggle()  # type: ignore[misc]
        assert view.all_headers


@run_async
async def test_help_lists_the_keys_of_the_screen_it_was_asked_on() -> None:
    from popui.screens.help import HelpScreen

    app = HostApp()
    async with app.run_test(size=(120, 60)) as pilot:
        view = MessageView("x", 0, "The report", data=message_with_pdf())
        await shown(pilot, app, view)
        app.push_screen(HelpScreen({"view_next": "ctrl+n"}))
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        text = screen_text(app)
        assert "Next match" in text and "Links" in text and "Quit now" in text
        assert "Commit" not in text and "Fold thread" not in text
        assert "^n" in text or "ctrl+n" in text.lower()
