"""The in-process POP3 server, driven by the standard library's poplib."""

from __future__ import annotations

import base64
import email
import hashlib
import poplib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import BinaryIO

import pytest

from popui.demo import DEMO_PASSWORD, DEMO_USER, start_demo_server
from popui.demo.mailbox import generate_demo_mailbox
from popui.demo.server import Mailbox, Pop3Server, dot_stuff, top_of

pytestmark = pytest.mark.timeout(20)

PLAIN = b"From: a@example.com\r\nSubject: one\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"
DOTTY = (
    b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nmiddle\r\n.\r\n"
)
BARE_LF = b"Subject: lf\n\nbody one\nbody two\n"
MESSAGES = [("uid-a", PLAIN), ("uid-b", DOTTY), ("uid-c", BARE_LF)]


@pytest.fixture
def server() -> Iterator[Pop3Server]:
    with Pop3Server(Mailbox(MESSAGES), user="alice", password="s3cret pass") as srv:
        yield srv


def connect(server: Pop3Server) -> poplib.POP3:
    return poplib.POP3(server.host, server.port, timeout=5)


def login(server: Pop3Server) -> poplib.POP3:
    client = connect(server)
    client.user("alice")
    client.pass_("s3cret pass")
    return client


def error_of(call, *args) -> bytes:
    with pytest.raises(poplib.error_proto) as info:
        call(*args)
    return info.value.args[0]


@contextmanager
def raw_login(server: Pop3Server) -> Iterator[tuple[socket.socket, BinaryIO]]:
    """A socket logged in by hand (USER and PASS pipelined) and a reader, for wire bytes."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock, \
            sock.makefile("rb") as reader:
        assert reader.readline().startswith(b"+OK popui demo")
        sock.sendall(b"USER alice\r\nPASS s3cret pass\r\n")
        assert reader.readline() == b"+OK send PASS\r\n"
        assert reader.readline().startswith(b"+OK maildrop")
        yield sock, reader


def read_response(reader: BinaryIO, multiline: bool) -> list[bytes]:
    """One raw response: the status line and, for a multi-line one, every line to the dot."""
    lines = [reader.readline()]
    if multiline and lines[0].startswith(b"+OK"):
        while lines[-1] != b".\r\n":
            line = reader.readline()
            assert line, "connection closed inside a multi-line response"
            lines.append(line)
    return lines


# -- login -------------------------------------------------------------------------------


def test_user_pass_login_then_stat(server: Pop3Server) -> None:
    client = login(server)
    sizes = len(PLAIN) + len(DOTTY) + len(BARE_LF.replace(b"\n", b"\r\n"))
    assert client.stat() == (3, sizes)
    client.quit()


def test_greeting_carries_an_apop_timestamp(server: Pop3Server) -> None:
    client = connect(server)
    welcome = client.getwelcome()
    assert welcome.startswith(b"+OK ")
    assert welcome.endswith(b"@popui.demo>")
    client.quit()


def test_wrong_password_is_an_auth_error_and_login_can_be_retried(server: Pop3Server) -> None:
    client = connect(server)
    client.user("alice")
    assert error_of(client.pass_, "wrong").startswith(b"-ERR [AUTH]")
    client.user("mallory")  # unknown users get the same answers as known ones
    assert error_of(client.pass_, "s3cret pass").startswith(b"-ERR [AUTH]")
    assert error_of(client.pass_, "s3cret pass") == b"-ERR USER first"
    client.user("alice")
    assert client.pass_("s3cret pass").startswith(b"+OK")
    client.quit()


def test_apop_login(server: Pop3Server) -> None:
    client = connect(server)
    assert error_of(client.apop, "alice", "wrong").startswith(b"-ERR [AUTH]")
    assert client.apop("alice", "s3cret pass").startswith(b"+OK maildrop has 3 messages")
    client.quit()


def test_apop_digest_is_md5_of_timestamp_and_password(server: Pop3Server) -> None:
    client = connect(server)
    stamp = client.getwelcome().split()[-1]
    digest = hashlib.md5(stamp + b"s3cret pass").hexdigest()
    assert client._shortcmd(f"APOP alice {digest}").startswith(b"+OK")
    client.quit()


def plain(authzid: str, user: str, password: str) -> str:
    return base64.b64encode(f"{authzid}\0{user}\0{password}".encode()).decode()


def test_auth_plain_with_initial_response(server: Pop3Server) -> None:
    client = connect(server)
    bad = f"AUTH PLAIN {plain('', 'alice', 'nope')}"
    assert error_of(client._shortcmd, bad).startswith(b"-ERR [AUTH]")
    assert client._shortcmd(f"AUTH PLAIN {plain('', 'alice', 's3cret pass')}").startswith(b"+OK")
    assert client.stat()[0] == 3
    client.quit()


def test_auth_plain_with_continuation(server: Pop3Server) -> None:
    client = connect(server)
    assert client._shortcmd("AUTH PLAIN") == b"+ "
    assert error_of(client._shortcmd, "*") == b"-ERR authentication cancelled"
    assert client._shortcmd("AUTH PLAIN") == b"+ "
    assert client._shortcmd(plain("alice", "alice", "s3cret pass")).startswith(b"+OK")
    client.quit()


def test_auth_plain_rejects_garbage_and_other_mechanisms(server: Pop3Server) -> None:
    client = connect(server)
    assert error_of(client._shortcmd, "AUTH PLAIN !!!").startswith(b"-ERR [AUTH]")
    assert error_of(client._shortcmd, "AUTH CRAM-MD5") == b"-ERR unsupported SASL mechanism"
    _, mechanisms, _ = client._longcmd("AUTH")
    assert mechanisms == [b"PLAIN"]
    client.quit()


def test_capa(server: Pop3Server) -> None:
    client = connect(server)
    capa = client.capa()
    for name in ("TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE"):
        assert capa[name] == []
    assert capa["SASL"] == ["PLAIN"]
    assert capa["IMPLEMENTATION"] == ["popui-demo"]
    client.quit()


def test_commands_outside_their_state_are_refused(server: Pop3Server) -> None:
    client = connect(server)
    assert error_of(client.stat).startswith(b"-ERR STAT is not valid")
    assert error_of(client._shortcmd, "XYZZY") == b"-ERR unknown command"
    client.user("alice")
    client.pass_("s3cret pass")
    assert error_of(client.user, "alice").startswith(b"-ERR USER is not valid")
    client.quit()


# -- reading -------------------------------------------------------------------------------


def test_list_and_uidl(server: Pop3Server) -> None:
    client = login(server)
    crlf_size = len(BARE_LF.replace(b"\n", b"\r\n"))
    assert client.list()[1] == [f"1 {len(PLAIN)}".encode(), f"2 {len(DOTTY)}".encode(),
                                f"3 {crlf_size}".encode()]
    assert client.list(2) == f"+OK 2 {len(DOTTY)}".encode()
    assert client.uidl()[1] == [b"1 uid-a", b"2 uid-b", b"3 uid-c"]
    assert client.uidl(3) == b"+OK 3 uid-c"
    assert error_of(client.list, 4) == b"-ERR no such message"
    assert error_of(client.uidl, 0) == b"-ERR no such message"
    assert error_of(client.uidl, "x") == b"-ERR no such message"
    client.quit()


def test_top_counts_body_lines(server: Pop3Server) -> None:
    client = login(server)
    headers = [b"From: a@example.com", b"Subject: one", b""]
    assert client.top(1, 0)[1] == headers
    assert client.top(1, 2)[1] == [*headers, b"line 1", b"line 2"]
    assert client.top(1, 99)[1] == [*headers, b"line 1", b"line 2", b"line 3"]
    assert error_of(client.top, 1, "x").startswith(b"-ERR TOP needs")
    client.quit()


def test_retr_is_byte_stuffed_on_the_wire_and_round_trips(server: Pop3Server) -> None:
    with raw_login(server) as (sock, reader):
        sock.sendall(b"RETR 2\r\nQUIT\r\n")
        wire = b"".join(read_response(reader, multiline=True)[1:])
    assert wire == (
        b"Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nmiddle\r\n..\r\n.\r\n"
    )
    client = login(server)
    _, lines, _ = client.retr(2)
    assert b"\r\n".join(lines) + b"\r\n" == DOTTY
    client.quit()


def test_bare_lf_messages_are_served_with_crlf(server: Pop3Server) -> None:
    client = login(server)
    _, lines, _ = client.retr(3)
    assert lines == [b"Subject: lf", b"", b"body one", b"body two"]
    assert client.top(3, 1)[1] == [b"Subject: lf", b"", b"body one"]
    client.quit()


def test_pipelined_commands_get_one_reply_each_in_order(server: Pop3Server) -> None:
    with raw_login(server) as (sock, reader):
        numbers = [n % 3 + 1 for n in range(50)]
        sock.sendall(b"".join(f"TOP {n} 0\r\n".encode() for n in numbers) + b"QUIT\r\n")
        for n in numbers:
            response = read_response(reader, multiline=True)
            assert response[0] == b"+OK top of message follows\r\n"
            subject = {1: b"Subject: one\r\n", 2: b"Subject: dots\r\n", 3: b"Subject: lf\r\n"}
            assert subject[n] in response
            assert response[-2:] == [b"\r\n", b".\r\n"]
        assert reader.readline().startswith(b"+OK popui demo signing off")


# -- deleting --------------------------------------------------------------------------------


def test_deletes_apply_only_at_quit(server: Pop3Server) -> None:
    client = login(server)
    client.dele(1)
    assert error_of(client.retr, 1) == b"-ERR message 1 already deleted"
    assert error_of(client.dele, 1) == b"-ERR message 1 already deleted"
    assert client.stat()[0] == 2
    assert [line.split()[0] for line in client.uidl()[1]] == [b"2", b"3"]
    assert server.mailbox.uids() == ["uid-a", "uid-b", "uid-c"]
    assert client.quit() == b"+OK popui demo signing off (1 messages deleted)"
    assert server.mailbox.uids() == ["uid-b", "uid-c"]
    client = login(server)
    assert client.uidl()[1] == [b"1 uid-b", b"2 uid-c"]
    client.quit()


def test_a_dropped_connection_deletes_nothing() -> None:
    server = Pop3Server(Mailbox(MESSAGES), user="alice", password="s3cret pass").start()
    client = login(server)
    client.dele(1)
    client.dele(2)
    client.close()  # no QUIT
    server.stop()  # joins the session thread
    assert server.mailbox.uids() == ["uid-a", "uid-b", "uid-c"]


def test_rset_undoes_deletions(server: Pop3Server) -> None:
    client = login(server)
    client.dele(2)
    assert client.rset().startswith(b"+OK maildrop has 3 messages")
    assert client.retr(2)[0].startswith(b"+OK")
    client.quit()
    assert server.mailbox.uids() == ["uid-a", "uid-b", "uid-c"]


def test_second_login_gets_in_use_until_the_first_quits(server: Pop3Server) -> None:
    first = login(server)
    second = connect(server)
    second.user("alice")
    assert error_of(second.pass_, "s3cret pass").startswith(b"-ERR [IN-USE]")
    first.quit()
    second.user("alice")
    assert second.pass_("s3cret pass").startswith(b"+OK")
    second.quit()


def test_stop_drops_connected_clients(server: Pop3Server) -> None:
    client = login(server)
    server.stop()
    with pytest.raises((poplib.error_proto, OSError)):
        client.stat()
    client.close()


def test_helpers() -> None:
    assert dot_stuff(b"") == b".\r\n"
    assert dot_stuff(b"a") == b"a\r\n.\r\n"
    assert dot_stuff(b".\r\n.a\r\n") == b"..\r\n..a\r\n.\r\n"
    assert top_of(b"H: 1\r\n", 5) == b"H: 1\r\n"  # no body at all
    assert top_of(b"\r\nbody\r\nmore\r\n", 1) == b"\r\nbody\r\n"
    assert top_of(b"H: 1\r\n\r\nno newline", 0) == b"H: 1\r\n\r\n"
    assert top_of(b"H: 1\r\n\r\nno newline", 3) == b"H: 1\r\n\r\nno newline"


# -- the demo mailbox ------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> list[tuple[str, bytes]]:
    return generate_demo_mailbox(300, now=NOW)


@pytest.fixture(scope="module")
def parsed(demo: list[tuple[str, bytes]]) -> list[EmailMessage]:
    return [email.message_from_bytes(raw, policy=policy.default) for _, raw in demo]


def test_demo_mailbox_is_deterministic(demo: list[tuple[str, bytes]]) -> None:
    again = generate_demo_mailbox(300, now=NOW)
    assert again == demo
    assert generate_demo_mailbox(300, seed=2, now=NOW) != demo
    assert len(generate_demo_mailbox(7, now=NOW)) == 7
    assert generate_demo_mailbox(0, now=NOW) == []


def test_demo_uids_are_unique_and_valid(demo: list[tuple[str, bytes]]) -> None:
    uids = [uid for uid, _ in demo]
    assert len(set(uids)) == 300
    assert all(0 < len(uid) <= 70 and all(0x21 <= ord(c) <= 0x7E for c in uid) for uid in uids)


def test_demo_messages_parse_cleanly_with_crlf(
    demo: list[tuple[str, bytes]], parsed: list[EmailMessage]
) -> None:
    for (uid, raw), msg in zip(demo, parsed, strict=True):
        assert b"\n" not in raw.replace(b"\r\n", b""), uid
        assert all(not part.defects for part in msg.walk()), uid
        assert msg["From"] and msg["Message-ID"] and msg["Date"]


def test_demo_dates_span_two_years_up_to_now_oldest_first(parsed: list[EmailMessage]) -> None:
    dates = [msg["Date"].datetime for msg in parsed]
    assert dates == sorted(dates)
    assert NOW - timedelta(days=731) < dates[0] < NOW - timedelta(days=600)
    assert NOW - timedelta(hours=1) < dates[-1] <= NOW


def test_demo_has_the_variety_the_app_must_handle(
    demo: list[tuple[str, bytes]], parsed: list[EmailMessage]
) -> None:
    raw_headers = b"".join(raw.partition(b"\r\n\r\n")[0] for _, raw in demo).lower()
    for charset in (b"=?utf-8?", b"=?iso-8859-1?q?", b"=?iso-2022-jp?b?", b"=?shift_jis?b?"):
        assert charset in raw_headers
    types = {part.get_content_type() for msg in parsed for part in msg.walk()}
    assert {"multipart/alternative", "text/html", "application/pdf", "image/png",
            "application/zip", "message/rfc822"} <= types
    sizes = [len(raw) for _, raw in demo]
    assert 2 <= sum(1_000_000 <= size <= 7_000_000 for size in sizes) <= 6
    assert sum(size < 2000 for size in sizes) > 20
    spam = [msg for msg in parsed if msg["X-Spam-Flag"] == "YES"]
    assert 2 <= len(spam) <= 6
    names = {msg["From"].addresses[0].display_name for msg in parsed}
    assert {"Jürgen Müller", "山田 太郎", "佐藤 花子", "Zoë O'Brien"} <= names


def test_demo_attachments_are_real_files(parsed: list[EmailMessage]) -> None:
    magic = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n",
             "application/zip": b"PK\x03\x04"}
    for msg in parsed:
        for part in msg.iter_attachments():
            if part.get_content_type() in magic:
                assert part.get_content().startswith(magic[part.get_content_type()])
                assert part.get_filename()


def test_demo_threads_reply_to_earlier_messages(parsed: list[EmailMessage]) -> None:
    seen: set[str] = set()
    replies = 0
    for msg in parsed:
        if msg["In-Reply-To"]:
            replies += 1
            assert msg["In-Reply-To"] in seen
            assert set(str(msg["References"]).split()) <= seen
            assert str(msg["Subject"]).startswith("Re: ")
            assert not str(msg["Subject"]).startswith("Re: Re:")
        seen.add(msg["Message-ID"])
    assert replies > 20
    assert any(str(msg["Subject"]).startswith("Fwd: ") for msg in parsed)


def test_demo_server_serves_the_demo_mailbox(demo: list[tuple[str, bytes]]) -> None:
    server = start_demo_server(now=NOW)
    try:
        assert (server.host, server.user, server.password) == ("127.0.0.1", DEMO_USER,
                                                               DEMO_PASSWORD)
        account = server.account()
        assert (account.port, account.security, account.is_loopback) == (server.port, "none", True)
        client = poplib.POP3(account.host, account.port, timeout=5)
        client.user(DEMO_USER)
        client.pass_(DEMO_PASSWORD)
        assert client.stat() == (300, sum(len(raw) for _, raw in demo))
        assert client.uidl(1) == f"+OK 1 {demo[0][0]}".encode()
        client.quit()
    finally:
        server.stop()


def test_numbers_that_are_not_plain_ascii_digits_get_an_error(server: Pop3Server) -> None:
    client = login(server)
    huge = "9" * 5000  # more digits than int() accepts by default
    assert error_of(client.retr, huge) == b"-ERR no such message"
    assert error_of(client.dele, huge) == b"-ERR no such message"
    assert error_of(client.top, 1, "²").startswith(b"-ERR TOP needs")
    assert error_of(client.top, 1, huge).startswith(b"-ERR TOP needs")
    assert client.top(1, 0)[0].startswith(b"+OK")  # the session is still alive
    client.quit()


def test_demo_ends_with_an_html_invitation_and_its_discussion(parsed: list[EmailMessage]) -> None:
    """The newest messages are what the README's screenshots show: an HTML-only mail with links
    and attachments, and a thread of replies to it that branches."""
    invitation, *replies = parsed[-4:]
    assert invitation.get_body(("plain",)) is None
    html = invitation.get_body(("html",)).get_content()
    assert html.count('<a href="') >= 3
    assert [(part.get_content_type(), part.get_filename()) for part in
            invitation.iter_attachments()] == [("application/pdf", "workshop-agenda.pdf"),
                                               ("text/calendar", "workshop.ics")]
    parents = [reply["In-Reply-To"] for reply in replies]
    ids = [msg["Message-ID"] for msg in parsed[-4:]]
    assert parents == [ids[0], ids[0], ids[1]]  # two answers to it, one answer to an answer
    assert NOW - timedelta(days=2) < invitation["Date"].datetime


def test_demo_replies_quote_the_demo_user(parsed: list[EmailMessage]) -> None:
    """A reply in this mailbox answers the mailbox owner, so it quotes them, not its own sender."""
    replies = [msg for msg in parsed[:-4] if msg["In-Reply-To"]]
    assert replies
    for msg in replies:
        assert "Demo User wrote:\r\n> " in msg.get_body(("plain",)).get_content()
