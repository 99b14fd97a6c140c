"""The embedded demo: an in-process POP3 server and a generated sample mailbox.

    server = start_demo_server()      # listening on 127.0.0.1, a free port
    account = server.account()        # security "none", user/password DEMO_USER/DEMO_PASSWORD
    ...
    server.stop()
"""

from __future__ import annotations

from datetime import datetime

from popui.demo.mailbox import generate_demo_mailbox
from popui.demo.server import Mailbox, Pop3Server
from popui.pop3.account import Account

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"

__all__ = ["DEMO_PASSWORD", "DEMO_USER", "DemoServer", "start_demo_server"]


class DemoServer(Pop3Server):
    """The demo mailbox on loopback, with the account the app connects with."""

    def account(self) -> Account:
        return Account(
            name="demo", host=self.host, port=self.port, user=self.user, security="none",
            allow_plaintext_password=True,  # loopback only, and the password is "demo"
        )


def start_demo_server(
    count: int = 300, *, seed: int = 1, now: datetime | None = None,
    host: str = "127.0.0.1", port: int = 0,
) -> DemoServer:
    """Generate the demo mailbox and serve it; returns once the server is listening."""
    mailbox = Mailbox(generate_demo_mailbox(count, seed=seed, now=now))
    server = DemoServer(mailbox, user=DEMO_USER, password=DEMO_PASSWORD, host=host, port=port)
    server.start()
    return server
