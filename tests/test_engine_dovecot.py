"""The engine against the private Dovecot: logins, TLS, pipelining, and effects in the Maildir."""

from __future__ import annotations

import dataclasses

import pytest
from engine_support import Recorder, dovecot_account

from popui.pop3 import errors
from popui.pop3 import events as ev
from popui.pop3.account import Credentials
from popui.pop3.client import Pop3Client, header_block
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import Commit, FetchHeaders, Preview, Retrieve
from popui.pop3.session import Pop3Session


@pytest.mark.parametrize(
    ("method", "port"),
    [("auto", "plain"), ("scram-sha-256", "plain"), ("cram-md5", "plain"), ("plain", "stls"),
     ("login", "tls"), ("apop", "plain"), ("user", "tls")],
)
def test_login_methods(mailbox, method: str, port: str) -> None:
    mailbox.fill(2)
    client = Pop3Client(dovecot_account(mailbox, port=port, auth=method))
    try:
        used = client.login(Credentials(password=mailbox.password))
        assert used == ("scram-sha-256" if method == "auto" else method)
        assert client.stat_totals()[0] == 2
        assert (client.tls_version is None) == (port == "plain")
    finally:
        client.quit()


def test_wrong_password_is_a_typed_error(mailbox) -> None:
    client = Pop3Client(dovecot_account(mailbox, auth="user"))
    with pytest.raises(errors.AuthFailed) as info:
        client.login(Credentials(password="wrong-password"))
    client.close()
    assert "rejected" in str(info.value)


def test_tls_is_verified_by_default(mailbox) -> None:
    # the system store does not trust the test CA
    with pytest.raises(errors.TlsError) as info:
        Pop3Client(dovecot_account(mailbox, port="tls", ca_file=None))
    assert "ca_file" in str(info.value)


def test_starttls_required_but_not_offered_is_refused(mailbox) -> None:
    account = dovecot_account(mailbox, port="plain", security="starttls")
    with pytest.raises(errors.SecurityPolicyError) as info:
        Pop3Client(account)
    assert "STLS" in str(info.value)


def test_plaintext_password_to_a_remote_host_needs_opt_in(mailbox) -> None:
    log = ProtocolLog(level=1)
    client = Pop3Client(dovecot_account(mailbox, auth="user"), log=log)
    # the policy looks at the account's host: pretend this link leads elsewhere
    client.account = dataclasses.replace(client.account, host="mail.example.org")
    with pytest.raises(errors.SecurityPolicyError) as info:
        client.login(Credentials(password=mailbox.password))
    assert "allow_plaintext_password" in str(info.value)
    assert not any(line.text.startswith(("USER", "PASS")) for line in log.lines())
    client.account = dataclasses.replace(client.account, allow_plaintext_password=True)
    assert client.login(Credentials(password=mailbox.password)) == "user"
    client.quit()


def test_pipelined_and_sequential_results_are_identical(mailbox) -> None:
    mailbox.fill(60)
    results = []
    for pipelining in (True, False):
        client = Pop3Client(dovecot_account(mailbox))
        client.login(Credentials(password=mailbox.password))
        assert client.capabilities.pipelining
        client.capabilities = dataclasses.replace(client.capabilities, pipelining=pipelining)
        messages, has_uidl = client.listing()
        commands = [f"TOP {m.number} 0" for m in messages] + ["TOP 999 0"]
        tops = [(i, isinstance(s, errors.ServerError), lines)
                for i, s, lines in client.pipeline(commands, multiline=True, window=16)]
        client.quit()
        results.append((messages, has_uidl, tops))
    assert results[0] == results[1]
    messages, has_uidl, tops = results[0]
    assert has_uidl and len(messages) == 60 and len(tops) == 61
    assert tops[-1][1] is True  # TOP of a missing message is an error, and the batch went on


def test_headers_match_top_and_the_first_window_goes_with_the_probe(mailbox) -> None:
    mailbox.fill(30)
    log = ProtocolLog(level=2)
    client = Pop3Client(dovecot_account(mailbox), log=log)
    try:
        client.login(Credentials(password=mailbox.password))
        messages, _ = client.listing()
        expected = [header_block(client.top_bytes(m.number, 0)) for m in messages]
        start = len(log.lines())
        got = dict(client.headers(messages, window=16))
        assert [got[i] for i in range(len(messages))] == expected
        assert not client.top_ignores_lines
        assert client.stat_totals()[0] == 30  # the connection is still in step
    finally:
        client.quit()
    lines = log.lines()[start:]
    sent = [line.text for line in lines if line.direction == ">"]
    smallest = min(messages, key=lambda m: m.size).number
    assert sent[0] == f"TOP {smallest} 0"  # the probe first: its reply comes first
    first_reply = next(i for i, line in enumerate(lines) if line.direction == "<")
    # the whole first window went out with the probe: no round trip spent waiting for it
    assert [line.direction for line in lines[:first_reply]] == [">"] * 16
    assert sorted(sent[:30]) == sorted(f"TOP {m.number} 0" for m in messages)


def _start(mailbox, **session_args) -> tuple[Pop3Session, Recorder, ev.Listing]:
    recorder = Recorder()
    session = Pop3Session(dovecot_account(mailbox), recorder, **session_args)
    session.start(Credentials(password=mailbox.password))
    return session, recorder, recorder.wait(ev.Listing)


def test_previews_never_mark_seen_and_retr_marks_one(mailbox) -> None:
    mailbox.fill(12)
    session, rec, listing = _start(mailbox)
    try:
        uids = tuple(m.uid for m in listing.messages)
        session.submit(FetchHeaders(uids))
        fetched: dict[str, bytes] = {}
        while len(fetched) < len(uids):
            fetched.update(rec.wait(ev.HeadersFetched).headers)
        assert b"Subject: Test message 00003" in fetched[uids[3]]
        for uid in uids:
            session.submit(Preview(uid, lines=5))
            ready = rec.wait(ev.PreviewReady, lambda e, u=uid: e.uid == u)
            assert b"Line 4 of message" in ready.data
        assert mailbox.maildir.seen_files() == []
        session.submit(Retrieve(uids[5]))
        data = rec.wait(ev.MessageRetrieved).data
        assert b"Line 4 of message 5." in data
    finally:
        session.stop()
    assert mailbox.maildir.seen_message_ids() == {"<msg-00005@popui.test>"}


def test_commit_deletes_exactly_the_marked_messages(mailbox) -> None:
    mailbox.fill(10)
    session, rec, listing = _start(mailbox)
    try:
        doomed = {listing.messages[2].uid, listing.messages[7].uid}
        session.submit(Commit(tuple(doomed)))
        done = rec.wait(ev.CommitDone)
        assert set(done.deleted) == doomed and done.missing == ()
        relisted = rec.wait(ev.Listing)
        assert {m.uid for m in relisted.messages} == {m.uid for m in listing.messages} - doomed
        assert relisted.vanished == ()  # deleted on purpose is not "vanished"
    finally:
        session.stop()
    remaining = mailbox.maildir.message_ids()
    assert remaining == {f"<msg-{i:05d}@popui.test>" for i in range(10) if i not in (2, 7)}


def test_a_commit_keeps_the_seen_flag_of_a_message_opened_before_it(mailbox) -> None:
    # Dovecot's RSET also undoes the seen flags this connection's RETRs set: a commit that
    # sent RSET before its DELEs left an opened message unseen (open + quit kept it seen).
    mailbox.fill(4)
    log = ProtocolLog(level=1)
    session, rec, listing = _start(mailbox, log=log)
    try:
        session.submit(Retrieve(listing.messages[1].uid))
        rec.wait(ev.MessageRetrieved)
        session.submit(Commit((listing.messages[3].uid,)))
        rec.wait(ev.CommitDone)
        rec.wait(ev.Listing)
    finally:
        session.stop()
    assert mailbox.maildir.seen_message_ids() == {"<msg-00001@popui.test>"}
    assert "<msg-00003@popui.test>" not in mailbox.maildir.message_ids()
    assert not any(line.text.upper().startswith("RSET") for line in log.lines())


def test_dropped_connection_reconnects_and_reports_what_vanished(mailbox) -> None:
    mailbox.fill(6)
    session, rec, listing = _start(mailbox, backoff=(0.05, 0.1, 0.2))
    try:
        gone = listing.messages[4].uid
        # the network drops, and meanwhile another client deletes message 5
        assert session._client is not None
        session._client.sock.close()
        mailbox.maildir.by_message_id()["<msg-00004@popui.test>"].unlink()
        session.submit(Preview(listing.messages[1].uid))
        lost = rec.wait(ev.ConnectionLost)
        assert lost.message
        relisted = rec.wait(ev.Listing)
        assert relisted.vanished == (gone,)
        rec.wait(ev.PreviewReady)  # the interrupted preview was retried
    finally:
        session.stop()
    assert len(mailbox.maildir.files()) == 5
    assert mailbox.maildir.seen_files() == []


def test_password_never_reaches_the_protocol_log(mailbox, tmp_path) -> None:
    mailbox.fill(1)
    for method in ("user", "plain", "login", "apop", "cram-md5", "scram-sha-256"):
        log_file = tmp_path / f"{method}.log"
        log = ProtocolLog(level=2, path=log_file)
        client = Pop3Client(dovecot_account(mailbox, auth=method), log=log)
        client.login(Credentials(password=mailbox.password))
        client.retr_bytes(1)
        client.quit()
        log.close()
        text = "\n".join(line.text for line in log.lines())
        assert "logged in" in text and "Line 1 of message 0." in text
        for where in (text, log_file.read_text()):
            assert mailbox.password not in where
            assert "<redacted>" in where or method in ("cram-md5",)


def test_a_login_method_the_server_does_not_offer_is_named(mailbox) -> None:
    client = Pop3Client(dovecot_account(mailbox, auth="xoauth2"))
    with pytest.raises(errors.SecurityPolicyError) as info:
        client.login(Credentials(oauth_token="token"))
    client.close()
    assert "XOAUTH2" in str(info.value) and "SCRAM-SHA-256" in str(info.value)


def test_a_secret_with_a_line_break_is_never_sent(mailbox) -> None:
    mailbox.fill(2)
    log = ProtocolLog(level=2)
    client = Pop3Client(dovecot_account(mailbox, auth="user"), log=log)
    with pytest.raises(errors.SecretRejected):
        client.login(Credentials(password=mailbox.password + "\r\nDELE 1"))
    client.quit()
    sent = [line.text for line in log.lines() if line.direction == ">"]
    assert sent == ["CAPA", "QUIT"]
    assert len(mailbox.maildir.files()) == 2
