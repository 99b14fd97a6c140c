"""What the engine needs to know to reach one mailbox (no secrets here)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

Security = Literal["tls", "starttls", "none"]
AuthMethod = Literal[
    "auto", "scram-sha-256", "cram-md5", "plain", "login", "xoauth2", "oauthbearer",
    "apop", "user", "rpop",
]
SECURITY_CHOICES: tuple[str, ...] = ("tls", "starttls", "none")
AUTH_CHOICES: tuple[str, ...] = AuthMethod.__args__  # type: ignore[attr-defined]
#: the methods that log in with an OAuth token instead of a password
OAUTH_METHODS: tuple[str, ...] = ("xoauth2", "oauthbearer")
DEFAULT_PORTS = {"tls": 995, "starttls": 110, "none": 110}


@dataclass(frozen=True)
class Account:
    """Connection settings of one POP3 account."""

    name: str
    host: str
    user: str
    port: int | None = None
    security: Security = "tls"
    auth: AuthMethod = "auto"
    ca_file: str | None = None
    #: SHA-256 of the one certificate trusted for this server (replaces CA verification)
    tls_fingerprint: str | None = None
    allow_plaintext_password: bool = False
    timeout: float = 30.0
    keepalive: float = 60.0
    preview_lines: int = 20
    #: parsing a message peaks at about 9x its size (the stdlib MIME parser): 64 MB -> ~0.6 GB
    max_message_size: int = 64 * 1024 * 1024
    #: where ``popui fetch`` saves mail by default: a Maildir (ending in ``/``) or an mbox
    fetch_to: str | None = None

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def keyring_user(self) -> str:
        """The keyring entry name for this account's secret: ``user@host:port``."""
        return f"{self.user}@{self.host}:{self.effective_port}"


@dataclass(frozen=True)
class Credentials:
    """Secrets for one login attempt. ``repr`` never shows them."""

    password: str | None = None
    oauth_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"Credentials(password={'***' if self.password else None}, "
            f"oauth_token={'***' if self.oauth_token else None})"
        )
