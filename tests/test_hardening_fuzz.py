"""Arbitrary server bytes give a typed error or a valid result: never a crash or a hang.

The server sends each payload and then closes the connection, or keeps it open in one of three
ways:

- silence: nothing more, the socket stays open (the client must not wait forever);
- drip: one more byte every 20 ms, forever (a server that looks alive must hit the deadline);
- flood: data without end as fast as possible (the memory cap must stop it).

Each must end with a typed error (or a result, if the payload already was a whole session)
within a small multiple of the account's timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.errors import Pop3Error

TIMEOUT = 0.15
CAP = 64 * 1024


class EndlessServer:
    """Answers each connection with ``payload``, then a close, silence, a drip or a flood."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.payload = b""
        self.tail = "silence"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.sendall(self.payload)
                    self._tail(conn)
                except OSError:
                    pass

    def _tail(self, conn: socket.socket) -> None:
        if self.tail == "close":
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):  # drain the client's commands until it closes
                pass
        elif self.tail == "silence":
            while conn.recv(65536):  # until the client closes
                pass
        elif self.tail == "drip":
            conn.settimeout(0.02)
            while True:
                conn.sendall(b"x")
                try:  # the wait between bytes doubles as noticing the client's close
                    if conn.recv(65536) == b"":
                        return
                except TimeoutError:
                    pass
        else:
            chunk = b"flood line\r\n" * 400
            while True:
                conn.sendall(chunk)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def endless() -> Iterator[EndlessServer]:
    server = EndlessServer()
    yield server
    server.close()


PREFIXES = st.one_of(
    st.sampled_from([
        b"", b"+OK", b"+OK ready\r\n", b"+OK ready\r\n+OK capa\r\nUSER\r\n",
        b"+OK ready\r\n+OK capa\r\nTOP\r\nUIDL\r\n.\r\n+OK\r\n+OK in\r\n",
        b"+OK ready\r\n-ERR\r\n+OK\r\n+OK\r\n+OK 2 20\r\n+OK\r\n1 a\r\n",
    ]),
    st.binary(max_size=300),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PREFIXES, tail=st.sampled_from(["silence", "drip", "flood"]))
def test_a_response_that_never_ends_hits_the_deadline_or_the_cap(
    endless: EndlessServer, payload: bytes, tail: str
) -> None:
    endless.payload, endless.tail = payload, tail
    account = Account(name="fuzz", host="127.0.0.1", port=endless.port, security="none",
                      user="u", timeout=TIMEOUT, max_message_size=CAP)
    start = time.monotonic()
    try:
        client = Pop3Client(account)
        try:
            client.login(Credentials(password="pw"))
            client.stat_totals()
            for info in client.listing()[0][:2]:
                client.top_bytes(info.number, 0)
        finally:
            client.close()
    except Pop3Error as exc:
        assert str(exc)
    # a handful of responses, each cut off after at most TIMEOUT: never a hang
    assert time.monotonic() - start < 20 * TIMEOUT


LINES = st.one_of(
    st.sampled_from([
        b"+OK ready <1.2@x>", b"+OK", b"-ERR", b"-ERR [IN-USE] busy", b"-ERR [SYS/TEMP] x",
        b".", b"..", b"1 abc", b"1 100", b"2 zz", b"+OK 3 300", b"+OK x y", b"TOP", b"UIDL",
        b"PIPELINING", b"SASL PLAIN", b"+ ", b"+ AAAA", b"", b"\x00\xff", b"+OK" + b"x" * 5000,
    ]),
    st.binary(max_size=200),
)
PAYLOADS = st.one_of(
    st.binary(max_size=3000),
    st.lists(LINES, max_size=40).map(lambda lines: b"\r\n".join(lines)),
    st.lists(LINES, max_size=40).map(lambda lines: b"\n".join(lines) + b"\n"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS)
def test_client_survives_arbitrary_server_bytes(endless: EndlessServer, payload: bytes) -> None:
    endless.payload, endless.tail = payload, "close"
    account = Account(name="fuzz", host="127.0.0.1", port=endless.port, security="none",
                      user="u", timeout=2.0, max_message_size=CAP)
    try:
        client = Pop3Client(account)
        try:
            client.login(Credentials(password="pw"))
            client.stat_totals()
            messages, _ = client.listing()
            for info in messages[:3]:
                client.top_bytes(info.number, 0)
        finally:
            client.close()
    except Pop3Error as exc:
        assert str(exc)  # every error carries a sentence for the user
