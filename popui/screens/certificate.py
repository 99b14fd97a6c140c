"""The server's certificate could not be verified: show it and let the user decide.

As mutt and mpop do: subject, issuer, validity and the SHA-256 fingerprint (to compare with what
the server's administrator publishes), then refuse, accept once (this session), or always
(pinned as ``tls_fingerprint`` in the account's configuration). Nothing is ever accepted
silently: Escape refuses. A pinned certificate that changed can only be refused here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from popui.pop3.account import Account
from popui.pop3.transport import CertificateDetails, split_fingerprint
from popui.screens.dialog import dialog_css
from popui.widgets.safe_text import safe_line

TrustChoice = Literal["refuse", "once", "always"]
CHOICES: tuple[TrustChoice, ...] = ("refuse", "once", "always")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CertificateDialog(ModalScreen[TrustChoice]):
    """Dismisses with "refuse", "once" or "always". ``pinned``: the fingerprint the account
    trusts, when the server now shows another (only "refuse" then). ``can_pin``: False when
    there is no configured account to write the fingerprint to (ad-hoc accounts)."""

    DEFAULT_CSS = dialog_css("CertificateDialog", """
    CertificateDialog {
        & > Vertical { width: 84; }
        & #certificate { margin-bottom: 1; }
    }
    """)
    BINDINGS = [
        Binding("r,escape", "choose('refuse')", "Refuse"),
        Binding("o", "choose('once')", "Accept once"),
        Binding("a", "choose('always')", "Always"),
    ]

    def __init__(
        self,
        certificate: CertificateDetails,
        *,
        pinned: str | None = None,
        can_pin: bool = True,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__()
        self.certificate = certificate
        self.pinned = pinned
        self.can_pin = can_pin
        self.clock = clock

    @property
    def changed(self) -> bool:
        return self.pinned is not None

    def compose(self) -> ComposeResult:
        cert = self.certificate
        server = f"{cert.host}:{cert.port}"
        if self.changed:
            title = f"The certificate of {server} CHANGED"
            explain = (
                "You accepted another certificate for this server. This can be an attack on "
                "the connection, so popui refuses it. If the server's administrator confirms "
                "the new fingerprint, remove tls_fingerprint from the account's configuration "
                "and connect again to review it."
            )
        else:
            title = f"The certificate of {server} is not trusted"
            explain = (
                "Compare the fingerprint with the one the server's administrator gives you. "
                "Accept it only if they match; nothing is sent until you decide."
            )
        rows: list[tuple[str, Content | str]] = []
        if cert.problem:
            rows.append(("Problem", safe_line(cert.problem)))
        rows += [
            ("Subject", safe_line(cert.subject)),
            ("Issuer", safe_line(cert.issuer)),
            ("Valid", cert.validity(self.clock())),
            ("SHA-256", "\n".join(cert.fingerprint_lines())),
        ]
        if self.pinned is not None:
            rows.append(("Accepted", "\n".join(split_fingerprint(self.pinned))))
        with Vertical(classes="danger" if self.changed else ""):
            yield Static(title, classes="title", markup=False)
            yield Static(explain, classes="explain", markup=False)
            yield Static(_table(rows), id="certificate")
            with Horizontal():
                yield Button("Refuse (r)", id="refuse", variant="primary")
                if not self.changed:
                    yield Button("Accept once (o)", id="once")
                    if self.can_pin:
                        yield Button("Always (a)", id="always", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#refuse", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "refuse")

    def action_choose(self, choice: str) -> None:
        if choice not in CHOICES:
            return
        if choice != "refuse" and (self.changed or (choice == "always" and not self.can_pin)):
            return  # not offered here
        self.dismiss(choice)


def _table(rows: list[tuple[str, Content | str]]) -> Content:
    width = max(len(label) for label, _ in rows) + 2
    lines: list[Content] = []
    for label, value in rows:
        text = value if isinstance(value, Content) else Content(value)
        for index, part in enumerate(text.split("\n")):
            head = label if index == 0 else ""
            lines.append(Content.assemble((head.ljust(width), "bold"), part))
    return Content("\n").join(lines)


async def decide_certificate(
    app: App[Any], account: Account, certificate: CertificateDetails | None,
    config_path: Path | None, *, pinned: str | None = None, configured: bool = True,
) -> Account | None:
    """Show ``certificate`` (from ``UntrustedCertificate``, or ``CertificateChanged`` with the
    ``pinned`` fingerprint) and return the account to connect again with (the certificate
    pinned, for this session or also saved as ``tls_fingerprint``), or None when refused.
    Run it in a worker (it waits for the dialog). ``configured``: the account is a
    ``[accounts.NAME]`` table of ``config_path`` ("always" is offered only then)."""
    if certificate is None:
        return None  # nothing to show: the refusal stands (the error says why)
    can_pin = configured and config_path is not None
    choice = await app.push_screen_wait(
        CertificateDialog(certificate, pinned=pinned, can_pin=can_pin)
    )
    if choice == "refuse" or pinned is not None:
        return None
    trusted = dataclasses.replace(account, tls_fingerprint=certificate.sha256)
    if choice == "always" and config_path is not None:
        from popui.config import ConfigError, save_account_key

        try:
            await asyncio.to_thread(save_account_key, config_path, account.name,
                                    "tls_fingerprint", certificate.sha256)
        except (ConfigError, KeyError, OSError) as problem:
            reason = f"no [accounts.{account.name}] table" if isinstance(problem, KeyError) \
                else str(problem)
            app.notify(f"Certificate accepted for this session only; not saved: {reason}",
                       severity="warning", markup=False)
    return trusted
