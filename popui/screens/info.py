"""Server information: greeting, capabilities (CAPA) before and after login, TLS, login method,
UTF-8 mode and mailbox totals."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from popui.pop3.events import Connected
from popui.pop3.models import Capabilities, Negotiated
from popui.sizes import human_size
from popui.widgets.safe_text import safe_field, safe_line


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def capability_lines(caps: Capabilities, *, stls_used: bool = False) -> list[Content]:
    """The typed CAPA answer as labelled lines; server-supplied values are untrusted.

    ``stls_used``: STLS was offered on the plaintext connection and TLS started with it (a
    server no longer offers STLS once TLS is on)."""
    if not caps.known:
        return [Content("The server did not answer CAPA; capabilities are guessed by trying.")]
    login_delay = None if caps.login_delay is None else f"{caps.login_delay} s"
    fields: list[tuple[str, str | None]] = [
        ("TOP", _yes_no(caps.top)),
        ("UIDL", _yes_no(caps.uidl)),
        ("PIPELINING", _yes_no(caps.pipelining)),
        ("USER", _yes_no(caps.user)),
        ("STLS", "yes (used to start TLS)" if stls_used else _yes_no(caps.stls)),
        ("UTF8", _yes_no(caps.utf8)),
        ("RESP-CODES", _yes_no(caps.resp_codes)),
        ("AUTH-RESP-CODE", _yes_no(caps.auth_resp_code)),
        ("SASL", " ".join(caps.sasl) or "none"),
        ("EXPIRE", caps.expire or "not announced"),
        ("LOGIN-DELAY", login_delay or "not announced"),
        ("IMPLEMENTATION", caps.implementation or "not announced"),
    ]
    return [safe_field(f"{name:<15}", value) for name, value in fields]


def _utf8_mode(negotiated: Negotiated) -> str:
    if negotiated.utf8:
        return "on (RFC 6856): headers in raw UTF-8 arrive as they are"
    if negotiated.before_login.utf8 or negotiated.after_login.utf8:
        return "off: the server offers UTF8 but refused it"
    return "off: the server does not offer UTF8"


def _raw_lines(stages: list[tuple[str, tuple[str, ...]]]) -> list[Content]:
    lines: list[Content] = []
    for stage, raw in stages:
        if stage:
            lines.append(Content.styled(f"{stage}:", "italic"))
        lines.extend(safe_line(f"  {line}" if stage else line) for line in raw)
    return lines


class InfoScreen(Screen[None]):
    """One key away from the list: what the server said about itself."""

    DEFAULT_CSS = """
    InfoScreen {
        & VerticalScroll { padding: 1 2; }
        & .section { text-style: bold; color: $primary; margin-top: 1; }
        & #raw-capa { color: $text-muted; }
    }
    """
    BINDINGS = [Binding("q,escape", "app.pop_screen", "Back")]

    def __init__(
        self,
        welcome: str,
        capabilities: Capabilities,
        tls: str | None,
        auth_method: str,
        message_count: int | None = None,
        mailbox_size: int | None = None,
        server: str = "",
        negotiated: Negotiated | None = None,
    ) -> None:
        """``negotiated`` adds what was offered before login and the UTF-8 mode; without it
        only ``capabilities`` (after login) are shown."""
        super().__init__()
        self.welcome = welcome
        self.capabilities = capabilities
        self.tls = tls
        self.auth_method = auth_method
        self.message_count = message_count
        self.mailbox_size = mailbox_size
        self.server = server
        self.negotiated = negotiated

    @classmethod
    def from_connected(cls, event: Connected, server: str = "") -> InfoScreen:
        return cls(
            event.welcome,
            event.capabilities,
            event.tls,
            event.auth_method,
            event.message_count,
            event.mailbox_size,
            server,
            event.negotiated,
        )

    def compose(self) -> ComposeResult:
        connection = [
            safe_field("Server", self.server or "unknown"),
            safe_field("TLS", self.tls or "none — the connection is not encrypted"),
            safe_field("Login", self.auth_method or "unknown"),
        ]
        if self.message_count is not None and self.mailbox_size is not None:
            connection.append(
                safe_field(
                    "Mailbox",
                    f"{self.message_count} messages, {human_size(self.mailbox_size)} (STAT)",
                )
            )
        negotiated = self.negotiated
        if negotiated is not None:
            connection.append(safe_field("UTF-8 mode", _utf8_mode(negotiated)))
        with VerticalScroll():
            yield Static("Connection", classes="section", markup=False)
            yield Static(Content("\n").join(connection), id="connection")
            yield Static("Greeting", classes="section", markup=False)
            yield Static(safe_line(self.welcome or "(none)"), id="welcome")
            if negotiated is None:
                yield Static("Capabilities", classes="section", markup=False)
                yield Static(Content("\n").join(capability_lines(self.capabilities)), id="capa")
                raw = [("", self.capabilities.raw)]
            else:
                before_stls = negotiated.before_stls
                stls_used = before_stls is not None and before_stls.stls
                yield Static("Capabilities offered before login", classes="section",
                             markup=False)
                yield Static(Content("\n").join(capability_lines(negotiated.before_login,
                                                                 stls_used=stls_used)),
                             id="capa-before")
                yield Static("Capabilities after login", classes="section", markup=False)
                yield Static(Content("\n").join(capability_lines(self.capabilities)), id="capa")
                raw = [("before STLS (plaintext)", before_stls.raw if before_stls else ()),
                       ("before login", negotiated.before_login.raw),
                       ("after login", self.capabilities.raw)]
            shown = [(stage, lines) for stage, lines in raw if lines]
            if shown:
                yield Static("CAPA as sent", classes="section", markup=False)
                yield Static(Content("\n").join(_raw_lines(shown)), id="raw-capa")
        yield Footer()
