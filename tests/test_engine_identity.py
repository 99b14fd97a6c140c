"""Message identity on servers that don't give unique UIDLs, and commits that fail halfway.

Each test reproduces a way the wrong message was deleted (or the damage under-reported) before
identities were fingerprints checked again at commit time; see `popui.pop3.identity`.
"""

from __future__ import annotations

import threading

from engine_support import Recorder
from fault_server import (
    PASSWORD,
    USER,
    FaultServer,
    Session,
    StoredMessage,
    fault_server,
    make_message,
)
from test_engine_faults import session_on

from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.identity import is_fingerprint
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import Commit, FetchHeaders, Preview, Refresh
from popui.pop3.session import Pop3Session


def _messages(count: int) -> list[tuple[str, bytes]]:
    return [(f"REL-{n}", make_message(n)) for n in range(1, count + 1)]


def _subject_of(headers: dict[str, bytes], key: str) -> bytes:
    line = next(x for x in headers[key].splitlines() if x.startswith(b"Subject:"))
    return line.split(b": ", 1)[1]


def _headers_after(rec, listing: ev.Listing) -> dict[str, bytes]:
    """The header blocks the session read to fingerprint ``listing``."""
    headers: dict[str, bytes] = {}
    while len(headers) < sum(is_fingerprint(m.uid) for m in listing.messages):
        headers.update(rec.wait(ev.HeadersFetched).headers)
    return headers


def test_no_uidl_after_a_commit_the_rows_keep_their_own_headers() -> None:
    # Keyed by number, after deleting message 1 every row showed the previous message's
    # headers, and a mark on the row reading "message 3" deleted message 4.
    with fault_server("no-uidl", _messages(5)) as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        headers = _headers_after(rec, listing)
        keys = {_subject_of(headers, m.uid): m.uid for m in listing.messages}
        session.submit(Commit((keys[b"message 1"],)))
        rec.wait(ev.CommitDone)
        relisted = rec.wait(ev.Listing)
        again = _headers_after(rec, relisted)
        for m in relisted.messages:  # the same message keeps the same key, wherever it moved
            assert keys[_subject_of(again, m.uid)] == m.uid
        session.submit(Commit((keys[b"message 3"],)))
        rec.wait(ev.CommitDone)
    assert server.deleted == ["REL-1", "REL-3"]


def test_no_uidl_a_mark_on_a_message_replaced_while_away_deletes_nothing() -> None:
    # The mailbox changes while popui is disconnected: message 2 is gone and another message
    # of the same size takes its number. The mark must not delete the stranger.
    messages = _messages(3)
    stranger = make_message(2).replace(b"message 2", b"message X")
    assert len(stranger) == len(messages[1][1])
    with fault_server("no-uidl", messages) as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        marked = listing.messages[1].uid
        assert session._client is not None
        session._client.sock.close()  # the network drops...
        old = server.mailbox.snapshot()
        server.mailbox.remove(old[1:])  # ...and the mailbox changes meanwhile
        server.mailbox.add("REL-X", stranger)
        server.mailbox.add(old[2].uid, old[2].data)
        session.submit(Commit((marked,)))
        done = rec.wait(ev.CommitDone)
        assert done.deleted == () and done.missing == (marked,)
        assert "changed" in done.message
    assert server.deleted == ["REL-2", "REL-3"]  # the test's own removal, nothing by popui
    assert [m.uid for m in server.mailbox.snapshot()] == ["REL-1", "REL-X", "REL-3"]


class _AllShareOneUidl(FaultServer):
    """Every message reports the same UIDL (seen on a server restored from a backup)."""

    def uid(self, session: Session, n: int, message: StoredMessage) -> str:
        return "REL"


def test_duplicate_uidls_after_a_deletion_a_mark_still_names_its_message() -> None:
    # Renamed "uid#dupN" by number, one deletion shifted the names: a mark on the row
    # reading "message 3" deleted message 4.
    server = _AllShareOneUidl(_messages(4))
    server.start()
    try:
        with session_on(server) as (session, rec):
            listing = rec.wait(ev.Listing)
            headers = _headers_after(rec, listing)
            keys = {_subject_of(headers, m.uid): m.uid for m in listing.messages}
            session.submit(Commit((keys[b"message 2"],)))
            rec.wait(ev.CommitDone)
            rec.wait(ev.Listing)
            session.submit(Commit((keys[b"message 3"],)))
            done = rec.wait(ev.CommitDone)
            assert done.deleted == (keys[b"message 3"],)
    finally:
        server.stop()
    assert server.deleted == ["REL-2", "REL-3"]


def test_a_commit_cut_at_the_third_dele_reports_every_dele_sent_and_then_the_truth() -> None:
    # A QPOP-like server applies DELEs on any disconnect. With 4 marked and the link cut at
    # the 3rd DELE, the dialog said "up to 0 (or 1)" while the server deleted 3.
    with fault_server(["drop-at-nth", "commit-on-disconnect"], _messages(6), targets=("DELE",),
                      drop_at=3) as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        marked = tuple(m.uid for m in listing.messages[:4])
        session.submit(Commit(marked))
        failed = rec.wait(ev.CommitFailed)
        assert set(failed.maybe_deleted) == set(marked)  # pipelined: all 4 were sent
        assert "up to 4 messages may be gone" in failed.message
        checked = rec.wait(ev.CommitChecked)
        assert checked.gone == marked[:3] and checked.kept == marked[3:]
        session.submit(Preview(marked[3]))  # the kept one is still there and readable
        assert b"message 4" in rec.wait(ev.PreviewReady).data
    assert server.deleted == ["REL-1", "REL-2", "REL-3"]


def test_no_uidl_and_no_top_marks_last_for_one_connection() -> None:
    with fault_server(["no-uidl", "no-top"], _messages(3)) as server, session_on(server) as (
        session, rec
    ):
        assert rec.wait(ev.Connected).session_only
        assert "this connection only" in rec.wait(ev.Notice).message
        listing = rec.wait(ev.Listing)
        marked = listing.messages[0].uid
        assert session._client is not None
        session._client.sock.close()
        session.submit(Commit((marked,)))
        done = rec.wait(ev.CommitDone)
        assert done.deleted == () and done.missing == (marked,)
    assert server.deleted == []


def test_a_preview_jumps_a_rolling_header_fill() -> None:
    # The background fill keeps its window full without draining between batches, and gives
    # way as soon as the user asks for a preview: the window drains, the preview is answered,
    # and the fill goes on where it stopped, every header exactly once.
    log = ProtocolLog(level=1)
    tops_sent = threading.Semaphore(0)
    log.subscribe(lambda line: line.text.startswith("TOP") and tops_sent.release())
    with fault_server("slow-drip", _messages(200), targets=("TOP",), drip_delay=0.0002) as server:
        account = Account(name="roll", host=server.host, port=server.port, security="none",
                          user=USER, auth="user", timeout=10.0)
        rec = Recorder()
        session = Pop3Session(account, rec, window=8, log=log)
        session.start(Credentials(password=PASSWORD))
        try:
            listing = rec.wait(ev.Listing)
            keys = tuple(m.uid for m in listing.messages)
            session.submit(FetchHeaders(keys))
            for _ in range(10):  # the fill is under way
                assert tops_sent.acquire(timeout=20)
            session.submit(Preview(keys[-1], lines=1))
            assert b"message 200" in rec.wait(ev.PreviewReady, timeout=30).data
            rec.wait(ev.HeadersFetched, lambda e: e.done == 200, timeout=60)
        finally:
            session.stop()
    tops = [line for _, line in server.commands if line.startswith("TOP")]
    assert tops.index("TOP 200 1") < 40  # answered long before the 200 headers were
    got = [key for e in rec.of(ev.HeadersFetched) for key, _ in e.headers]
    assert sorted(got) == sorted(keys)


def test_r_gives_up_on_a_dripping_preview_at_once() -> None:
    # A server dripping a preview slowly enough to pass for alive held the session: the
    # refresh waited behind it. Now a refresh cuts the read and logs in again at once.
    log = ProtocolLog(level=1)
    top_sent = threading.Event()
    log.subscribe(lambda line: line.text.startswith("TOP") and top_sent.set())
    with fault_server("slow-drip", _messages(3), targets=("TOP",), drip_delay=0.05) as server:
        account = Account(name="drip", host=server.host, port=server.port, security="none",
                          user=USER, auth="user", timeout=120.0)
        rec = Recorder()
        session = Pop3Session(account, rec, log=log, backoff=(0.05, 0.2, 0.5, 1.0))
        session.start(Credentials(password=PASSWORD))
        try:
            listing = rec.wait(ev.Listing)
            session.submit(Preview(listing.messages[0].uid, lines=5))
            assert top_sent.wait(20)
            session.submit(Refresh())
            rec.wait(ev.Listing, timeout=10)  # not the minutes the drip would take
        finally:
            session.stop(grace=0.2)


def test_stop_does_not_wait_for_a_server_that_never_greets() -> None:
    # Quitting while connecting to a silent server took the whole greeting timeout.
    import socket

    accepted = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        conn, _ = listener.accept()
        held.append(conn)
        accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    account = Account(name="silent", host="127.0.0.1", port=listener.getsockname()[1],
                      security="none", user=USER, auth="user", timeout=30.0)
    rec = Recorder()
    session = Pop3Session(account, rec)
    session.start(Credentials(password=PASSWORD))
    try:
        assert accepted.wait(10)
        session.stop(grace=0.1)
        assert session._thread is not None and session._thread.is_alive()  # not waited for
        assert not rec.of(ev.Connected)
    finally:
        for conn in held:
            conn.close()  # the thread's connect ends; it sees it is stopping
        listener.close()
        if session._thread is not None:
            session._thread.join(35)
    assert not session._thread.is_alive()
