"""Each fault of the fault-injection server behaves as named (client: the stdlib's poplib)."""

from __future__ import annotations

import poplib
import socket
import time

import pytest
from fault_server import (
    GARBAGE,
    GARBAGE_GREETING,
    PASSWORD,
    USER,
    FaultServer,
    default_messages,
    fault_server,
    make_fault_server,
)

pytestmark = pytest.mark.timeout(20)


def connect(server: FaultServer, timeout: float = 5) -> poplib.POP3:
    return poplib.POP3(server.host, server.port, timeout=timeout)


def login(server: FaultServer) -> poplib.POP3:
    client = connect(server)
    client.user(USER)
    client.pass_(PASSWORD)
    return client


def error_of(call, *args) -> bytes:
    with pytest.raises(poplib.error_proto) as info:
        call(*args)
    return info.value.args[0]


class RawClient:
    """A logged-in socket, for looking at the bytes on the wire."""

    def __init__(self, server: FaultServer) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=5)
        self.reader = self.sock.makefile("rb")
        self.reader.readline()
        self.sock.sendall(f"USER {USER}\r\nPASS {PASSWORD}\r\n".encode())
        assert self.reader.readline().startswith(b"+OK")
        assert self.reader.readline().startswith(b"+OK maildrop")

    def close(self) -> None:
        self.reader.close()  # the socket stays open while its file object is
        self.sock.close()


# -- the harness itself ----------------------------------------------------------------------


def test_no_faults_is_a_plain_server_with_a_redacted_command_log() -> None:
    with fault_server() as server:
        client = login(server)
        assert client.stat()[0] == 3
        client.dele(2)
        client.quit()
        server.wait_sessions(1)
        assert server.commands == [
            (1, f"USER {USER}"), (1, "PASS <redacted>"), (1, "STAT"), (1, "DELE 2"), (1, "QUIT"),
        ]
        assert server.verbs() == ["USER", "PASS", "STAT", "DELE", "QUIT"]
        assert server.deleted == ["uid-2"]
        assert server.mailbox.uids() == ["uid-1", "uid-3"]
        assert PASSWORD not in repr(server.commands)


def test_unknown_fault_names_are_refused() -> None:
    with pytest.raises(ValueError, match="no-such-fault"):
        make_fault_server(["no-such-fault"])


def test_faults_combine() -> None:
    with fault_server(["no-top", "no-uidl", "huge-list"]) as server:
        client = login(server)
        capa = client.capa()
        assert "TOP" not in capa and "UIDL" not in capa and "USER" in capa
        assert client.list(1) == f"+OK 1 {server.huge_size}".encode()
        client.quit()


# -- capabilities ----------------------------------------------------------------------------


def test_no_capa() -> None:
    with fault_server("no-capa") as server:
        client = connect(server)
        assert error_of(client._shortcmd, "CAPA") == b"-ERR unknown command"
        client.quit()


def test_no_top() -> None:
    with fault_server("no-top") as server:
        client = login(server)
        assert "TOP" not in client.capa()
        assert error_of(client.top, 1, 0) == b"-ERR unknown command"
        client.quit()


def test_top_ignores_line_count() -> None:
    messages = default_messages()
    with fault_server("top-ignores-lines", messages) as server:
        client = login(server)
        _, lines, _ = client.top(1, 0)
        assert b"\r\n".join(lines) + b"\r\n" == messages[0][1]
        client.quit()


UTF8_MESSAGE = ("Subject: Grüße aus Köln\r\nFrom: Jörg <j@example.de>\r\n"
                "Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nHallo!\r\n").encode()


def test_courier_wraps_raw_utf8_headers_in_a_notice_until_utf8_is_sent() -> None:
    messages = [("uid-ascii", default_messages(1)[0][1]), ("uid-utf8", UTF8_MESSAGE)]
    with fault_server("courier-utf8", messages) as server:
        client = login(server)
        assert "UTF8" in client.capa()
        listed = dict(client.list()[1][i].split() for i in range(2))
        assert listed == {b"1": str(len(messages[0][1])).encode(),
                          b"2": str(len(UTF8_MESSAGE)).encode()}
        _, ascii_lines, _ = client.retr(1)
        assert b"\r\n".join(ascii_lines) + b"\r\n" == messages[0][1]
        _, lines, octets = client.retr(2)
        assert lines[:2] == [b"From: Mail Delivery Subsystem <postmaster>",
                             b"Subject: Cannot display Unicode content"]
        assert octets > len(UTF8_MESSAGE)  # RETR sends more than LIST said
        assert b"Subject: Cannot display" in b"\n".join(client.top(2, 0)[1])
        assert client.utf8().startswith(b"+OK")  # after login: Courier takes it (Outlook does)
        _, lines, _ = client.retr(2)
        assert b"\r\n".join(lines) + b"\r\n" == UTF8_MESSAGE
        client.quit()
        client = connect(server)
        assert client.utf8().startswith(b"+OK")  # before login, as RFC 6856 has it
        client.user(USER)
        client.pass_(PASSWORD)
        assert b"\r\n".join(client.retr(2)[1]) + b"\r\n" == UTF8_MESSAGE
        client.quit()


def test_no_uidl() -> None:
    with fault_server("no-uidl") as server:
        client = login(server)
        assert "UIDL" not in client.capa()
        assert error_of(client.uidl) == b"-ERR unknown command"
        assert error_of(client.uidl, 1) == b"-ERR unknown command"
        client.quit()


# -- login -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "code"),
    [("in-use", b"[IN-USE]"), ("login-delay", b"[LOGIN-DELAY]"), ("sys-temp", b"[SYS/TEMP]"),
     ("sys-perm", b"[SYS/PERM]")],
)
def test_login_refused_with_response_code(fault: str, code: bytes) -> None:
    with fault_server(fault) as server:
        client = connect(server)
        client.user(USER)
        assert error_of(client.pass_, PASSWORD).startswith(b"-ERR " + code)
        assert error_of(client.stat).startswith(b"-ERR STAT is not valid")  # still not in
        client.user(USER)
        assert error_of(client.pass_, "wrong").startswith(b"-ERR [AUTH]")  # bad password wins
        client.quit()


# -- deletion semantics ----------------------------------------------------------------------


def test_dele_immediate_removes_at_once_and_rset_cannot_undo() -> None:
    with fault_server("dele-immediate") as server:
        client = login(server)
        client.dele(1)
        assert server.mailbox.uids() == ["uid-2", "uid-3"]  # before any QUIT
        client.rset()
        client.close()  # no QUIT
        server.wait_sessions(1)
        assert server.deleted == ["uid-1"]
        assert server.mailbox.uids() == ["uid-2", "uid-3"]


def test_commit_on_disconnect_applies_deletions_without_quit() -> None:
    with fault_server("commit-on-disconnect") as server:
        client = login(server)
        client.dele(3)
        client.dele(1)
        assert server.mailbox.uids() == ["uid-1", "uid-2", "uid-3"]  # not yet
        client.close()  # no QUIT
        server.wait_sessions(1)
        assert sorted(server.deleted) == ["uid-1", "uid-3"]
        assert server.mailbox.uids() == ["uid-2"]


def test_commit_on_disconnect_keeps_rset_and_quit_normal() -> None:
    with fault_server("commit-on-disconnect") as server:
        client = login(server)
        client.dele(1)
        client.rset()
        client.quit()
        server.wait_sessions(1)
        assert server.deleted == []


def test_drop_before_quit_reply_commits_but_never_answers() -> None:
    with fault_server("drop-before-quit-reply") as server:
        client = login(server)
        client.dele(2)
        assert error_of(client.quit) == "-ERR EOF"
        client.close()
        server.wait_sessions(1)
        assert server.deleted == ["uid-2"]
        assert server.verbs()[-1] == "QUIT"


def test_a_plain_disconnect_still_deletes_nothing() -> None:
    with fault_server() as server:
        client = login(server)
        client.dele(1)
        client.close()
        server.wait_sessions(1)
        assert server.deleted == []


# -- listings --------------------------------------------------------------------------------


def test_huge_list() -> None:
    with fault_server("huge-list") as server:
        client = login(server)
        ten_gb = 10 * 1024**3
        assert client.list(1) == f"+OK 1 {ten_gb}".encode()
        sizes = [int(line.split()[1]) for line in client.list()[1]]
        assert sizes[0] == ten_gb and all(size < 1000 for size in sizes[1:])
        assert client.stat() == (3, sum(sizes))
        assert client.retr(1)[0].startswith(b"+OK")  # the message itself is small
        client.quit()


def test_duplicate_uidl() -> None:
    with fault_server("duplicate-uidl") as server:
        client = login(server)
        assert client.uidl()[1] == [b"1 uid-1", b"2 uid-1", b"3 uid-3"]
        assert client.uidl(2) == b"+OK 2 uid-1"
        client.quit()


def test_uidl_changes_between_sessions() -> None:
    with fault_server("uidl-changes") as server:
        client = login(server)
        first = client.uidl()[1]
        assert first == client.uidl()[1]  # stable within a session
        client.quit()
        client = login(server)
        second = client.uidl()[1]
        client.quit()
        assert len(first) == len(second) == 3
        assert set(first).isdisjoint(second)


# -- transport -------------------------------------------------------------------------------


def test_garbage_greeting() -> None:
    with fault_server("garbage-greeting") as server, socket.create_connection(
        (server.host, server.port), timeout=5
    ) as sock, sock.makefile("rb") as reader:  # poplib would leave its socket open on this
        assert reader.readline() == GARBAGE_GREETING


def test_garbage_reply() -> None:
    with fault_server("garbage-reply", targets=["STAT", "RETR"]) as server:
        client = login(server)
        assert error_of(client.stat) == GARBAGE.rstrip()
        assert client.noop() == b"+OK"  # untargeted commands are fine
        assert error_of(client.retr, 1) == GARBAGE.rstrip()
        client.quit()


def test_drop_mid_response_after_n_bytes() -> None:
    with fault_server("drop-mid-response", drop_after=50) as server:
        raw = RawClient(server)
        raw.sock.sendall(b"RETR 1\r\n")
        assert len(raw.reader.read()) == 50  # then EOF
        raw.close()
        client = login(server)
        assert error_of(client.retr, 2) == "-ERR EOF"
        client.close()


def test_missing_terminator() -> None:
    with fault_server("missing-terminator") as server:
        raw = RawClient(server)
        raw.sock.sendall(b"LIST\r\nRETR 1\r\n")
        assert raw.reader.readline().startswith(b"+OK")  # LIST is not a target
        while raw.reader.readline() != b".\r\n":
            pass
        data = raw.reader.read()  # to EOF
        assert data.startswith(b"+OK") and data.endswith(b"dot\r\n")
        assert not data.endswith(b"\r\n.\r\n")
        raw.close()
        client = login(server)
        assert error_of(client.top, 1, 1) == "-ERR EOF"
        client.close()


def test_endless_line_stops_when_the_client_leaves() -> None:
    with fault_server("endless-line") as server:
        client = login(server)
        assert error_of(client.retr, 1) == "line too long"
        client.close()
        server.wait_sessions(1)


def test_endless_line_on_greeting_is_bounded_by_stop() -> None:
    server = make_fault_server(["endless-line"], targets=["GREETING"]).start()
    sock = socket.create_connection((server.host, server.port), timeout=5)
    assert sock.recv(4).startswith(b"+OK ")
    assert sock.recv(4096).strip(b"x") == b""
    server.stop()  # the session thread is blocked sending to a client that does not read
    server.wait_sessions(1, timeout=0)
    sock.close()


def test_endless_multiline_never_terminates() -> None:
    with fault_server("endless-multiline") as server:
        raw = RawClient(server)
        raw.sock.sendall(b"RETR 1\r\n")
        assert raw.reader.readline() == b"+OK here it comes\r\n"
        lines = [raw.reader.readline() for _ in range(5000)]
        assert b".\r\n" not in lines
        assert len(set(lines)) == 5000
        raw.close()
        server.wait_sessions(1)


def test_slow_drip() -> None:
    delay = 0.003
    with fault_server("slow-drip", drip_delay=delay) as server:
        raw = RawClient(server)
        start = time.monotonic()
        raw.sock.sendall(b"TOP 1 0\r\n")
        chunks = []
        while not b"".join(chunks).endswith(b"\r\n.\r\n"):
            chunks.append(raw.sock.recv(4096))
        elapsed = time.monotonic() - start
        response = b"".join(chunks)
        assert response.startswith(b"+OK top of message follows\r\nFrom: Sender 1")
        assert elapsed >= (len(response) - 1) * delay
        # arrived in dribs, not in one piece (loosely: a loaded CI machine batches some)
        assert len(chunks) > len(response) // 20
        raw.sock.sendall(b"NOOP\r\n")  # untargeted: immediate
        assert raw.sock.recv(4096) == b"+OK\r\n"
        raw.close()


def test_slow_drip_keeps_a_per_read_timeout_happy() -> None:
    with fault_server("slow-drip", drip_delay=0.002) as server:
        client = login(server)
        client.sock.settimeout(0.2)  # far less than the whole response takes
        _, lines, _ = client.top(2, 1)
        assert lines[-1] == b"body line 1 of message 2"
        client.quit()
