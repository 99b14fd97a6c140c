"""The engine against servers that misbehave (the fault server): typed errors, clear messages,
bounded time and memory, recovery by reconnecting, and no mark lost.

| fault                     | what the engine must do                                          |
|---------------------------|------------------------------------------------------------------|
| no TOP / TOP broken       | previews say so (offer the full view); headers fail once, clearly |
| TOP ignores line count    | preview flagged, list rows still get only the header block        |
| no UIDL                   | session-only mode with a warning; commit still exact              |
| no CAPA                   | logs in with USER/PASS; TOP and UIDL still tried                   |
| Courier's UTF8 (RFC 6856) | UTF8 sent before login: real headers, not a notice; RETR complete  |
|                           | even when it sends more than LIST said                            |
| duplicate UIDLs           | made unique for the session; a mark covers one message only       |
| UIDL changes per session  | after a reconnect the old marks are reported vanished, not applied |
| [IN-USE]                  | LoginFailed, not a wrong password; says another client has it      |
| [SYS/PERM] / garbage      | Fatal with a sentence; never a crash                              |
| 10 GB in LIST             | RETR refused before sending, naming max_message_size              |
| drop / missing terminator | ConnectionLost, reconnect, request retried once, then a failure   |
| endless line / multiline  | memory cap hit, connection dropped, session recovers              |
| slow drip                 | deadline hit, connection dropped, session recovers                |
| drip + 10 GB claim        | the claim does not stretch the deadline; refresh works after      |
| steady slow transfer      | not cut off while above the minimum rate, however long it takes   |
| QPOP deletes on disconnect| marks never sent before commit: a drop deletes nothing             |
| drop before QUIT reply    | CommitFailed names what may be gone; the reconnect tells the truth |
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from engine_support import Recorder
from fault_server import (
    COURIER_NOTICE,
    PASSWORD,
    USER,
    CourierUtf8,
    FaultServer,
    default_messages,
    fault_server,
    make_message,
)

from popui.demo.server import Session
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.errors import TopCutOff
from popui.pop3.identity import is_fingerprint
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import Commit, FetchHeaders, Preview, Refresh, Retrieve
from popui.pop3.session import Pop3Session


@contextmanager
def session_on(server: FaultServer, backoff: tuple[float, ...] = (0.01, 0.02),
               **account_fields) -> Iterator[tuple[Pop3Session, Recorder]]:
    fields = {"timeout": 2.0, "auth": "user", **account_fields}
    account = Account(name="fault", host=server.host, port=server.port, security="none",
                      user=USER, **fields)
    recorder = Recorder()
    session = Pop3Session(account, recorder, backoff=backoff)
    session.start(Credentials(password=PASSWORD))
    try:
        yield session, recorder
    finally:
        session.stop()


def test_no_top_previews_offer_the_full_view() -> None:
    with fault_server("no-top") as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(Preview(listing.messages[0].uid))
        failed = rec.wait(ev.PreviewFailed)
        assert failed.top_unsupported and "Enter" in failed.message
        session.submit(FetchHeaders(tuple(m.uid for m in listing.messages)))
        assert "TOP" in rec.wait(ev.HeadersFailed).message
    assert "RETR" not in server.verbs()


def test_top_ignoring_line_count_is_flagged_and_headers_stay_headers() -> None:
    with fault_server("top-ignores-lines") as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(Preview(listing.messages[0].uid, lines=1))
        assert rec.wait(ev.PreviewReady).ignored_line_count
        session.submit(FetchHeaders((listing.messages[0].uid,)))
        (_, header), = rec.wait(ev.HeadersFetched).headers
        assert header.startswith(b"From:") and b"body line" not in header


UTF8_MESSAGE = ("Subject: Grüße aus Köln\r\nFrom: Jörg <j@example.de>\r\n"
                "Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n"
                + "".join(f"Zeile {i} mit Umlauten: äöü\r\n" for i in range(200))).encode()


def courier_messages() -> list[tuple[str, bytes]]:
    return [("uid-ascii", default_messages(1)[0][1]), ("uid-utf8", UTF8_MESSAGE)]


def test_courier_gets_utf8_before_login_so_headers_and_bodies_are_the_real_ones() -> None:
    with fault_server("courier-utf8", courier_messages()) as server:
        server.list_shortfall = 730  # LIST understates, as Courier's did by 730 octets
        with session_on(server) as (session, rec):
            listing = rec.wait(ev.Listing)
            utf8 = listing.messages[1]
            assert utf8.size == len(UTF8_MESSAGE) - 730
            session.submit(FetchHeaders(tuple(m.uid for m in listing.messages)))
            headers = dict(rec.wait(ev.HeadersFetched, lambda e: e.done == 2).headers)
            assert "Grüße aus Köln".encode() in headers[utf8.uid]
            session.submit(Retrieve(utf8.uid))
            assert rec.wait(ev.MessageRetrieved).data == UTF8_MESSAGE  # all of it
    verbs = server.verbs()
    assert verbs.index("UTF8") < verbs.index("USER")  # RFC 6856: in the AUTHORIZATION state
    assert verbs.count("UTF8") == 1


def test_without_utf8_the_whole_courier_notice_arrives_though_list_said_less() -> None:
    """A server that never offers UTF8 but wraps anyway (here: UTF8 refused) still delivers
    every octet RETR sends, more than LIST announced."""

    class Refusing(CourierUtf8):
        def dispatch(self, session: Session, line: str) -> None:
            if line.strip().upper() == "UTF8":
                self.commands.append((session.id, "UTF8"))
                self.err(session, "not now")
                return
            super().dispatch(session, line)

    server = Refusing(courier_messages())
    server.start()
    try:
        with session_on(server) as (session, rec):
            listing = rec.wait(ev.Listing)
            session.submit(Retrieve(listing.messages[1].uid))
            data = rec.wait(ev.MessageRetrieved).data
        assert data.startswith(COURIER_NOTICE) and UTF8_MESSAGE in data
        assert len(data) > listing.messages[1].size
        assert server.verbs().count("UTF8") == 2  # before login, and once more after it
    finally:
        server.stop()


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_client_records_utf8_mode(when: str) -> None:
    class AfterLoginOnly(CourierUtf8):
        def capabilities(self, session: Session) -> list[str]:
            caps = super().capabilities(session)
            return caps if session.state == "TRANSACTION" else caps[:-1]

    server = (CourierUtf8 if when == "before" else AfterLoginOnly)(courier_messages())
    server.start()
    try:
        client = Pop3Client(Account(name="c", host=server.host, port=server.port,
                                    security="none", user=USER, auth="user"))
        client.login(Credentials(password=PASSWORD))
        negotiated = client.negotiated
        assert negotiated.utf8 and client.retr_bytes(2) == UTF8_MESSAGE
        assert negotiated.before_login.utf8 is (when == "before")
        assert negotiated.after_login.utf8
        client.quit()
        login_at = server.verbs().index("USER")
        assert (server.verbs().index("UTF8") < login_at) is (when == "before")
    finally:
        server.stop()


class CountingSocket:
    """Stands in for the client's socket in its reader: counts the octets received."""

    def __init__(self, sock, counter: list[int]) -> None:
        self.sock, self.counter = sock, counter

    def settimeout(self, timeout: float) -> None:
        self.sock.settimeout(timeout)

    def recv(self, size: int) -> bytes:
        data = self.sock.recv(size)
        self.counter[0] += len(data)
        return data


def big_and_small_messages() -> list[tuple[str, bytes]]:
    """Three small messages and two of 4 MB: 8 MB in all, 1 KB of headers."""
    messages = default_messages(5)
    for n in (2, 4):
        head = messages[n - 1][1].split(b"\r\n\r\n")[0]
        messages[n - 1] = (f"uid-{n}", head + b"\r\n\r\n" + (b"y" * 78 + b"\r\n") * 52_000)
    return messages


def test_top_that_ignores_its_line_count_costs_about_what_the_headers_cost() -> None:
    messages = big_and_small_messages()
    total = sum(len(data) for _, data in messages)
    received = [0]
    headers: dict[str, bytes] = {}
    connections = 0
    with fault_server("top-ignores-lines", messages) as server:
        while len(headers) < len(messages):
            connections += 1
            client = Pop3Client(Account(name="c", host=server.host, port=server.port,
                                        security="none", user=USER, auth="user"))
            client.file.sock = CountingSocket(client.file.sock, received)  # type: ignore[assignment]
            client.login(Credentials(password=PASSWORD))
            listing, _ = client.listing()
            todo = [m for m in listing if m.uidl not in headers]
            try:
                for index, head in client.headers(todo, window=100):
                    assert isinstance(head, bytes)
                    headers[todo[index].uidl] = head
            except TopCutOff as exc:
                assert "after its header" in str(exc)
                assert client.sock is None  # closed: the caller reconnects
                server.wait_sessions(connections)
                continue
            assert client.top_ignores_lines
            client.quit()
    for uid, data in messages:
        assert headers[uid] == data.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert connections == 3  # one more for each 4 MB message, none for the small ones
    # each cut-off message costs at most one read of the socket; 8 MB were never downloaded
    assert received[0] < total / 8, (received[0], total)


def test_the_session_fills_every_header_says_so_once_and_previews_still_work() -> None:
    messages = big_and_small_messages()
    with fault_server("top-ignores-lines", messages) as server, session_on(
        server, backoff=(0.05, 0.2, 0.5, 1.0, 2.0)
    ) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(FetchHeaders(tuple(m.uid for m in listing.messages)))
        rec.wait(ev.HeadersFetched, lambda e: e.done == 5)
        session.submit(Preview(listing.messages[1].uid, lines=2))
        preview = rec.wait(ev.PreviewReady)
        assert preview.ignored_line_count and b"Subject: message 2" in preview.data
    fetched = dict(h for e in rec.of(ev.HeadersFetched) for h in e.headers)
    assert {uid: head.split(b"\r\n")[2] for uid, head in fetched.items()} == {
        f"uid-{n}": f"Subject: message {n}".encode() for n in range(1, 6)}
    notes = [e.message for e in rec.of(ev.Notice) if "line count" in e.message]
    assert len(notes) == 1
    assert not rec.of(ev.HeadersFailed) and "RETR" not in server.verbs()


def test_whole_messages_already_in_flight_behind_the_probe_are_dropped_or_cut() -> None:
    # The first window goes out with the probe, before the server is known to send whole
    # messages: the small replies in flight are read and dropped on the same connection, the
    # first long one ends it after its header, and the connection after that stays in step.
    messages = default_messages(8)
    head5 = messages[4][1].split(b"\r\n\r\n")[0]
    messages[4] = ("uid-5", head5 + b"\r\n\r\n" + (b"y" * 78 + b"\r\n") * 52_000)  # 4 MB
    log = ProtocolLog(level=1)
    headers: dict[str, bytes] = {}
    with fault_server("top-ignores-lines", messages) as server:
        account = Account(name="c", host=server.host, port=server.port, security="none",
                          user=USER, auth="user")
        client = Pop3Client(account, log=log)
        client.login(Credentials(password=PASSWORD))
        listing, _ = client.listing()
        start = len(log.lines())
        with pytest.raises(TopCutOff):
            for index, head in client.headers(listing, window=100):
                assert isinstance(head, bytes)
                headers[listing[index].uidl or ""] = head
        lines = log.lines()[start:]
        first_reply = next(i for i, line in enumerate(lines) if line.direction == "<")
        assert sum(line.text.startswith("TOP") for line in lines[:first_reply]) == 8  # in flight
        assert client.top_ignores_lines and client.sock is None
        assert sorted(headers) == [f"uid-{n}" for n in range(1, 6)]  # up to the long one
        server.wait_sessions(1)
        client = Pop3Client(account)
        client.login(Credentials(password=PASSWORD))
        listing, _ = client.listing()
        rest = [m for m in listing if m.uidl not in headers]
        headers.update((rest[i].uidl or "", head) for i, head in client.headers(rest))
        assert client.stat_totals()[0] == 8  # in step after dropping what was in flight
        client.quit()
    for uid, data in messages:
        assert headers[uid] == data.split(b"\r\n\r\n")[0] + b"\r\n\r\n"


def test_a_preview_does_not_wait_for_whole_messages_in_flight() -> None:
    # Something urgent waits (stop) while a window of whole messages is in flight: the
    # connection is closed at once instead of reading them all (the caller reconnects).
    messages = [(f"uid-{n}", make_message(n, body_lines=300)) for n in range(1, 9)]  # ~10 KB
    with fault_server("top-ignores-lines", messages) as server:
        client = Pop3Client(Account(name="c", host=server.host, port=server.port,
                                    security="none", user=USER, auth="user"))
        client.login(Credentials(password=PASSWORD))
        listing, _ = client.listing()
        got = []
        with pytest.raises(TopCutOff):
            for index, head in client.headers(listing, window=100, stop=lambda: True):
                got.append(index)
                assert isinstance(head, bytes) and head.endswith(b"\r\n\r\n")
        assert got == [0]  # the probe's header, then nothing more read
        assert client.top_ignores_lines and client.sock is None


class TopRefused(FaultServer):
    """CAPA offers TOP (and PIPELINING), yet every TOP is refused."""

    def handle_TOP(self, session: Session, args: str) -> None:
        self.err(session, "TOP is not allowed here")


def test_top_refused_behind_a_pipelining_capa_fails_once_and_keeps_the_connection() -> None:
    # The first window went out with the probe: the refusals in flight are read, nothing
    # more is sent, TOP is declared missing once, and the same connection carries on.
    server = TopRefused(default_messages(6))
    server.start()
    try:
        with session_on(server) as (session, rec):
            listing = rec.wait(ev.Listing)
            uids = tuple(m.uid for m in listing.messages)
            session.submit(FetchHeaders(uids))
            assert set(rec.wait(ev.HeadersFailed).uids) == set(uids)
            rec.wait(ev.TopMissing)
            session.submit(Retrieve(uids[2]))
            assert b"message 3" in rec.wait(ev.MessageRetrieved).data
            assert not rec.of(ev.ConnectionLost) and len(rec.of(ev.HeadersFailed)) == 1
    finally:
        server.stop()
    assert server.verbs().count("TOP") == 6 and server.verbs().count("USER") == 1


def test_no_uidl_identifies_by_fingerprint_and_commit_stays_exact() -> None:
    with fault_server("no-uidl") as server, session_on(server) as (session, rec):
        assert not rec.wait(ev.Connected).session_only
        assert "UIDL" in rec.wait(ev.Notice).message
        listing = rec.wait(ev.Listing)
        assert all(is_fingerprint(m.uid) for m in listing.messages)
        # the header blocks read for the fingerprints fill the rows at once
        headers = dict(rec.wait(ev.HeadersFetched).headers)
        assert b"Subject: message 2" in headers[listing.messages[1].uid]
        session.submit(Commit((listing.messages[1].uid,)))
        assert rec.wait(ev.CommitDone).deleted == (listing.messages[1].uid,)
    assert server.deleted == ["uid-2"]


def test_no_capa_still_logs_in_and_previews() -> None:
    with fault_server("no-capa") as server, session_on(server) as (session, rec):
        connected = rec.wait(ev.Connected)
        assert not connected.capabilities.known
        listing = rec.wait(ev.Listing)
        session.submit(Preview(listing.messages[0].uid))
        assert b"Subject: message 1" in rec.wait(ev.PreviewReady).data


def test_duplicate_uidls_never_share_a_mark() -> None:
    with fault_server("duplicate-uidl") as server, session_on(server) as (session, rec):
        assert "shared" in rec.wait(ev.Notice).message
        listing = rec.wait(ev.Listing)
        uids = [m.uid for m in listing.messages]
        assert len(set(uids)) == len(uids)
        assert is_fingerprint(uids[0]) and is_fingerprint(uids[1]) and uids[2] == "uid-3"
        session.submit(Commit((uids[0],)))
        rec.wait(ev.CommitDone)
    assert server.deleted == ["uid-1"]


def test_changed_uidls_make_old_marks_vanish_instead_of_hitting_other_messages() -> None:
    with fault_server("uidl-changes") as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        old = listing.messages[0].uid
        assert session._client is not None
        session._client.sock.close()  # the network drops
        session.submit(Preview(old))
        relisted = rec.wait(ev.Listing)
        assert old in relisted.vanished
        session.submit(Commit((old,)))
        done = rec.wait(ev.CommitDone)
        assert done.deleted == () and done.missing == (old,)
    assert server.deleted == []


def test_in_use_is_not_a_wrong_password() -> None:
    with fault_server("in-use") as server, session_on(server) as (_, rec):
        failed = rec.wait(ev.LoginFailed)
        assert not failed.wrong_credentials and failed.retry_after
        assert "in use" in failed.message


def test_sys_perm_and_garbage_are_fatal_with_a_sentence() -> None:
    for fault, words in (("sys-perm", "permanent"), ("garbage-greeting", "not a POP3 reply")):
        with fault_server(fault) as server, session_on(server) as (_, rec):
            assert words in rec.wait(ev.Fatal).message


def test_a_10_gb_claim_is_refused_before_retr() -> None:
    with fault_server("huge-list") as server, session_on(server) as (session, rec):
        listing = rec.wait(ev.Listing)
        assert listing.messages[0].size == 10 * 1024**3
        session.submit(Retrieve(listing.messages[0].uid))
        assert "max_message_size" in rec.wait(ev.RetrieveFailed).message
    assert "RETR" not in server.verbs()


def _recovers(fault: str, **options) -> str:
    """RETR hits the fault; return the failure message after the session recovered.

    The server may hold the mailbox lock until it notices the dropped connection (as real
    servers do), so reconnecting backs off over a few seconds.
    """
    with fault_server(fault, targets=("RETR",), **options) as server, session_on(
        server, backoff=(0.05, 0.2, 0.5, 1.0, 2.0), max_message_size=256 * 1024
    ) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(Retrieve(listing.messages[0].uid))
        failed = rec.wait(ev.RetrieveFailed)
        assert len(rec.of(ev.ConnectionLost)) >= 1
        # the session still works
        session.submit(Preview(listing.messages[1].uid))
        assert b"message 2" in rec.wait(ev.PreviewReady).data
    assert server.deleted == []
    return failed.message


def test_drop_mid_response_recovers() -> None:
    assert "closed" in _recovers("drop-mid-response")


def test_missing_terminator_recovers() -> None:
    assert "closed" in _recovers("missing-terminator")


def test_endless_line_hits_the_memory_cap() -> None:
    assert "protect memory" in _recovers("endless-line")


def test_endless_multiline_hits_the_memory_cap() -> None:
    assert "protect memory" in _recovers("endless-multiline")


def test_slow_drip_hits_the_deadline() -> None:
    message = _recovers("slow-drip", drip_delay=0.2)
    assert "too slow sending message 1 (RETR 1)" in message


_PATIENT = (0.05, 0.2, 0.5, 1.0, 2.0)  # the server holds the lock until it sees the drop


def test_a_size_claim_does_not_stretch_a_drip_deadline_and_refresh_still_works() -> None:
    # message 1 claims 10 GB and its TOP drips at 20 bytes/s: under 1 KB/s over the 1 s window
    messages = [(f"uid-{n}", make_message(n, body_lines=400)) for n in (1, 2)]
    dripping = fault_server(["huge-list", "slow-drip"], messages, targets=("TOP",),
                            drip_delay=0.05)
    with dripping as server, session_on(server, backoff=_PATIENT, timeout=1.0) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(Preview(listing.messages[0].uid))
        rec.wait(ev.ConnectionLost, timeout=10)  # the preview was cut off
        session.submit(Refresh())  # "r" while the preview is retried once
        failed = rec.wait(ev.PreviewFailed, timeout=10)
        assert "QUIT" in server.verbs()  # the refresh ran (it logs out and in again)
    assert "preview of message 1 (TOP 1" in failed.message
    assert re.search(r"\d+ bytes in \d\.\d seconds, less than 1 KB a second over the last "
                     r"1\.0 seconds\.", failed.message), failed.message
    assert "within 0 seconds" not in failed.message


def test_a_stall_says_how_long_it_waited() -> None:
    stalling = fault_server("slow-drip", targets=("RETR",), drip_delay=30)
    with stalling as server, session_on(server, timeout=0.5) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(Retrieve(listing.messages[1].uid))
        message = rec.wait(ev.ConnectionLost, timeout=10).message
    assert re.search(r"stopped sending message 2 \(RETR 2\): \d+ bytes? in \d\.\d seconds, then "
                     r"nothing for 0\.5 seconds\.", message), message


def test_a_steady_slow_transfer_is_not_cut_off_by_a_size_rule() -> None:
    # 48 KB at about 10 KB/s takes ~5 s: far beyond the 1.5 s timeout, yet above 1 KB/s
    body = "".join(f"line {i:05d} of a long message that arrives slowly\r\n" for i in range(900))
    message = f"From: a@example.com\r\nSubject: slow\r\n\r\n{body}".encode()
    steady = fault_server("slow-drip", [("uid-1", message)], targets=("RETR",),
                          drip_delay=0.05, drip_chunk=512)
    with steady as server, session_on(server, timeout=1.5) as (session, rec):
        listing = rec.wait(ev.Listing)
        session.submit(Retrieve(listing.messages[0].uid))
        data = rec.wait(ev.MessageRetrieved, timeout=60).data
    assert data.replace(b"\r\n", b"\n") == message.replace(b"\r\n", b"\n")


def test_qpop_drop_without_commit_deletes_nothing() -> None:
    with fault_server("commit-on-disconnect") as server, session_on(server) as (session, rec):
        rec.wait(ev.Listing)
        assert session._client is not None
        session._client.sock.close()
    server.wait_sessions(1)
    assert server.deleted == []
    assert "DELE" not in server.verbs()


def test_drop_before_quit_reply_reports_what_may_be_gone() -> None:
    messages = default_messages(4)
    with fault_server("drop-before-quit-reply", messages) as server, session_on(server) as (
        session, rec
    ):
        listing = rec.wait(ev.Listing)
        marked = (listing.messages[0].uid, listing.messages[3].uid)
        session.submit(Commit(marked))
        failed = rec.wait(ev.CommitFailed)
        assert set(failed.maybe_deleted) == set(marked)
        assert "QUIT" in failed.message
        relisted = rec.wait(ev.Listing)
        assert set(relisted.vanished) == set(marked)
        checked = rec.wait(ev.CommitChecked)
        assert set(checked.gone) == set(marked) and checked.kept == ()
    assert sorted(server.deleted) == sorted(marked)


def test_stop_cuts_off_a_transfer_without_deleting_anything() -> None:
    # a 300-byte message at one byte per 0.2 s would take a minute to arrive
    with fault_server("slow-drip", targets=("RETR",), drip_delay=0.2) as server:
        with session_on(server, timeout=120.0) as (session, rec):
            listing = rec.wait(ev.Listing)
            session.submit(Retrieve(listing.messages[0].uid))
            rec.wait(ev.RetrieveProgress)
            session.stop(timeout=5.0, grace=0.2)
            assert session._thread is not None and not session._thread.is_alive()
            rec.wait(ev.Disconnected)
        server.wait_sessions(1)
    assert server.deleted == [] and "DELE" not in server.verbs()


def test_keepalive_noop_when_idle() -> None:
    import threading

    from popui.pop3.protocol_log import ProtocolLog

    noop_sent = threading.Event()
    log = ProtocolLog(level=1)
    log.subscribe(lambda line: line.text == "NOOP" and noop_sent.set())
    with fault_server() as server:
        account = Account(name="idle", host=server.host, port=server.port, security="none",
                          user=USER, auth="user", keepalive=0.2)
        recorder = Recorder()
        session = Pop3Session(account, recorder, log=log)
        session.start(Credentials(password=PASSWORD))
        recorder.wait(ev.Listing)
        assert noop_sent.wait(10)
        session.stop()
    assert "NOOP" in server.verbs()


def test_interrupt_ends_a_dripping_answer_at_once() -> None:
    """The hook for "r always works": another thread gives up on the answer being read."""
    import threading

    from popui.pop3.client import Pop3Client
    from popui.pop3.errors import ConnectionLost

    dripping = fault_server("slow-drip", targets=("TOP",), drip_delay=0.2)
    with dripping as server:
        account = Account(name="fault", host=server.host, port=server.port, security="none",
                          user=USER, auth="user", timeout=120.0)
        client = Pop3Client(account)
        client.login(Credentials(password=PASSWORD))
        started = threading.Event()
        client.log.level = 1
        client.log.subscribe(lambda line: line.text.startswith("TOP") and started.set())
        waiter = threading.Thread(target=lambda: started.wait(10) and client.interrupt())
        waiter.start()
        with pytest.raises(ConnectionLost, match=r"Stopped waiting for the preview of message 1"):
            client.top_bytes(1, 20)
        waiter.join()
        client.close()
