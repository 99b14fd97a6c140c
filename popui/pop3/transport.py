"""Sockets for POP3: TLS contexts that verify, and a line reader with deadlines and caps.

poplib's reader rejects lines over 2048 bytes and cannot tell a slow drip from a live server;
this reader accepts lines of any length up to a memory cap and watches each response with a
``Deadline``: a rate over a sliding window, never a size the server claims.

A certificate that cannot be verified is refused with its details (``UntrustedCertificate``);
an account that pins one (``tls_fingerprint``) trusts exactly that certificate and refuses any
other (``CertificateChanged``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from popui.pop3.account import Account
from popui.pop3.errors import (
    CertificateChanged,
    ConnectionLost,
    MessageTooLarge,
    ResponseTimeout,
    SecurityMismatch,
    TlsError,
    UntrustedCertificate,
)

_CHUNK = 256 * 1024
#: after a line end: an empty line (group 1), the terminating "." line (group 2), or another
#: line that starts with a dot (no group: dot-stuffed, to be unstuffed)
_HEAD_END = re.compile(rb"\n(?:(\r?\n)|(\.\r?\n)|\.)")
_TERMINATOR = re.compile(rb"\n\.\r?\n")
#: first bytes of an empty line or of the "." line that ends a response
_EMPTY_OR_END = (b"\r", b"\n", b".")
#: OpenSSL's reasons for "the peer did not answer in TLS" (the versions differ in wording)
_NOT_TLS_REASONS = frozenset({
    "WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "RECORD_TOO_LARGE",
})
#: the first bytes of a TLS record: handshake (0x16) or alert (0x15), version 3.x
_TLS_RECORD_STARTS = (b"\x16\x03", b"\x15\x03")
#: how long a probe of the other protocol may take
PROBE_TIMEOUT = 5.0

#: below this many bytes per second over the sliding window, a response is dead
MIN_RATE = 1024


class Deadline:
    """When one response is dead: nothing for ``window`` seconds, or, once data flows, fewer
    than ``min_rate`` bytes per second over the last ``window`` seconds.

    The window is the account's timeout (30 s by default: under 1 KB/s for 30 s is dead). What
    the server claims a message's size is plays no part, so a claim of 10 GB cannot hold the
    session, and an honest big message arriving steadily is never cut off.
    """

    __slots__ = ("_first_data", "_samples", "min_rate", "received", "started", "what", "window")

    def __init__(self, window: float, what: object, min_rate: float = MIN_RATE) -> None:
        self.window = window
        self.what = what
        self.min_rate = min_rate
        self.started = time.monotonic()
        self.received = 0
        self._first_data: float | None = None
        self._samples: deque[tuple[float, int]] = deque()  # (time, received), within a window

    def record(self, count: int) -> None:
        now = time.monotonic()
        if self._first_data is None:
            self._first_data = now
        self.received += count
        self._samples.append((now, self.received))

    def wait(self) -> float:
        """How long the next read may block; raises ``ResponseTimeout`` if it is dead."""
        now = time.monotonic()
        last = self._samples[-1][0] if self._samples else self.started
        idle_left = last + self.window - now
        if idle_left <= 0:
            raise ResponseTimeout(self._describe(now, stalled=True))
        if self._first_data is None or now - self._first_data < self.window:
            return idle_left
        while len(self._samples) > 1 and self._samples[1][0] <= now - self.window:
            self._samples.popleft()
        base = self._samples[0][1] if self._samples[0][0] <= now - self.window else 0
        if self.received - base < self.min_rate * self.window:
            raise ResponseTimeout(self._describe(now, stalled=False))
        # check again soon: the window slides even while nothing arrives
        return min(idle_left, max(self.window / 10, 0.01))

    def _describe(self, now: float, *, stalled: bool) -> str:
        got = f"{_amount(self.received)} in {_duration(now - self.started)}"
        window = _duration(self.window)
        if stalled and not self.received:
            what = f"The server did not start sending {self.what} within {window}."
        elif stalled:
            what = f"The server stopped sending {self.what}: {got}, then nothing for {window}."
        else:
            what = (f"The server was too slow sending {self.what}: {got}, less than "
                    f"{_amount(int(self.min_rate))} a second over the last {window}.")
        return f"{what} The connection was dropped; the account's timeout sets this limit."


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} seconds"
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    return f"{seconds / 60:.0f} minutes"


def _amount(count: int) -> str:
    if count < 1024:
        return f"{count} byte{'s' if count != 1 else ''}"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def normalize_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as 64 upper-case hex digits; colons and spaces are allowed in
    ``text``. ``ValueError`` when it is not one."""
    digits = re.sub(r"[\s:]", "", text).upper()
    if not re.fullmatch(r"[0-9A-F]{64}", digits):
        raise ValueError("must be a SHA-256 fingerprint: 64 hex digits, colons allowed "
                         '(e.g. "AB:CD:…")')
    return digits


def format_fingerprint(digits: str) -> str:
    """``AB:CD:…``, as mutt, mpop and openssl show it."""
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def split_fingerprint(fingerprint: str) -> tuple[str, str]:
    pairs = fingerprint.split(":")
    return ":".join(pairs[:16]), ":".join(pairs[16:])


def certificate_fingerprint(der: bytes) -> str:
    return format_fingerprint(hashlib.sha256(der).hexdigest().upper())


@dataclass(frozen=True)
class CertificateDetails:
    """What a person needs to decide whether to trust a server's certificate."""

    host: str
    port: int
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    sha256: str
    """``AB:CD:…`` (upper-case hex pairs)."""
    problem: str
    """Why it is not trusted ("" when it only failed a pin)."""

    def validity(self, now: datetime) -> str:
        """``2026-01-01 00:00 – 2027-01-01 00:00 UTC`` and, if so, that it is not valid now."""
        span = f"{self.not_before:%Y-%m-%d %H:%M} – {self.not_after:%Y-%m-%d %H:%M} UTC"
        if now > self.not_after:
            return f"{span}  (EXPIRED)"
        if now < self.not_before:
            return f"{span}  (NOT YET VALID)"
        return span

    def fingerprint_lines(self) -> tuple[str, str]:
        """The 32 pairs of the fingerprint as two lines of 16, easy to compare by eye."""
        return split_fingerprint(self.sha256)

    @classmethod
    def from_der(cls, der: bytes, host: str, port: int, problem: str = "") -> CertificateDetails:
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der)
        return cls(
            host=host, port=port,
            subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
            not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
            sha256=certificate_fingerprint(der), problem=problem,
        )


def _pinning_context() -> ssl.SSLContext:
    """For a pinned certificate: the pin is the trust, checked after the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def make_ssl_context(account: Account) -> ssl.SSLContext:
    """A verifying client context: the system store, plus the account's CA file if any.
    With ``tls_fingerprint`` the pin replaces CA verification (``wrap_tls`` checks it)."""
    if account.tls_fingerprint:
        return _pinning_context()
    context = ssl.create_default_context()
    if not account.ca_file:
        return context
    try:
        context.load_verify_locations(cafile=os.path.expanduser(account.ca_file))
        return context
    except (OSError, ssl.SSLError) as exc:
        raise TlsError(f"Cannot load the CA file {account.ca_file!r}: {exc}") from None


def describe_tls_error(exc: BaseException, host: str) -> str:
    """A sentence for a failed handshake, naming the usual causes."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        why, trust = _verify_problem(exc, host)
        return f"Refusing the connection to {host}: {why}. {trust}"
    return f"The TLS handshake with {host} failed: {exc}"


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _verify_problem(exc: ssl.SSLCertVerificationError, host: str) -> tuple[str, str]:
    """Why verification failed, and what would help."""
    reason = (exc.verify_message or str(exc)).rstrip(".")
    trust = ("If you trust this server, set ca_file to its CA certificate in the account's "
             "configuration, or check its fingerprint and accept it (tls_fingerprint).")
    if any(w in reason.lower() for w in ("hostname", "mismatch", "doesn't match")):
        if _is_ip_address(host):
            # OpenSSL matches an IP address only against IP subjectAltNames, never the CN
            why = f"the certificate is not valid for the IP address {host!r}"
            trust = ("To be valid for an IP address a certificate must list it as an IP "
                     "subjectAltName (a common name of that address is not enough): ask the "
                     "server's administrator, or use a host name the certificate names.")
        else:
            why = f"the certificate is not valid for the name {host!r}"
            trust = "Use a host name the certificate names, or ask the server's administrator."
    elif "expired" in reason.lower():
        why = "the server's certificate has expired"
        trust = "The server's administrator must renew it."
    elif "self" in reason.lower() or "unable to get local issuer" in reason.lower():
        why = "the certificate is not signed by a trusted authority (self-signed?)"
    else:
        why = reason
    return why, trust


def plain_port_message(host: str, port: int) -> str:
    return (f"Port {port} of {host} speaks plain POP3, not TLS: use --security starttls "
            '(security = "starttls" in the configuration), or port 995 for tls.')


def tls_port_message(host: str, port: int) -> str:
    return (f"Port {port} of {host} speaks TLS (POP3S), not plain POP3: use --security tls "
            '(security = "tls" in the configuration).')


def looks_like_tls(data: bytes) -> bool:
    """Whether ``data`` starts like a TLS record (what a TLS port answers plain text with)."""
    return data.startswith(_TLS_RECORD_STARTS)


def greets_in_plain(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether a new connection to ``host:port`` gets a plain POP3 greeting (``+OK``)."""
    try:
        with socket.create_connection((host, port), timeout) as sock:
            sock.settimeout(timeout)
            head = b""
            while len(head) < 3:
                data = sock.recv(3 - len(head))
                if not data:
                    break
                head += data
            return head == b"+OK"
    except OSError:
        return False


def speaks_tls(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether ``host:port`` answers a TLS handshake in TLS: a probe on a new connection that
    sends nothing but the handshake (no verification: nothing is trusted or sent over it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout) as sock:
            sock.settimeout(timeout)
            with context.wrap_socket(sock, server_hostname=host):
                return True
    except ssl.SSLError as exc:
        return "ALERT" in (exc.reason or "")  # it refused us, in TLS
    except OSError:
        return False


def wrap_tls(
    sock: socket.socket, context: ssl.SSLContext, host: str, *, implicit: bool = False,
    pin: str | None = None,
) -> ssl.SSLSocket:
    """The TLS handshake on ``sock``. ``implicit``: the port is meant to speak TLS from the first
    byte (POP3S), so a plain answer means the account names the wrong port or security.
    ``pin``: the SHA-256 fingerprint of the one certificate trusted (CA verification is off, the
    pin is checked here); any other certificate is refused with ``CertificateChanged``."""
    port = _peer_port(sock)
    if pin:
        context = _pinning_context()
    try:
        tls = context.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        why, _ = _verify_problem(exc, host)
        raise UntrustedCertificate(describe_tls_error(exc, host), why) from None
    except (ssl.SSLError, ssl.CertificateError) as exc:
        sock.close()
        reason = getattr(exc, "reason", None) or ""
        if implicit and port is not None and reason in _NOT_TLS_REASONS:
            if greets_in_plain(host, port):
                raise SecurityMismatch(plain_port_message(host, port)) from None
            raise SecurityMismatch(
                f"Port {port} of {host} does not answer in TLS: check the port, or use "
                "--security starttls for a plain POP3 port."
            ) from None
        raise TlsError(describe_tls_error(exc, host)) from None
    except OSError as exc:
        sock.close()
        raise ConnectionLost(f"The connection to {host} failed during the TLS handshake: "
                             f"{exc}") from None
    if pin:
        _check_pin(tls, host, port or 0, pin)
    return tls


def _check_pin(tls: ssl.SSLSocket, host: str, port: int, pin: str) -> None:
    der = tls.getpeercert(binary_form=True) or b""
    try:
        pinned = normalize_fingerprint(pin)
    except ValueError:
        pinned = pin
    if der and hashlib.sha256(der).hexdigest().upper() == pinned:
        return
    tls.close()
    if not der:
        raise TlsError(f"{host} presented no certificate; refusing the connection.")
    details = CertificateDetails.from_der(der, host, port)
    raise CertificateChanged(
        f"The certificate of {host} CHANGED since you accepted it: pinned SHA-256 "
        f"{format_fingerprint(pinned)}, now {details.sha256}. This can be an attack on the "
        "connection, so popui refuses it. If the server's administrator confirms a new "
        "certificate, remove tls_fingerprint from the account's configuration and connect "
        "again to review it.",
        details, format_fingerprint(pinned),
    )


def fetch_certificate(host: str, port: int, *, starttls: bool, timeout: float) -> bytes:
    """The server's certificate (DER), from a connection that only shakes hands and leaves:
    a failed verification does not reveal the certificate, and a person must see it to decide.
    Nothing but ``STLS`` (for ``starttls``) is sent, and nothing received is trusted."""
    with socket.create_connection((host, port), timeout) as sock:
        if starttls:
            reader = LineReader(sock, timeout)
            if not reader.readline(Deadline(timeout, "its greeting"), 4096).startswith(b"+OK"):
                raise ConnectionLost(f"{host} sent no POP3 greeting.")
            sock.sendall(b"STLS\r\n")
            if not reader.readline(Deadline(timeout, "the answer to STLS"),
                                   4096).startswith(b"+OK"):
                raise ConnectionLost(f"{host} refused STLS.")
        sock.settimeout(timeout)
        with _pinning_context().wrap_socket(sock, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True) or b""


def _peer_port(sock: socket.socket) -> int | None:
    try:
        return int(sock.getpeername()[1])
    except (OSError, IndexError, TypeError, ValueError):
        return None


class LineReader:
    """Buffered line reading from a socket, with a per-call deadline and a length cap."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.timeout = timeout
        self._buf = bytearray()
        self._pos = 0
        self.head = b""
        """The first bytes received on this reader (to recognise a TLS record in a greeting)."""
        self.head_dotted = False
        """Whether a line of what `read_head` returned last starts with a dot: only then can
        it be dot-stuffed (a header block rarely is; unstuffing costs a pass over it)."""

    def readline(self, deadline: Deadline | None, limit: int) -> bytes:
        """One line including its line end. Raises on timeout, close, or a line over ``limit``."""
        while True:
            end = self._buf.find(b"\n", self._pos)
            if end >= 0:
                line = bytes(self._buf[self._pos : end + 1])
                self._pos = end + 1
                return line
            if len(self._buf) - self._pos > limit:
                raise MessageTooLarge(
                    f"The server sent a line longer than {limit} bytes; the connection was "
                    "dropped to protect memory."
                )
            self._fill(deadline)

    def read_block(self, deadline: Deadline | None, limit: int,
                   progress: Callable[[int], None] | None = None) -> bytes:
        """The body of a multi-line response, still dot-stuffed, without its ``.`` line.

        Searches the buffer for the terminator instead of splitting lines: reading a big
        pipelined batch costs little more than receiving its bytes.
        """
        scan = 0  # offset from self._pos already searched
        next_report = 65536
        while True:
            buf, start = self._buf, self._pos
            if buf.startswith(b".\r\n", start) or buf.startswith(b".\n", start):
                self._pos = start + (3 if buf[start + 1] == 13 else 2)
                return b""
            i = buf.find(b"\n.", start + scan)
            while i >= 0:
                after = buf[i + 2 : i + 4]
                if after[:1] == b"\n" or after == b"\r\n":
                    self._pos = i + 2 + len(after if after == b"\r\n" else b"\n")
                    return bytes(buf[start : i + 1])
                if len(after) < 2 and after != b".":
                    break  # the rest of this line has not arrived yet
                i = buf.find(b"\n.", i + 1)
            scan = max(0, (i if i >= 0 else len(buf) - 1) - start)
            if len(buf) - start > limit:
                raise MessageTooLarge(
                    f"The server's answer exceeded {limit // (1024 * 1024)} MB "
                    "(max_message_size); the connection was dropped to protect memory."
                )
            if progress is not None and len(buf) - start >= next_report:
                progress(len(buf) - start)
                next_report = len(buf) - start + 65536
            self._fill(deadline)

    def iter_block(self, deadline: Deadline | None, line_limit: int,
                   piece: int = _CHUNK) -> Iterator[bytes]:
        """The body of a multi-line response in pieces of whole lines (still dot-stuffed),
        without its ``.`` line. Memory stays near ``piece`` plus one receive, whatever the
        size of the body; only a single line longer than ``line_limit`` is refused."""
        while True:
            buf, start = self._buf, self._pos
            if buf.startswith(b".\r\n", start) or buf.startswith(b".\n", start):
                self._pos = start + (3 if buf[start + 1] == 13 else 2)
                return
            i = buf.find(b"\n.", start)
            while i >= 0:
                after = buf[i + 2 : i + 4]
                if after[:1] == b"\n" or after == b"\r\n":
                    self._pos = i + 2 + len(after if after == b"\r\n" else b"\n")
                    yield bytes(buf[start : i + 1])
                    return
                if len(after) < 2 and after != b".":
                    break  # the rest of this line has not arrived yet
                i = buf.find(b"\n.", i + 1)
            end = buf.rfind(b"\n", start)  # lines up to here are complete, none is the end
            if end >= 0 and end + 1 - start >= piece:
                self._pos = end + 1
                yield bytes(buf[start : end + 1])
                continue
            if len(buf) - (end + 1 if end >= start else start) > line_limit:
                raise MessageTooLarge(
                    f"The server sent a line longer than {line_limit} bytes; the connection "
                    "was dropped to protect memory."
                )
            self._fill(deadline)

    def take_top_reply(self) -> bytes | None:
        """The usual ``TOP n 0`` reply, when it is here in full: a ``+OK`` line, a header with no
        line starting with a dot, its empty line and the ``.`` line. Returns the header with its
        empty line, all of it consumed: what its status line and `read_head` would give, with
        less work per reply of a fill. None, consuming nothing, for anything else."""
        buf, pos = self._buf, self._pos
        if not buf.startswith(b"+OK", pos):
            return None
        start = buf.find(b"\n", pos + 3) + 1
        if start == 0 or buf[start : start + 1] in _EMPTY_OR_END:
            return None
        m = _HEAD_END.search(buf, start)
        if m is None or m.lastindex != 1:  # not here yet, a dotted line, or no empty line
            return None
        end = m.end()
        for terminator in (b".\r\n", b".\n"):
            if buf.startswith(terminator, end):
                self._pos = end + len(terminator)
                self.head_dotted = False
                return bytes(buf[start:end])
        return None

    def read_head(self, deadline: Deadline | None, limit: int) -> tuple[bytes, bool]:
        """The start of a multi-line response up to and including its first empty line (a
        message's header and the blank line after it), still dot-stuffed.

        Returns ``(head, complete)``: ``complete`` when the response ended first (its ``.``
        line is consumed); otherwise the reader stands at the first line after the empty one.
        Sets `head_dotted`.
        """
        scan = 0  # offset from self._pos already searched
        self.head_dotted = dotted = False
        while True:
            buf, start = self._buf, self._pos
            if buf[start : start + 1] in _EMPTY_OR_END:  # (a header's first byte is neither)
                for line, complete in ((b"\r\n", False), (b"\n", False), (b".\r\n", True),
                                       (b".\n", True)):
                    if buf.startswith(line, start):  # an empty first line, or nothing at all
                        self._pos = start + len(line)
                        return (b"" if complete else line), complete
            m = _HEAD_END.search(buf, start + scan)
            while m is not None and m.lastindex is None and m.end() + 2 <= len(buf):
                dotted = True  # a line starting with a dot, and it is not the "." line
                m = _HEAD_END.search(buf, m.end())
            if m is not None and m.lastindex is not None:
                self.head_dotted = dotted or buf[start] == 0x2E
                end = self._pos = m.end()
                if m.group(1) is None:
                    return bytes(buf[start : m.start() + 1]), True
                head = bytes(buf[start:end])
                # The usual TOP n 0 answer: the "." line follows at once (when it is already
                # here, it is consumed now rather than by a `skip_block` of nothing).
                for terminator in (b".\r\n", b".\n"):
                    if buf.startswith(terminator, end):
                        self._pos = end + len(terminator)
                        return head, True
                return head, False
            scan = max(0, len(buf) - start - 3)  # a match may straddle what arrives next
            if len(buf) - start > limit:
                raise MessageTooLarge(
                    f"The server's answer exceeded {limit // (1024 * 1024)} MB "
                    "(max_message_size); the connection was dropped to protect memory."
                )
            self._fill(deadline)

    def skip_block(self, deadline: Deadline | None, budget: int) -> int | None:
        """Read and drop the rest of a multi-line response, from a line start through its
        ``.`` line, holding at most one chunk in memory. Returns the octets dropped, or None
        once more than ``budget`` would be (the reader is then mid-response: close it)."""
        skipped = 0
        at_block_start = True  # only there can the "." line lack a line end before it
        while True:
            buf, start = self._buf, self._pos
            if at_block_start:
                if buf.startswith(b".\r\n", start) or buf.startswith(b".\n", start):
                    self._pos = start + (3 if buf[start + 1] == 13 else 2)
                    return skipped
                if len(buf) - start < 3 and buf[start:].strip(b".\r") == b"":
                    self._fill(deadline)  # ".", ".\r" or nothing yet: undecided
                    continue
                at_block_start = False
            m = _TERMINATOR.search(buf, start)
            if m is not None:
                self._pos = m.end()
                return skipped + m.start() + 1 - start
            keep = max(start, len(buf) - 3)  # "\n", "\n." or "\n.\r" may go on
            skipped += keep - start
            self._pos = keep
            if skipped > budget:
                return None
            self._fill(deadline)

    def _fill(self, deadline: Deadline | None) -> None:
        wait = self.timeout if deadline is None else deadline.wait()
        try:
            self.sock.settimeout(wait)
            data = self.sock.recv(_CHUNK)
        except TimeoutError:
            if deadline is None:
                raise ResponseTimeout(
                    f"The server sent nothing for {_duration(wait)}; the connection was dropped."
                ) from None
            return  # the deadline decides, on the next call
        except OSError as exc:
            raise ConnectionLost(f"The connection was lost: {exc}") from None
        if not data:
            raise ConnectionLost("The server closed the connection.")
        if deadline is not None:
            deadline.record(len(data))
        if len(self.head) < 8:
            self.head += data[: 8 - len(self.head)]
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def discard_buffer(self) -> None:
        """Drop anything already received (before a TLS handshake: no injected plaintext)."""
        self._buf.clear()
        self._pos = 0

    def close(self) -> None:
        self.discard_buffer()
