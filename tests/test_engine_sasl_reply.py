"""Server words around SASL that are not what the client hoped for: a login ends in ``+OK`` and
human text (``+OK Authenticated``), or a SCRAM challenge is not valid base64. Either way the
result is a login or a typed ``AuthFailed``, never a stray ``binascii.Error``."""

from __future__ import annotations

import base64

import pytest
from fault_server import PASSWORD, USER, FaultServer

from popui.demo.server import Session
from popui.pop3 import sasl
from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.errors import AuthFailed

pytestmark = pytest.mark.timeout(20)


class SaysAuthenticated(FaultServer):
    """Answers a good ``AUTH`` with ``+OK Authenticated``: 13 letters, not valid base64."""

    def ok(self, session: Session, text: str = "") -> None:
        super().ok(session, "Authenticated" if session.command == "AUTH" else text)


def test_plain_login_ending_in_human_text() -> None:
    with SaysAuthenticated() as server:
        account = Account(name="t", host=server.host, port=server.port, user=USER,
                          security="none", auth="plain", timeout=5.0)
        client = Pop3Client(account)
        try:
            assert client.login(Credentials(password=PASSWORD)) == "plain"
            assert client.stat_totals()[0] == 3
        finally:
            client.quit()
    assert "AUTH" in server.verbs()


def server_first(salt: bytes) -> bytes:
    return b"r=abcdef,s=" + salt + b",i=4096"


@pytest.mark.parametrize("salt", [b"abc", b"a"])
def test_scram_salt_that_is_not_base64_is_an_auth_failure(salt: bytes) -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="abc")
    with pytest.raises(AuthFailed, match="malformed"):
        mech.step(server_first(salt))


@pytest.mark.parametrize("final", [b"v=a", b"v=abcde", b"v="])
def test_scram_server_proof_that_is_not_base64_is_an_auth_failure(final: bytes) -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="abc")
    mech.step(server_first(base64.b64encode(b"salt")))
    with pytest.raises(AuthFailed):
        mech.step(final)


def test_scram_iteration_count_in_other_digits_is_an_auth_failure() -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="abc")
    with pytest.raises(AuthFailed, match="malformed"):
        mech.step(server_first(base64.b64encode(b"salt")).replace(b"4096", "²".encode()))
