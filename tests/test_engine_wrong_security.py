"""Issue 12 item 7: the wrong security for a port gets a sentence that says what to do, at once.

Against the private Dovecot: TLS spoken to its plain POP3 port, and plain POP3 to its TLS port
(where the server says nothing and waits for a TLS handshake: the old client waited for the
whole timeout, then said "did not answer").
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from engine_support import dovecot_account

from popui.pop3 import errors
from popui.pop3.account import Account
from popui.pop3.client import Pop3Client


def test_tls_against_the_plain_port_says_it_speaks_plain_pop3(mailbox) -> None:
    account = dovecot_account(mailbox, port="plain", security="tls")
    with pytest.raises(errors.SecurityMismatch) as caught:
        Pop3Client(account)
    message = str(caught.value)
    assert f"Port {account.port} of 127.0.0.1" in message and "speaks plain POP3" in message
    assert "--security starttls" in message and "port 995 for tls" in message
    assert "WRONG_VERSION_NUMBER" not in message and "_ssl.c" not in message


def test_plain_against_the_tls_port_says_it_speaks_tls_without_waiting(mailbox) -> None:
    # A timeout far longer than the test's patience: only the detection can end it in time.
    account = dovecot_account(mailbox, port="tls", security="none", timeout=600.0)
    with pytest.raises(errors.SecurityMismatch) as caught:
        Pop3Client(account)
    message = str(caught.value)
    assert f"Port {account.port} of 127.0.0.1" in message and "speaks TLS" in message
    assert "--security tls" in message
    assert "did not answer" not in message


@pytest.fixture
def alert_server() -> Iterator[int]:
    """A port that answers anything with a TLS alert record, then closes (some TLS servers do)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"\x15\x03\x01\x00\x02\x02\x46")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    thread.join(5)


def test_tls_bytes_in_the_greeting_are_recognised(alert_server: int) -> None:
    account = Account(name="t", host="127.0.0.1", port=alert_server, user="u", security="none")
    with pytest.raises(errors.SecurityMismatch) as caught:
        Pop3Client(account)
    assert "speaks TLS" in str(caught.value)
