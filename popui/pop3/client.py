"""A POP3 client built on ``poplib.POP3``, extended where poplib falls short.

Extensions: verified TLS and STLS, typed errors from response codes, lines of any length with
a memory cap, deadlines per response, SASL, a redacting protocol log, RFC 2449 pipelining,
RFC 6856 UTF-8 mode, and header-only reading of TOP replies (some servers ignore its line count).
Not thread-safe: one owner (the session thread) uses it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import poplib
import re
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from popui.pop3 import sasl
from popui.pop3.account import Account, Credentials
from popui.pop3.capabilities import parse_capabilities
from popui.pop3.errors import (
    AuthFailed,
    ConnectionLost,
    Pop3Error,
    ProtocolViolation,
    ResponseTimeout,
    SecretRejected,
    SecurityMismatch,
    SecurityPolicyError,
    ServerError,
    TopCutOff,
    UntrustedCertificate,
    error_from_response,
)
from popui.pop3.models import Capabilities, Listed, MessageInfo, Negotiated
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.transport import (
    PROBE_TIMEOUT,
    CertificateDetails,
    Deadline,
    LineReader,
    fetch_certificate,
    looks_like_tls,
    make_ssl_context,
    speaks_tls,
    tls_port_message,
    wrap_tls,
)

CRLF = b"\r\n"
_TIMESTAMP = re.compile(rb"<[^<>@\s]*@[^<>\s]*>")
#: A LIST or UIDL line as ``line.split()`` reads it: a number, then a second word (the size or
#: the UIDL); what follows is ignored. One pass over 100,000 lines, instead of a split each.
_SCAN_LINE = re.compile(
    rb"^[ \t\r\x0b\x0c]*([0-9]+)[ \t\r\x0b\x0c]+([^ \t\r\n\x0b\x0c]+)", re.MULTILINE)
_SCAN_TEXT_LINE = re.compile(_SCAN_LINE.pattern.decode("ascii"), re.MULTILINE | re.ASCII)
#: most commands kept in flight when pipelining (RFC 2449 leaves the window to the client)
DEFAULT_WINDOW = 1000
#: ``TOP n 0`` kept in flight by `headers` at most: at 20 ms a round trip carries ~1,100 header
#: blocks at the speed Python reads them (a fixed 1,000 made the fill 2.8x the raw socket).
#: Its commands (~50 KB) fit a server's receive buffer even while it is not reading.
HEADER_WINDOW = 4000
HEADER_SEND = 500
#: ... and at least (a preview waits for what is in flight: on a slow link few, `_Pace`)
HEADER_WINDOW_MIN = 512
#: RETRs kept in flight by ``retrieve_stream``: enough to hide the round trip between messages
RETR_WINDOW = 16
#: a plain POP3 server greets at once; silence this long on a plain connection is worth a probe
GREETING_GRACE = 2.0
SASL_METHODS = ("scram-sha-256", "cram-md5", "plain", "login", "xoauth2", "oauthbearer")
Progress = Callable[[int], None]
#: Once TOP is known to send whole messages, the rest of a reply after the header is read and
#: dropped up to this size; past it the connection is closed instead (``TopCutOff``), since a
#: reconnect costs a few KB and round trips while the message may cost megabytes.
DISCARD_LIMIT = 32 * 1024
TOP_IGNORES_LINES_NOTICE = (
    "This server's TOP ignores its line count and sends whole messages. popui keeps only each "
    "header and stops reading the rest (reconnecting after large messages), so filling the "
    "list takes a little longer than usual; previews work as before."
)


class _Pace:
    """How many ``TOP``s to keep in flight: what the link delivers in three round trips (the
    first reply's round trip; replies per second since the next one), between
    ``HEADER_WINDOW_MIN`` and ``most``. A preview waits for what is in flight, so on a slow
    link the window stays small; on a fast one it grows to hide the round trip."""

    def __init__(self) -> None:
        self.most = HEADER_WINDOW
        self.rtt: float | None = None
        self._sent_at: float | None = None
        self._start: float | None = None
        self._count = 0
        self._wanted = 0  # three round trips' worth, as last measured
        self._measure_at = 64  # measured every 64 replies, not on each

    def window(self) -> int:
        if self.rtt is None or self._start is None or self._count < 64:
            return min(self.most, DEFAULT_WINDOW)
        if self._count >= self._measure_at:
            self._measure_at = self._count + 64
            rate = self._count / max(time.monotonic() - self._start, 1e-3)
            self._wanted = int(rate * self.rtt * 3)
        return max(1, min(self.most, max(HEADER_WINDOW_MIN, self._wanted)))

    def sent(self) -> None:
        if self._sent_at is None:
            self._sent_at = time.monotonic()

    def received(self) -> None:
        if self.rtt is None:
            if self._sent_at is not None:  # the first reply: one round trip
                self.rtt = time.monotonic() - self._sent_at
            return
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._count += 1


class Pop3Client(poplib.POP3):
    """One connection to one POP3 server, logged in or not."""

    file: LineReader  # type: ignore[assignment]  # replaces poplib's line-limited reader
    welcome: bytes

    def __init__(
        self,
        account: Account,
        *,
        log: ProtocolLog | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        # poplib.POP3.__init__ would connect without TLS verification; do it ourselves.
        self.account = account
        self.host = account.host
        self.port = account.effective_port
        self.log = log if log is not None else ProtocolLog(0)
        self.timeout = account.timeout
        self.max_response = account.max_message_size
        self._debugging = 0
        self._tls_established = False
        self._context = ssl_context
        self._awaiting: str | _Reply = "its greeting"  # what the next reply answers, in words
        self._interrupted = False
        self._pace = _Pace()
        self.capabilities = Capabilities()
        self.capabilities_before_login = Capabilities()
        self.capabilities_before_stls: Capabilities | None = None
        self.utf8_mode = False  # RFC 6856 UTF-8 mode is in effect
        self.auth_method = ""
        #: a ``TOP n 0`` reply ran past its header: this server's TOP ignores the line count
        self.top_ignores_lines = False
        self._top_probed = False
        try:
            sock = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as exc:
            raise ConnectionLost(
                f"Cannot connect to {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        if account.security == "tls":
            sock = self._wrap_tls(sock, implicit=True)
            self._tls_established = True
        self.sock = sock
        self.file = LineReader(sock, self.timeout)  # poplib.close() closes self.file
        try:
            self.log.note(f"connected to {self.host}:{self.port} ({self.tls_version or 'plain'})")
            self.welcome = self._read_greeting()
            self.capabilities = self.fetch_capabilities()
            if account.security == "starttls":
                if not self.capabilities.stls:
                    raise SecurityPolicyError(
                        f"{self.host} does not offer STLS, and this account requires it: "
                        "refusing to log in without encryption."
                    )
                self.capabilities_before_stls = self.capabilities
                self.stls()
                self.capabilities = self.fetch_capabilities()
            self.capabilities_before_login = self.capabilities
        except BaseException:
            self.close()
            raise

    # -- transport -------------------------------------------------------------------------

    def _wrap_tls(self, sock: socket.socket, *, implicit: bool) -> ssl.SSLSocket:
        """The handshake; an untrusted certificate is refused with its details, fetched on a
        connection of its own (a failed verification does not reveal the certificate)."""
        try:
            return wrap_tls(sock, self._tls_context(), self.host, implicit=implicit,
                            pin=self.account.tls_fingerprint)
        except UntrustedCertificate as exc:
            try:
                der = fetch_certificate(self.host, self.port, starttls=not implicit,
                                        timeout=min(self.timeout, PROBE_TIMEOUT))
                exc.certificate = CertificateDetails.from_der(der, self.host, self.port,
                                                              exc.problem)
            except (OSError, ValueError, Pop3Error):
                pass  # the refusal stands, without the details
            raise exc from None

    def _read_greeting(self) -> bytes:
        """The greeting; on a plain connection, a port that speaks TLS is recognised by the TLS
        record it sends, or (silent, waiting for our handshake) by a quick TLS probe."""
        if self._tls_established:
            return self._getresp()
        try:
            return self._getresp(Deadline(min(GREETING_GRACE, self.timeout), self._awaiting))
        except ResponseTimeout:
            if self.file.head or not speaks_tls(self.host, self.port,
                                                min(self.timeout, PROBE_TIMEOUT)):
                return self._getresp()  # just slow: wait the account's timeout
            raise SecurityMismatch(tls_port_message(self.host, self.port)) from None
        except ConnectionLost:  # ProtocolViolation too
            if looks_like_tls(self.file.head):
                raise SecurityMismatch(tls_port_message(self.host, self.port)) from None
            raise

    def _tls_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = make_ssl_context(self.account)
        return self._context

    @property
    def tls_version(self) -> str | None:
        return self.sock.version() if isinstance(self.sock, ssl.SSLSocket) else None

    def stls(self, context: ssl.SSLContext | None = None) -> bytes:
        if context is not None:
            self._context = context
        try:
            resp = self._shortcmd("STLS")
        except ServerError as exc:
            raise SecurityPolicyError(
                f"{self.host} refused STLS{f' ({exc.server_text})' if exc.server_text else ''}, "
                "and this account requires it: refusing to log in without encryption."
            ) from None
        self.file.discard_buffer()  # nothing read before the handshake may be trusted
        self.sock = self._wrap_tls(self.sock, implicit=False)
        self.file = LineReader(self.sock, self.timeout)
        self._tls_established = True
        self.log.note(f"TLS established ({self.tls_version})")
        return resp

    def set_debuglevel(self, level: int) -> None:
        self.log.level = level

    def close(self) -> None:
        with contextlib.suppress(OSError):
            super().close()

    def interrupt(self) -> None:
        """Give up on the answer being read, from another thread (the user moved on: a refresh
        while a preview drips). The read in progress raises ``ConnectionLost`` at once; the
        connection is done for, and nothing is lost (no DELE is ever pending outside a commit).
        """
        self._interrupted = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Name an ``interrupt()`` for what it is, not as a lost connection."""
        try:
            yield
        except (ConnectionLost, OSError):
            self._raise_if_interrupted()
            raise

    def _raise_if_interrupted(self) -> None:
        if self._interrupted:
            raise ConnectionLost(f"Stopped waiting for {self._awaiting}.") from None

    def _putline(self, line: bytes) -> None:
        try:
            with self._reading():
                self.sock.sendall(line + CRLF)
        except OSError as exc:
            raise ConnectionLost(f"The connection was lost while sending: {exc}") from None

    def _putcmd(self, line: str, *, secret: bool = False) -> None:
        if "\r" in line or "\n" in line:
            raise SecretRejected("A command argument contains a line break; not sent.")
        self._awaiting = "the login exchange" if secret else _Reply(line)
        self.log.command(line, secret=secret)
        self._putline(line.encode(self.encoding))

    def _deadline(self) -> Deadline:
        """A fresh deadline for one response: the account's timeout as a sliding window with a
        minimum rate (``transport.Deadline``); never scaled by a size the server claims."""
        return Deadline(self.timeout, self._awaiting)

    def _getline(self, deadline: Deadline | None = None) -> tuple[bytes, int]:
        try:
            line = self.file.readline(deadline, self.max_response)
        except (ConnectionLost, OSError):
            self._raise_if_interrupted()
            raise
        octets = len(line)
        if line.endswith(CRLF):
            return line[:-2], octets
        return line[:-1], octets  # a bare LF

    def _getresp(self, deadline: Deadline | None = None) -> bytes:
        resp, _ = self._getline(deadline or self._deadline())
        if self.log.level:
            self.log.status(resp.decode("utf-8", "replace"))
        if resp.startswith(b"+OK"):
            return resp
        if resp.startswith(b"-ERR"):
            raise error_from_response(resp, login_delay=self.capabilities.login_delay)
        raise ProtocolViolation(
            "The server sent something that is not a POP3 reply: "
            f"{resp[:60].decode('ascii', 'replace')!r}"
        )

    def _read_body(self, progress: Progress | None = None) -> bytes:
        """The body of a multi-line response up to the terminating ``.``, un-stuffed."""
        with self._reading():
            block = self.file.read_block(self._deadline(), self.max_response, progress)
        if block.startswith(b".."):
            block = block[1:]
        block = block.replace(b"\n..", b"\n.")
        if self.log.level >= 2:
            for line in body_lines(block):
                self.log.data(line.decode("utf-8", "replace"))
        return block

    def _shortcmd(self, line: str) -> bytes:
        self._putcmd(line)
        return self._getresp()

    def _longcmd(self, line: str) -> tuple[bytes, list[bytes], int]:
        self._putcmd(line)
        return self._getlongresp()

    def _getlongresp(self) -> tuple[bytes, list[bytes], int]:
        resp = self._getresp()
        body = self._read_body()
        return resp, body_lines(body), len(body)

    # -- capabilities and login ------------------------------------------------------------

    def fetch_capabilities(self) -> Capabilities:
        try:
            _, lines, _ = self._longcmd("CAPA")
        except ServerError:
            return Capabilities(known=False)
        return parse_capabilities(lines)

    def login(self, credentials: Credentials, method: str | None = None) -> str:
        """Log in with the account's method (``auto`` picks the strongest offered).

        Returns the method used and refreshes ``capabilities`` (servers may add some).
        """
        for secret in (credentials.password, credentials.oauth_token):
            if secret and ("\r" in secret or "\n" in secret):
                raise SecretRejected("The password or token contains a line break; not sent.")
        chosen = self._choose_method(credentials, method or self.account.auth)
        self._check_plaintext_policy(chosen)
        if self.capabilities.utf8:
            self._enable_utf8()  # RFC 6856: in the AUTHORIZATION state
        user = self.account.user
        try:
            if chosen == "user":
                self.user(user)
                self.pass_(credentials.password or "")
            elif chosen == "apop":
                self._apop(user, credentials.password or "")
            elif chosen == "rpop":
                self.user(user)
                self.rpop(credentials.password or "")
            else:
                self._authenticate(self._mechanism(chosen, credentials))
        except AuthFailed:
            raise
        except ServerError as exc:
            if type(exc) is ServerError:
                raise AuthFailed(
                    "The server rejected the user name or password"
                    + (f" (server said: {exc.server_text})." if exc.server_text else "."),
                    exc.server_text,
                ) from None
            raise
        self.auth_method = chosen
        self.log.note(f"logged in as {user} with {chosen.upper()}")
        self.capabilities = self.fetch_capabilities()
        if self.capabilities.utf8 and not self.utf8_mode:
            self._enable_utf8()  # announced only now, or refused before: Courier takes it here
        return chosen

    def _enable_utf8(self) -> None:
        """``UTF8`` (RFC 6856). Without it a server such as Courier replaces every message with
        raw UTF-8 headers by a notice ("Cannot display Unicode content")."""
        try:
            self.utf8()  # poplib sends UTF8
        except ServerError as exc:
            self.log.note(f"the server refused UTF8 ({exc.server_text or 'no reason given'})")
            return
        self.utf8_mode = True
        self.log.note("UTF-8 mode (RFC 6856) in effect")

    @property
    def negotiated(self) -> Negotiated:
        """The capabilities before and after login, and the modes in effect."""
        return Negotiated(self.capabilities_before_login, self.capabilities,
                          self.capabilities_before_stls, self.utf8_mode)

    def _choose_method(self, credentials: Credentials, method: str) -> str:
        caps = self.capabilities
        offered = set(caps.sasl)
        if method != "auto":
            sasl_name = method.upper()
            if method in SASL_METHODS and caps.known and sasl_name not in offered:
                raise SecurityPolicyError(
                    f"The account asks for {sasl_name} login, which {self.host} does not "
                    f"offer (it offers: {', '.join(caps.sasl) or 'no SASL'}). "
                    'Set auth = "auto" to use the best it has.'
                )
            return method
        if credentials.oauth_token:
            for name in ("OAUTHBEARER", "XOAUTH2"):
                if name in offered:
                    return name.lower()
            raise SecurityPolicyError("The server offers no OAuth2 login (OAUTHBEARER/XOAUTH2).")
        for name in ("SCRAM-SHA-256", "CRAM-MD5"):
            if name in offered:
                return name.lower()
        # A greeting timestamp is no promise that APOP works (GNU Mailutils greets with one and
        # needs a separate APOP database); over TLS it protects nothing more than PASS does.
        if _TIMESTAMP.search(self.welcome) and not self._tls_established:
            return "apop"
        for name in ("PLAIN", "LOGIN"):
            if name in offered:
                return name.lower()
        return "user"

    def _check_plaintext_policy(self, method: str) -> None:
        plaintext = method in ("user", "plain", "login", "rpop")
        if (plaintext and not self._tls_established and not self.account.is_loopback
                and not self.account.allow_plaintext_password):
            raise SecurityPolicyError(
                f"Refusing to send the password unencrypted to {self.host} ({method.upper()} "
                "over a plain connection). Use security = \"tls\" or \"starttls\", or set "
                "allow_plaintext_password = true for this account if you accept the risk."
            )

    def _apop(self, user: str, password: str) -> bytes:
        m = _TIMESTAMP.search(self.welcome)
        if not m:
            raise SecurityPolicyError("The server's greeting has no APOP timestamp.")
        digest = hashlib.md5(m.group(0) + password.encode(self.encoding)).hexdigest()
        return self._shortcmd(f"APOP {user} {digest}")

    def _mechanism(self, name: str, credentials: Credentials) -> sasl.Mechanism:
        user, password, token = self.account.user, credentials.password or "", (
            credentials.oauth_token or "")
        factories: dict[str, Callable[[], sasl.Mechanism]] = {
            "plain": lambda: sasl.Plain(user, password),
            "login": lambda: sasl.Login(user, password),
            "cram-md5": lambda: sasl.CramMD5(user, password),
            "scram-sha-256": lambda: sasl.ScramSha256(user, password),
            "xoauth2": lambda: sasl.XOAuth2(user, token),
            "oauthbearer": lambda: sasl.OAuthBearer(user, token, self.host, self.port),
        }
        if name not in factories:
            raise SecurityPolicyError(f"Unknown login method {name!r}.")
        return factories[name]()

    def _authenticate(self, mech: sasl.Mechanism) -> None:
        initial = mech.initial()
        if initial is None:
            self._putcmd(f"AUTH {mech.name}")
        else:
            encoded = base64.b64encode(initial).decode() or "="
            self.log.command(f"AUTH {mech.name} <redacted>")
            self._awaiting = "the login exchange"
            self._putline(f"AUTH {mech.name} {encoded}".encode())
        for _ in range(10):
            line, _ = self._getline(self._deadline())
            self.log.status(line.decode("utf-8", "replace")[:4] + ("…" if len(line) > 4 else ""))
            if line.startswith(b"+OK"):
                mech.finish(b"")
                return
            if line.startswith(b"-ERR"):
                raise error_from_response(line)
            if not line.startswith(b"+"):
                raise ProtocolViolation("The server sent a malformed SASL continuation.")
            try:
                challenge = base64.b64decode(line[1:].strip(), validate=False)
            except ValueError:
                raise ProtocolViolation("The server sent a malformed SASL challenge.") from None
            try:
                answer = mech.step(challenge)
            except AuthFailed:
                self._putcmd("*")  # cancel the exchange before giving up
                with contextlib.suppress(ServerError):
                    self._getresp()
                raise
            self._putcmd(base64.b64encode(answer).decode(), secret=True)
        raise ProtocolViolation("The SASL exchange did not end.")

    # -- commands --------------------------------------------------------------------------

    def stat_totals(self) -> tuple[int, int]:
        resp = self._shortcmd("STAT")
        parts = resp.split()
        try:
            return int(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            raise ProtocolViolation(f"Malformed STAT reply: {resp[:60]!r}") from None

    def listing(self) -> tuple[list[Listed], bool]:
        """UIDL + LIST (one round trip when pipelining): ``(messages, has_uidl)``.

        Each message carries its UIDL, or None when the server has no UIDL. Which UIDLs can be
        trusted as identities (unique ones) is the session's business (`popui.pop3.identity`).
        """
        want_uidl = self.capabilities.uidl or not self.capabilities.known
        commands = ["UIDL", "LIST"] if want_uidl else ["LIST"]
        results = list(self.pipeline(commands, multiline=True))
        uids: dict[int, str] = {}
        has_uidl = False
        if want_uidl:
            _, status, body = results.pop(0)
            if not isinstance(status, Pop3Error):
                has_uidl = True
                # decoded at once: the same as UIDL by UIDL (one character per bad byte)
                text = body.decode("ascii", "replace")
                uids = {int(number): uid for number, uid in _SCAN_TEXT_LINE.findall(text)}
        _, status, body = results[0]
        if isinstance(status, Pop3Error):
            raise status
        messages = [Listed(int(number), int(size) if size.isdigit() else 0, uids.get(int(number)))
                    for number, size in _SCAN_LINE.findall(body)]
        return messages, has_uidl

    def top_bytes(self, number: int, lines: int, size_hint: int = 0) -> bytes:
        """``TOP``. ``size_hint`` (the LIST size) is ignored: deadlines never trust it."""
        self._putcmd(f"TOP {number} {lines}")
        self._getresp()
        return self._read_body()

    def headers(self, messages: Sequence[MessageInfo | Listed], *, window: int = HEADER_WINDOW,
                stop: Callable[[], bool] | None = None,
                ) -> Iterator[tuple[int, bytes | Pop3Error]]:
        """Header blocks by ``TOP n 0``, as ``(index, header or -ERR)``, not in order.

        Each reply is read only up to its header's blank line; anything after it means the
        server's TOP ignores the line count (``top_ignores_lines``). To find that out early,
        the first request on a connection is for the smallest message, and the first window
        goes out with it (no round trip spent waiting); once TOP is known to send whole
        messages, the rest go one at a time. A reply's rest up to ``DISCARD_LIMIT`` is read
        and dropped (the replies already in flight too: at most ``DEFAULT_WINDOW`` of them);
        a longer one ends the connection after its header is yielded (``TopCutOff``):
        reconnect for the others. A refused first request (TOP may be missing) sends nothing
        more: the caller decides.

        The window rolls: new requests go out (``HEADER_SEND`` at a time) as replies come in,
        never draining in between, until ``stop()`` says something more urgent waits;
        then nothing more is sent, the replies in flight are read, and the generator ends (the
        caller asks again for the messages it did not get). Whole messages in flight are not
        waited for: the connection is closed instead (``TopCutOff``).
        """
        todo = deque(range(len(messages)))
        if messages and not self._top_probed:
            first = min(todo, key=lambda i: messages[i].size)
            todo.remove(first)
            todo.appendleft(first)
        in_flight: deque[int] = deque()
        pace = self._pace
        pace.most = window
        cut = False
        try:
            while todo or in_flight:
                allowed = (0 if not todo else pace.window() if self.capabilities.pipelining
                           and not self.top_ignores_lines else 1)
                if (in_flight and stop is not None and (todo or self.top_ignores_lines)
                        and stop()):
                    if self.top_ignores_lines and len(in_flight) > 1:
                        raise TopCutOff("Stopped reading whole messages sent for TOP; "
                                        "reconnecting for the rest.")
                    todo.clear()  # drain what is in flight, send nothing more
                threshold = min(HEADER_SEND, max(1, allowed // 2))
                while todo and (room := allowed - len(in_flight)) >= threshold:
                    chunk = [todo.popleft() for _ in range(min(len(todo), room, HEADER_SEND))]
                    commands = [f"TOP {messages[i].number} 0" for i in chunk]
                    for command in commands:
                        self.log.command(command)
                    self._putline(CRLF.join(c.encode(self.encoding) for c in commands))
                    in_flight.extend(chunk)
                    pace.sent()
                index = in_flight.popleft()
                if not self.log.level and (whole := self.file.take_top_reply()) is not None:
                    self._top_probed = True  # the usual reply, already here: no waiting
                    pace.received()
                    yield index, whole
                    continue
                self._awaiting = _Reply(f"TOP {messages[index].number} 0")
                deadline = self._deadline()  # for the status line and the header after it
                try:
                    self._getresp(deadline)
                except ServerError as exc:
                    if not self._top_probed:
                        todo.clear()
                    yield index, exc
                    continue
                head, cut = self._read_head(messages[index], deadline)
                self._top_probed = True
                pace.received()
                yield index, head
                if cut:
                    raise TopCutOff(
                        f"Stopped reading message {messages[index].number} after its header "
                        "(the server sends whole messages for TOP); reconnecting for the rest."
                    )
        finally:
            if cut or in_flight:
                self.close()  # a reply cut off or left unread: the connection is out of step

    def _read_head(self, info: MessageInfo | Listed,
                   deadline: Deadline) -> tuple[bytes, bool]:
        """One ``TOP n 0`` body up to the header's blank line, and whether the connection
        must be closed because the rest is too long to read and drop."""
        try:  # the rest, if read, belongs to the same answer and deadline
            raw, complete = self.file.read_head(deadline, self.max_response)
        except (ConnectionLost, OSError):
            self._raise_if_interrupted()
            raise
        skipped: int | None = 0
        if not complete:
            known_long = self.top_ignores_lines and info.size - len(raw) > DISCARD_LIMIT
            with self._reading():
                skipped = None if known_long else self.file.skip_block(deadline, DISCARD_LIMIT)
            if skipped != 0 and not self.top_ignores_lines:
                self.top_ignores_lines = True
                self.log.note(f"TOP {info.number} 0 sent more than the header: this server's "
                              "TOP ignores the line count")
        head = _unstuff(raw) if self.file.head_dotted else raw
        if self.log.level >= 2:
            for line in body_lines(head):
                self.log.data(line.decode("utf-8", "replace"))
        return head, skipped is None

    def retr_bytes(self, number: int, size_hint: int = 0,
                   progress: Progress | None = None) -> bytes:
        """``RETR``. ``size_hint`` (the LIST size) is ignored: deadlines never trust it."""
        self._putcmd(f"RETR {number}")
        self._getresp()
        return self._read_body(progress)

    def retrieve_stream(
        self, messages: Sequence[tuple[int, int]], *, window: int = RETR_WINDOW,
    ) -> Iterator[tuple[int, Iterator[bytes] | ServerError]]:
        """RETR each ``(number, size)`` in turn, yielding ``(number, pieces)`` where ``pieces``
        iterates the message, un-stuffed, in pieces of whole lines; or ``(number, error)`` for
        a ``-ERR``. Read each message's pieces to the end before asking for the next.

        With PIPELINING, up to ``window`` RETRs are in flight; memory stays bounded however
        big the messages are (TCP flow control holds the server back while a piece is written).
        """
        window = max(1, window if self.capabilities.pipelining else 1)
        sent = 0
        for index, (number, _size) in enumerate(messages):  # sizes set no deadline (Deadline)
            if sent < len(messages) and sent - index <= window // 2:
                batch = messages[sent : min(len(messages), index + window)]
                for queued, _ in batch:
                    self.log.command(f"RETR {queued}")
                self._putline(CRLF.join(f"RETR {queued}".encode() for queued, _ in batch))
                sent += len(batch)
            self._awaiting = _Reply(f"RETR {number}")
            try:
                self._getresp()
            except ServerError as exc:
                yield number, exc
                continue
            body = self._iter_body()
            yield number, body
            for _ in body:  # the caller stopped early: skip the rest, keep in sync
                pass

    def _iter_body(self) -> Iterator[bytes]:
        first = True
        with self._reading():
            for piece in self.file.iter_block(self._deadline(), self.max_response):
                if first and piece.startswith(b".."):
                    piece = piece[1:]
                first = False
                piece = piece.replace(b"\n..", b"\n.")
                if self.log.level >= 2:
                    for line in body_lines(piece):
                        self.log.data(line.decode("utf-8", "replace"))
                yield piece

    def pipeline(
        self, commands: Sequence[str], *, multiline: bool, window: int = DEFAULT_WINDOW,
        on_send: Callable[[int], None] | None = None,
    ) -> Iterator[tuple[int, bytes | Pop3Error, bytes]]:
        """Send commands, yielding ``(index, status-or-error, body)`` in order.

        With PIPELINING (RFC 2449) up to ``window`` commands are in flight; without it they go
        one by one. A ``-ERR`` is yielded as an error object and the batch goes on; a
        connection failure raises. ``on_send`` learns how many commands have been written
        (a commit must know which DELEs a server may have applied when the link breaks).
        """
        if not self.capabilities.pipelining:
            window = 1
        window = max(1, window)
        sent = received = 0
        total = len(commands)
        while received < total:
            if sent < total and sent - received <= window // 2:
                chunk = commands[sent : min(total, received + window)]
                for command in chunk:
                    self.log.command(command)
                sent += len(chunk)
                if on_send is not None:  # before writing: a partial write may reach the server
                    on_send(sent)
                self._putline(CRLF.join(c.encode(self.encoding) for c in chunk))
            self._awaiting = _Reply(commands[received])
            try:
                status: bytes | Pop3Error = self._getresp()
            except ServerError as exc:
                yield received, exc, b""
            else:
                yield received, status, self._read_body() if multiline else b""
            received += 1

    def quit(self) -> bytes:
        """QUIT: the server applies DELEs only when this is acknowledged."""
        try:
            return self._shortcmd("QUIT")
        finally:
            self.close()


_NUMBERED = frozenset({"TOP", "RETR", "LIST", "UIDL", "DELE"})


class _Reply:
    """What the next reply answers (``_describe`` of its command), worded only when a
    sentence needs it: a header fill reads tens of thousands of replies."""

    __slots__ = ("command",)

    def __init__(self, command: str) -> None:
        self.command = command

    def __str__(self) -> str:
        return _describe(self.command)


def _describe(command: str) -> str:
    """What the reply to ``command`` is, in words. Only message numbers are kept from the
    arguments: others can be a user name or a secret (``PASS 123456``)."""
    verb, *args = command.split() or [""]
    verb = verb.upper()
    numbers = " ".join(a for a in args if a.isdigit()) if verb in _NUMBERED else ""
    shown = f"{verb} {numbers}".strip() if verb else "a command"
    if verb == "RETR" and numbers:
        return f"message {numbers} ({shown})"
    if verb == "TOP" and numbers:
        number, *lines = numbers.split()
        kind = "header" if lines == ["0"] else "preview"
        return f"the {kind} of message {number} ({shown})"
    return f"its reply to {shown}"


def check_server(account: Account, *, log: ProtocolLog | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> Capabilities:
    """Connect, read the greeting and capabilities (through STLS when configured) and leave,
    without logging in: a wrong host, port, security or an untrusted certificate is found
    before anyone is asked for a password. Raises the ``Pop3Error`` that stopped it."""
    client = Pop3Client(account, log=log, ssl_context=ssl_context)
    capabilities = client.capabilities
    with contextlib.suppress(Pop3Error, OSError):
        client.quit()
    return capabilities


def body_lines(body: bytes) -> list[bytes]:
    """The lines of a response body, without their CRLF (or bare LF) endings."""
    lines = body.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _unstuff(block: bytes) -> bytes:
    """A dot-stuffed block (RFC 1939) as sent by the server's sender."""
    if block.startswith(b".."):
        block = block[1:]
    return block.replace(b"\n..", b"\n.")


def header_block(data: bytes) -> bytes:
    """The header part of a message (up to the first empty line)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = data.find(sep)
        if end >= 0:
            return data[: end + len(sep)]
    return data
