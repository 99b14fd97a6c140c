"""XOAUTH2 and OAUTHBEARER logins (Dovecot needs an OAuth2 server for these, so a small
in-process server checks the exact SASL messages), and that the token never reaches the log."""

from __future__ import annotations

import base64
import json

import pytest
from fault_server import USER, FaultServer

from popui.pop3 import errors
from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.protocol_log import ProtocolLog

TOKEN = "ya29.test-token-7f3c"


class OAuthServer(FaultServer):
    def capabilities(self, session):
        return [*super().capabilities(session)[:-2], "SASL XOAUTH2 OAUTHBEARER"]

    def handle_AUTH(self, session, args: str) -> None:
        mechanism, _, initial = args.partition(" ")
        text = base64.b64decode(initial).decode()
        if mechanism == "XOAUTH2":
            good = text == f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01"
        else:
            good = text.startswith(f"n,a={USER},\x01host=") and text.endswith(
                f"\x01auth=Bearer {TOKEN}\x01\x01")
        if good:
            self.open_maildrop(session)
            return
        problem = base64.b64encode(json.dumps({"status": "invalid_token"}).encode())
        self.send(session, b"+ " + problem + b"\r\n")
        session.readline()  # the client's empty answer
        self.err(session, "[AUTH] invalid token")


@pytest.mark.parametrize("method", ["auto", "xoauth2", "oauthbearer"])
def test_oauth_logins(method: str) -> None:
    with OAuthServer() as server:
        log = ProtocolLog(level=2)
        account = Account(name="o", host=server.host, port=server.port, security="none",
                          user=USER, auth=method)  # type: ignore[arg-type]
        client = Pop3Client(account, log=log)
        used = client.login(Credentials(oauth_token=TOKEN))
        assert used == ("oauthbearer" if method == "auto" else method)
        assert client.stat_totals()[0] == 3
        client.quit()
        assert TOKEN not in "\n".join(line.text for line in log.lines())


def test_a_rejected_token_is_an_auth_error_without_the_token() -> None:
    with OAuthServer() as server:
        account = Account(name="o", host=server.host, port=server.port, security="none",
                          user=USER, auth="xoauth2")
        client = Pop3Client(account)
        with pytest.raises(errors.AuthFailed) as info:
            client.login(Credentials(oauth_token="expired-token-91ab"))
        client.close()
        assert "expired-token-91ab" not in str(info.value) + repr(info.value)
