"""Arbitrary server bytes give a typed error or a valid result: never a crash or a hang."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.errors import Pop3Error


class ScriptedServer:
    """Answers every connection with the current payload, then closes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.payload = b""
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
                    conn.shutdown(socket.SHUT_WR)
                    while conn.recv(65536):  # drain the client's commands until it closes
                        pass
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


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
def test_client_survives_arbitrary_server_bytes(scripted: ScriptedServer, payload: bytes) -> None:
    scripted.payload = payload
    account = Account(name="fuzz", host="127.0.0.1", port=scripted.port, security="none",
                      user="u", timeout=2.0, max_message_size=64 * 1024)
    try:
        client = Pop3Client(account)
        try:
            client.login(Credentials(password="pw"))
            client.stat_totals()
            messages, _, _ = client.listing()
            for info in messages[:3]:
                client.top_bytes(info.number, 0)
        finally:
            client.close()
    except Pop3Error as exc:
        assert str(exc)  # every error carries a sentence for the user
