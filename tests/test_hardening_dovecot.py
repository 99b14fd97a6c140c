"""Faults during a session with the real Dovecot: connections cut at exact points by a TCP relay
(`relay.py`), the server restarted under an open session, and a mailbox locked by another client.

After each, the events tell the user what happened, marks are kept (unless their message is
really gone), and the Maildir shows that no message was deleted that was not marked and
committed, and none was marked seen by a preview or a header fetch.

| fault                                   | what the user is told (events)                  | Maildir afterwards                 |
|-----------------------------------------|-------------------------------------------------|------------------------------------|
| cut mid-TOP batch (pipelined headers)   | ConnectionLost, reconnect, the batch resumes     | all there, none seen; every header |
|                                         | and every header arrives, each for its message   | belongs to its own message         |
| cut mid-RETR, every time                | ConnectionLost, one retry, RetrieveFailed        | all there; only that one may be    |
|                                         | (marks kept, previews still work)                | seen (Dovecot flags it at RETR)    |
| cut mid-RETR, once                      | ConnectionLost, retried: the exact message       | all there; only that one seen      |
| cut between DELEs of a commit           | CommitFailed "failed after 1 of 3 DELE ... before | all there (no QUIT: no expunge);   |
|                                         | QUIT", reconnect: nothing vanished, marks kept;  | a second commit deletes exactly    |
|                                         | committing again works                           | the marked three                   |
| QUIT lost before reaching the server    | CommitFailed "did not confirm QUIT", reconnect:  | all there, marks kept              |
|                                         | nothing vanished                                 |                                    |
| cut after QUIT, before its +OK          | CommitFailed (may be gone), reconnect: the       | exactly the marked ones deleted    |
|                                         | marked ones vanished, Notice says so             |                                    |
| the same in the app                     | "Commit failed" dialog, then a toast saying they | exactly the marked ones deleted    |
|                                         | were deleted; the list shows the other three     |                                    |
| Dovecot restarted (sessions survive)    | nothing: the open session goes on                | all there, none seen               |
| Dovecot stopped with our session, later | ConnectionLost, "Cannot connect" while down,     | all there, none seen               |
| started again                           | then reconnected; the preview arrives            |                                    |
| [IN-USE] at login (pop3_lock_session)   | LoginFailed, not a wrong password, retry works   | all there, none seen               |
| reconnect while another client holds it | Dovecot holds our login until the lock is free;  | all there, none seen               |
|                                         | then the preview arrives, marks kept             |                                    |

The shared ``dovecot`` fixture runs without ``pop3_lock_session``; the restart and IN-USE tests
use a server of their own with it.
"""  # noqa: E501

from __future__ import annotations

import dataclasses
import os
import poplib
import re
import signal
import time
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from app_support import run_async, wait_until
from dovecot import DovecotServer, MailUser, require_dovecot
from engine_support import Recorder, dovecot_account
from maildir import as_bytes, make_message
from relay import Relay

from popui.app import PopuiApp
from popui.credentials import StaticSecret
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.requests import Commit, Connect, FetchHeaders, Preview, Retrieve
from popui.pop3.session import Pop3Session
from popui.screens.confirm import ConfirmCommit, ErrorDialog

DELE_REPLY = b"+OK Marked to be deleted.\r\n"
BACKOFF = (0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0)


@pytest.fixture(scope="module")
def locking_dovecot() -> Iterator[DovecotServer]:
    """A Dovecot of our own: it gets restarted, and it locks POP3 mailboxes."""
    require_dovecot()
    with DovecotServer(extra_config="pop3_lock_session = yes\n") as server:
        yield server


@pytest.fixture
def relay(dovecot: DovecotServer) -> Iterator[Relay]:
    with Relay(dovecot.host, dovecot.port_plain) as relay:
        yield relay


def message_ids(user: MailUser) -> dict[str, str]:
    """UIDL -> Message-ID, read with poplib (TOP marks nothing seen)."""
    client = poplib.POP3(user.server.host, user.server.port_plain, timeout=10)
    try:
        client.user(user.name)
        client.pass_(user.password)
        result = {}
        for line in client.uidl()[1]:
            number, uid = line.decode().split()
            head = BytesHeaderParser().parsebytes(b"\r\n".join(client.top(int(number), 0)[1]))
            result[uid] = str(head["Message-ID"])
        return result
    finally:
        client.quit()


@dataclasses.dataclass
class Run:
    session: Pop3Session
    rec: Recorder
    listing: ev.Listing
    ids: dict[str, str]  # uid -> Message-ID

    def uid_of(self, index: int) -> str:
        return self.listing.messages[index].uid


def start(user: MailUser, account: Account | None = None, **options) -> Run:
    ids = message_ids(user)
    rec = Recorder()
    session = Pop3Session(account or dovecot_account(user), rec, backoff=BACKOFF, **options)
    session.start(Credentials(password=user.password))
    return Run(session, rec, rec.wait(ev.Listing), ids)


def through(relay: Relay, user: MailUser) -> Account:
    return dataclasses.replace(dovecot_account(user), port=relay.port)


def kinds(rec: Recorder) -> list[str]:
    return [type(e).__name__ for e in rec.events]


# -- cuts during reading -----------------------------------------------------------------------


def test_cut_mid_top_batch_resumes_and_attributes_every_header(mailbox, relay) -> None:
    mailbox.fill(80)
    run = start(mailbox, through(relay, mailbox))
    rule = relay.cut(b"TOP ", server_bytes=6000)  # some headers, then the middle of one
    try:
        marked = {run.uid_of(3), run.uid_of(70)}
        run.session.submit(FetchHeaders(tuple(run.ids)))
        headers: dict[str, bytes] = {}
        while len(headers) < 80:
            batch = run.rec.wait(ev.HeadersFetched)
            assert not set(headers) & {uid for uid, _ in batch.headers}  # none twice
            headers.update(batch.headers)
        assert rule.fired.is_set()
        assert "closed the connection" in run.rec.of(ev.ConnectionLost)[0].message
        relisted = run.rec.of(ev.Listing)[-1]
        assert relisted.vanished == ()  # so the Mailbox keeps every mark
        assert marked <= {m.uid for m in relisted.messages}
    finally:
        run.session.stop()
    for uid, header in headers.items():
        assert f"Message-ID: {run.ids[uid]}".encode() in header
    assert len(mailbox.maildir.files()) == 80
    assert mailbox.maildir.seen_files() == []


def test_cut_mid_retr_every_time_fails_clearly_and_marks_nothing(mailbox, relay) -> None:
    mailbox.maildir.deliver_many([make_message(0), make_message(1, body_lines=4000)])
    run = start(mailbox, through(relay, mailbox))
    relay.cut(b"RETR ", server_bytes=20_000, times=None)
    big = next(uid for uid, mid in run.ids.items() if mid == "<msg-00001@popui.test>")
    try:
        run.session.submit(Retrieve(big))
        failed = run.rec.wait(ev.RetrieveFailed)
        assert "closed the connection" in failed.message
        assert len(run.rec.of(ev.ConnectionLost)) >= 2  # the first try and the one retry
        assert not run.rec.of(ev.MessageRetrieved)
        progress = run.rec.of(ev.RetrieveProgress)
        assert progress and max(p.received for p in progress) < 20_000
        assert not any(big in listing.vanished for listing in run.rec.of(ev.Listing))
        # the session is usable: a preview works
        run.session.submit(Preview(big, lines=3))
        assert b"Line 2 of message 1." in run.rec.wait(ev.PreviewReady).data
    finally:
        run.session.stop()
    assert len(mailbox.maildir.files()) == 2
    # Dovecot flags a message seen once RETR has started, even if the answer was cut: the user
    # asked to open it. The other message stays unseen; the preview marked nothing.
    assert mailbox.maildir.seen_message_ids() <= {"<msg-00001@popui.test>"}
    assert "<msg-00000@popui.test>" in mailbox.maildir.message_ids()


def test_cut_mid_retr_once_is_retried_and_gives_the_exact_message(mailbox, relay) -> None:
    big = make_message(1, body_lines=4000)
    mailbox.maildir.deliver_many([make_message(0), big])
    run = start(mailbox, through(relay, mailbox))
    rule = relay.cut(b"RETR ", server_bytes=50_000)
    uid = next(u for u, mid in run.ids.items() if mid == "<msg-00001@popui.test>")
    try:
        run.session.submit(Retrieve(uid))
        data = run.rec.wait(ev.MessageRetrieved).data
        assert rule.fired.is_set() and run.rec.of(ev.ConnectionLost)
        assert not run.rec.of(ev.RetrieveFailed)
    finally:
        run.session.stop()
    assert data == as_bytes(big)
    assert mailbox.maildir.seen_message_ids() == {"<msg-00001@popui.test>"}


# -- cuts during a commit ----------------------------------------------------------------------


def test_cut_between_deles_deletes_nothing_and_commit_can_be_repeated(mailbox, relay) -> None:
    mailbox.fill(6)
    run = start(mailbox, through(relay, mailbox))
    doomed = {run.uid_of(1), run.uid_of(2), run.uid_of(4)}
    rule = relay.cut(b"DELE ", server_bytes=len(DELE_REPLY))  # the first +OK only
    try:
        run.session.submit(Commit(tuple(sorted(doomed))))
        failed = run.rec.wait(ev.CommitFailed)
        # pipelined: all three DELEs went out, one +OK came back; each may have been applied
        assert "3 of 3 DELE commands were sent (1 confirmed)" in failed.message
        assert "before QUIT" in failed.message and "up to 3 messages" in failed.message
        assert set(failed.maybe_deleted) == doomed
        relisted = run.rec.wait(ev.Listing)
        assert relisted.vanished == () and len(relisted.messages) == 6
        checked = run.rec.wait(ev.CommitChecked)
        assert checked.gone == () and set(checked.kept) == doomed
        assert rule.fired.is_set()
        assert len(mailbox.maildir.files()) == 6
        # committing again, the connection holding, deletes exactly the marked three
        run.session.submit(Commit(tuple(sorted(doomed))))
        assert set(run.rec.wait(ev.CommitDone).deleted) == doomed
        run.rec.wait(ev.Listing)
    finally:
        run.session.stop()
    assert mailbox.maildir.message_ids() == set(run.ids.values()) - {run.ids[u] for u in doomed}
    assert mailbox.maildir.seen_files() == []


def test_quit_lost_on_the_way_deletes_nothing(mailbox, relay) -> None:
    mailbox.fill(4)
    run = start(mailbox, through(relay, mailbox))
    doomed = {run.uid_of(0), run.uid_of(3)}
    relay.cut(b"QUIT", forward=False)
    try:
        run.session.submit(Commit(tuple(doomed)))
        failed = run.rec.wait(ev.CommitFailed)
        assert "did not confirm QUIT" in failed.message
        assert set(failed.maybe_deleted) == doomed  # both DELEs were acknowledged
        assert run.rec.wait(ev.Listing).vanished == ()
        checked = run.rec.wait(ev.CommitChecked)
        assert checked.gone == () and set(checked.kept) == doomed
    finally:
        run.session.stop()
    assert mailbox.maildir.message_ids() == set(run.ids.values())
    assert mailbox.maildir.seen_files() == []


def test_cut_after_quit_reports_what_the_server_really_deleted(mailbox, relay) -> None:
    mailbox.fill(5)
    run = start(mailbox, through(relay, mailbox))
    doomed = {run.uid_of(1), run.uid_of(3)}
    rule = relay.cut(b"QUIT", server_bytes=0)  # Dovecot acts on QUIT; its +OK never arrives
    try:
        run.session.submit(Commit(tuple(doomed)))
        failed = run.rec.wait(ev.CommitFailed)
        assert "did not confirm QUIT" in failed.message
        assert set(failed.maybe_deleted) == doomed
        relisted = run.rec.wait(ev.Listing)
        assert set(relisted.vanished) == doomed
        checked = run.rec.wait(ev.CommitChecked)
        assert set(checked.gone) == doomed and checked.kept == ()
        assert rule.fired.is_set()
    finally:
        run.session.stop()
    assert mailbox.maildir.message_ids() == set(run.ids.values()) - {run.ids[u] for u in doomed}
    assert mailbox.maildir.seen_files() == []


# -- the server restarts, the mailbox is locked ----------------------------------------------


def _session_process(server: DovecotServer, user: MailUser) -> int:
    """The pid of the pop3 process serving the user's latest login (from Dovecot's log)."""
    pids = re.findall(rf"Login: user=<{user.name}>.*?mpid=(\d+)", server.log_text())
    assert pids, "no login in the log"
    return int(pids[-1])


def _end_process(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM to one pop3 process of our own Dovecot, then wait until it is gone."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"pop3 process {pid} did not end"
        time.sleep(0.01)  # poll interval for the condition above, not a sync


def test_dovecot_restart_under_an_open_session(locking_dovecot: DovecotServer) -> None:
    user = locking_dovecot.add_user()
    user.fill(4)
    run = start(user)
    marked = run.uid_of(2)
    try:
        # Dovecot 2.3 keeps running sessions alive when its master restarts: ours goes on
        locking_dovecot.halt()
        locking_dovecot.resume()
        run.session.submit(Preview(run.uid_of(0)))
        assert run.rec.wait(ev.PreviewReady).uid == run.uid_of(0)
        assert not run.rec.of(ev.ConnectionLost)
        # Stopped, taking our session with it (shutdown_clients): Dovecot sends
        # "-ERR [SYS/TEMP] Server shutting down." and closes; it stays down for a while
        locking_dovecot.halt()
        _end_process(_session_process(locking_dovecot, user))
        run.session.submit(Preview(run.uid_of(1)))
        lost = run.rec.wait(ev.ConnectionLost)
        assert "temporary problem" in lost.message and "Server shutting down" in lost.message
        run.rec.wait(ev.ConnectionLost, lambda e: "Cannot connect" in e.message)
        locking_dovecot.resume()
        ready = run.rec.wait(ev.PreviewReady)
        assert ready.uid == run.uid_of(1)
        relisted = run.rec.of(ev.Listing)[-1]
        assert relisted.vanished == () and len(relisted.messages) == 4
        connected = run.rec.of(ev.Connected)
        assert len(connected) == 2 and connected[-1].reconnect
        assert marked in {m.uid for m in relisted.messages}  # so its mark is kept
        assert not run.rec.of(ev.PreviewFailed)
    finally:
        run.session.stop()
    assert len(user.maildir.files()) == 4
    assert user.maildir.seen_files() == []


def _hold_lock(user: MailUser) -> poplib.POP3:
    client = poplib.POP3(user.server.host, user.server.port_plain, timeout=10)
    client.user(user.name)
    client.pass_(user.password)
    return client


def test_in_use_at_login_is_not_a_wrong_password(locking_dovecot: DovecotServer) -> None:
    """Dovecot waits up to 10 s for the lock before answering [IN-USE]: one slow test."""
    user = locking_dovecot.add_user()
    user.fill(3)
    ids = message_ids(user)
    other = _hold_lock(user)
    rec = Recorder()
    session = Pop3Session(dovecot_account(user, timeout=30.0), rec, backoff=BACKOFF)
    session.start(Credentials(password=user.password))
    try:
        failed = rec.wait(ev.LoginFailed, timeout=30)
        assert not failed.wrong_credentials and failed.retry_after
        assert "in use by another client" in failed.message
        other.quit()
        session.submit(Connect(Credentials(password=user.password)))
        assert len(rec.wait(ev.Listing).messages) == 3
    finally:
        session.stop()
    assert user.maildir.message_ids() == set(ids.values())
    assert user.maildir.seen_files() == []


def test_reconnect_while_another_client_holds_the_lock(locking_dovecot: DovecotServer) -> None:
    """Dovecot makes the login wait for the lock; when the other client quits we are in."""
    user = locking_dovecot.add_user()
    user.fill(3)
    run = start(user, dovecot_account(user, timeout=30.0))
    try:
        assert run.session._client is not None
        run.session._client.sock.close()  # the network drops
        other = _hold_lock(user)  # another client takes the mailbox once Dovecot saw the drop
        run.session.submit(Preview(run.uid_of(1)))
        run.rec.wait(ev.Connecting, lambda e: e.reconnect)
        other.quit()
        assert run.rec.wait(ev.PreviewReady).uid == run.uid_of(1)
        assert run.rec.of(ev.Listing)[-1].vanished == ()
        assert run.uid_of(0) in {m.uid for m in run.rec.of(ev.Listing)[-1].messages}
    finally:
        run.session.stop()
    assert user.maildir.message_ids() == set(run.ids.values())
    assert user.maildir.seen_files() == []


# -- the same, seen through the app ------------------------------------------------------------


@run_async
async def test_app_tells_what_a_lost_quit_reply_deleted(mailbox, relay, tmp_path) -> None:
    mailbox.fill(5)
    app = PopuiApp(account=through(relay, mailbox), secrets=StaticSecret(mailbox.password),
                   state_folder=tmp_path / "state")
    async with app.run_test(size=(150, 30)) as pilot:
        await wait_until(pilot, lambda: app.main.status.status.loaded == 5, what="5 rows")
        await pilot.press("d", "d")  # the two newest
        marked = {app.main.message_list.row(uid).subject for uid in app.main.mailbox.marks}
        assert marked == {"Test message 00004", "Test message 00003"}
        relay.cut(b"QUIT", server_bytes=0)
        await pilot.press("dollar_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmCommit), what="confirm")
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorDialog), what="error dialog")
        assert app.screen.title_text == "Commit failed"
        assert "did not confirm QUIT" in app.screen.message
        assert "Test message 00004" in app.screen.message  # named, not only counted
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("gone from the server" in n.message
                                            and "Test message 00003" in n.message
                                            for n in app._notifications), what="the notice")
        await wait_until(pilot, lambda: len(app.main.message_list.view) == 3, what="relisted")
        assert len(app.main.mailbox.marks) == 0
        await app.action_quit_now()
    assert mailbox.maildir.message_ids() == {f"<msg-{i:05d}@popui.test>" for i in (0, 1, 2)}
    assert mailbox.maildir.seen_files() == []
