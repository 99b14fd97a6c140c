"""The engine against servers that misbehave (the fault server): typed errors, clear messages,
bounded time and memory, recovery by reconnecting, and no mark lost.

| fault                     | what the engine must do                                          |
|---------------------------|------------------------------------------------------------------|
| no TOP / TOP broken       | previews say so (offer the full view); headers fail once, clearly |
| TOP ignores line count    | preview flagged, list rows still get only the header block        |
| no UIDL                   | session-only mode with a warning; commit still exact              |
| no CAPA                   | logs in with USER/PASS; TOP and UIDL still tried                   |
| duplicate UIDLs           | made unique for the session; a mark covers one message only       |
| UIDL changes per session  | after a reconnect the old marks are reported vanished, not applied |
| [IN-USE]                  | LoginFailed, not a wrong password; says another client has it      |
| [SYS/PERM] / garbage      | Fatal with a sentence; never a crash                              |
| 10 GB in LIST             | RETR refused before sending, naming max_message_size              |
| drop / missing terminator | ConnectionLost, reconnect, request retried once, then a failure   |
| endless line / multiline  | memory cap hit, connection dropped, session recovers              |
| slow drip                 | deadline hit, connection dropped, session recovers                |
| QPOP deletes on disconnect| marks never sent before commit: a drop deletes nothing             |
| drop before QUIT reply    | CommitFailed names what may be gone; the reconnect tells the truth |
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine_support import Recorder
from fault_server import PASSWORD, USER, FaultServer, default_messages, fault_server

from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.identity import is_fingerprint
from popui.pop3.requests import Commit, FetchHeaders, Preview, Retrieve
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
    assert "slowly" in message or "did not answer" in message


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
