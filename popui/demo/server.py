"""A small threaded POP3 server (RFC 1939, 2449, 5034) serving an in-memory mailbox.

It backs ``popui --demo`` and, subclassed, the fault-injection server of the tests. Every command
is a ``handle_<VERB>(session, args)`` method and every byte sent goes through ``send``, so a
subclass can change one command, drop the connection mid-response or drip bytes slowly by
overriding one method. Raise ``Hangup`` from any hook to drop the connection at once.

    with Pop3Server(Mailbox([("uid-1", b"Subject: hi\\r\\n\\r\\nbody\\r\\n")])) as server:
        poplib.POP3(server.host, server.port)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

AUTHORIZATION = "AUTHORIZATION"
TRANSACTION = "TRANSACTION"
UPDATE = "UPDATE"


class Hangup(Exception):
    """Raised by a hook to close the connection without another byte."""


@dataclass(eq=False)
class StoredMessage:
    """One message of a mailbox; ``data`` has CRLF line endings, so ``len(data)`` is its size."""

    uid: str
    data: bytes


def to_crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class Mailbox:
    """A thread-safe list of messages plus the maildrop lock (one session at a time)."""

    def __init__(self, messages: Iterable[tuple[str, bytes]] = ()) -> None:
        self._lock = threading.Lock()
        self._messages = [StoredMessage(uid, to_crlf(data)) for uid, data in messages]
        self._locked = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

    def add(self, uid: str, data: bytes) -> None:
        with self._lock:
            self._messages.append(StoredMessage(uid, to_crlf(data)))

    def snapshot(self) -> list[StoredMessage]:
        with self._lock:
            return list(self._messages)

    def uids(self) -> list[str]:
        with self._lock:
            return [m.uid for m in self._messages]

    def remove(self, messages: Iterable[StoredMessage]) -> None:
        """Remove these exact entries (identity, so duplicate UIDs are harmless)."""
        gone = {id(m) for m in messages}
        with self._lock:
            self._messages = [m for m in self._messages if id(m) not in gone]

    def try_lock(self) -> bool:
        with self._lock:
            if self._locked:
                return False
            self._locked = True
            return True

    def unlock(self) -> None:
        with self._lock:
            self._locked = False


@dataclass(eq=False)
class Session:
    """Server-side state of one connection."""

    id: int
    sock: socket.socket
    timestamp: str
    state: str = AUTHORIZATION
    command: str = ""  # verb being handled, "" while greeting
    user: str | None = None  # name given by USER, awaiting PASS
    messages: list[StoredMessage] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)  # 1-based message numbers
    locked: bool = False
    done: bool = False
    closed: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._reader = self.sock.makefile("rb")

    def readline(self, limit: int = 8192) -> str | None:
        """The next client line without its line ending; None when the client has gone."""
        raw = self._reader.readline(limit + 1)
        if not raw:
            return None
        if len(raw) > limit:
            raise Hangup  # a line this long is not POP3
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    def live(self) -> list[tuple[int, StoredMessage]]:
        """(number, message) pairs not marked deleted."""
        return [(n, m) for n, m in enumerate(self.messages, 1) if n not in self.deleted]

    def close(self) -> None:
        self.closed.set()
        self._reader.close()  # the socket's fd stays open while its file object is
        self.sock.close()

    def shutdown(self) -> None:
        """Wake the session thread (it closes the socket itself)."""
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


def dot_stuff(data: bytes) -> bytes:
    """CRLF data as a multi-line response body: leading dots doubled, terminator added."""
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    data = data.replace(b"\r\n.", b"\r\n..")
    if data.startswith(b"."):
        data = b"." + data
    return data + b".\r\n"


def top_of(data: bytes, lines: int) -> bytes:
    """The header, the blank line and the first ``lines`` lines of the body."""
    if data.startswith(b"\r\n"):
        split = 2
    else:
        blank = data.find(b"\r\n\r\n")
        if blank < 0:
            return data
        split = blank + 4
    end = split
    for _ in range(lines):
        nl = data.find(b"\r\n", end)
        if nl < 0:
            return data
        end = nl + 2
    return data[:end]


class Pop3Server:
    """A threaded POP3 server on ``host`` (loopback by default) and a free port."""

    AUTHORIZATION_COMMANDS = frozenset({"CAPA", "USER", "PASS", "APOP", "AUTH", "QUIT"})
    TRANSACTION_COMMANDS = frozenset(
        {"CAPA", "STAT", "LIST", "UIDL", "TOP", "RETR", "DELE", "RSET", "NOOP", "QUIT"}
    )

    def __init__(
        self,
        mailbox: Mailbox | None = None,
        *,
        user: str = "demo",
        password: str = "demo",
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout: float = 600.0,
    ) -> None:
        self.mailbox = mailbox if mailbox is not None else Mailbox()
        self.user = user
        self.password = password
        self.idle_timeout = idle_timeout
        self._address = (host, port)
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None  # stop() wakes accept
        self._accept_thread: threading.Thread | None = None
        self._sessions: dict[Session, threading.Thread] = {}
        self._sessions_lock = threading.Lock()
        self._next_id = 0

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._address[0]

    @property
    def port(self) -> int:
        return self._address[1]

    def start(self) -> Pop3Server:
        """Bind and listen; connections are accepted as soon as this returns."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._listener = socket.create_server(self._address, family=family)
        self._address = self._listener.getsockname()[:2]
        self._wake = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"pop3-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, drop every connection and wait for the session threads."""
        if self._accept_thread is None or self._wake is None:
            return
        self._wake[1].send(b"x")
        self._accept_thread.join(timeout)
        self._accept_thread = None
        with self._sessions_lock:
            sessions = dict(self._sessions)
        for session in sessions:
            session.shutdown()
        for thread in sessions.values():
            thread.join(timeout)
        for sock in self._wake:
            sock.close()
        self._wake = None

    def __enter__(self) -> Pop3Server:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake is not None
        wake = self._wake[0]
        with self._listener as listener:
            while True:
                readable, _, _ = select.select([listener, wake], [], [])
                if wake in readable:
                    return
                try:
                    sock, _ = listener.accept()
                except OSError:
                    continue
                self._next_id += 1
                stamp = f"<{os.getpid()}.{time.time_ns()}@popui.demo>"
                session = Session(self._next_id, sock, stamp)
                thread = threading.Thread(
                    target=self._serve, args=(session,), name=f"pop3-session-{session.id}",
                    daemon=True,
                )
                with self._sessions_lock:
                    self._sessions[session] = thread
                thread.start()

    def _serve(self, session: Session) -> None:
        session.sock.settimeout(self.idle_timeout)
        try:
            self.send(session, f"{self.greeting(session)}\r\n".encode())
            while not session.done:
                line = session.readline()
                if line is None:
                    break
                self.dispatch(session, line)
        except (Hangup, OSError):
            pass
        finally:
            try:
                self.end_session(session)
            finally:
                session.close()
                with self._sessions_lock:
                    self._sessions.pop(session, None)

    # -- hooks -----------------------------------------------------------------------------

    def greeting(self, session: Session) -> str:
        return f"+OK popui demo POP3 server ready {session.timestamp}"

    def capabilities(self, session: Session) -> list[str]:
        return [
            "TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE", "SASL PLAIN",
            "IMPLEMENTATION popui-demo",
        ]

    def send(self, session: Session, data: bytes) -> None:
        """Every byte to the client goes through here."""
        session.sock.sendall(data)

    def size(self, session: Session, n: int, message: StoredMessage) -> int:
        """The size LIST and STAT report for message ``n``."""
        return len(message.data)

    def uid(self, session: Session, n: int, message: StoredMessage) -> str:
        """The unique id UIDL reports for message ``n``."""
        return message.uid

    def dispatch(self, session: Session, line: str) -> None:
        verb, _, args = line.partition(" ")
        verb = verb.upper()
        session.command = verb
        allowed = (
            self.AUTHORIZATION_COMMANDS if session.state == AUTHORIZATION
            else self.TRANSACTION_COMMANDS
        )
        named = verb.isascii() and verb.isalpha()
        handler = getattr(self, f"handle_{verb}", None) if named else None
        if handler is None:
            self.err(session, "unknown command")
        elif verb not in allowed:
            self.err(session, f"{verb} is not valid in the {session.state} state")
        else:
            handler(session, args)

    def open_maildrop(self, session: Session) -> None:
        """Credentials checked out: lock the maildrop and enter the TRANSACTION state."""
        if not self.mailbox.try_lock():
            self.err(session, "[IN-USE] mailbox is locked by another session")
            return
        session.locked = True
        session.messages = self.mailbox.snapshot()
        session.state = TRANSACTION
        count, size = self._totals(session)
        self.ok(session, f"maildrop has {count} messages ({size} octets)")

    def commit(self, session: Session) -> None:
        """The UPDATE state: remove the messages marked deleted."""
        session.state = UPDATE
        self.mailbox.remove(session.messages[n - 1] for n in session.deleted)

    def release(self, session: Session) -> None:
        """Release the maildrop lock if this session holds it."""
        if session.locked:
            session.locked = False
            self.mailbox.unlock()

    def end_session(self, session: Session) -> None:
        """The connection is over, with or without QUIT."""
        self.release(session)

    # -- replies ---------------------------------------------------------------------------

    def ok(self, session: Session, text: str = "") -> None:
        self.send(session, f"+OK {text}\r\n".encode() if text else b"+OK\r\n")

    def err(self, session: Session, text: str) -> None:
        self.send(session, f"-ERR {text}\r\n".encode())

    def multiline(self, session: Session, status: str, body: bytes) -> None:
        """``+OK status`` and a dot-stuffed body in one send."""
        self.send(session, f"+OK {status}\r\n".encode() + dot_stuff(body))

    def listing(self, session: Session, status: str, lines: Iterable[str]) -> None:
        self.multiline(session, status, "".join(f"{line}\r\n" for line in lines).encode())

    # -- AUTHORIZATION ---------------------------------------------------------------------

    def handle_CAPA(self, session: Session, args: str) -> None:
        self.listing(session, "capability list follows", self.capabilities(session))

    def handle_USER(self, session: Session, args: str) -> None:
        session.user = args
        self.ok(session, "send PASS")  # the same for unknown users: no enumeration

    def handle_PASS(self, session: Session, args: str) -> None:
        user, session.user = session.user, None
        if user is None:
            self.err(session, "USER first")
        else:
            self._login(session, user == self.user and _same(args, self.password))

    def handle_APOP(self, session: Session, args: str) -> None:
        name, _, digest = args.partition(" ")
        expected = hashlib.md5((session.timestamp + self.password).encode()).hexdigest()
        self._login(session, name == self.user and _same(digest.strip().lower(), expected))

    def handle_AUTH(self, session: Session, args: str) -> None:
        mechanism, _, initial = args.partition(" ")
        if not mechanism:
            self.listing(session, "SASL mechanisms follow", ["PLAIN"])
            return
        if mechanism.upper() != "PLAIN":
            self.err(session, "unsupported SASL mechanism")
            return
        if not initial:
            self.send(session, b"+ \r\n")
            initial = session.readline() or "*"
        if initial.strip() == "*":
            self.err(session, "authentication cancelled")
            return
        try:
            decoded = b"" if initial.strip() == "=" else base64.b64decode(initial, validate=True)
            authzid, authcid, password = decoded.decode().split("\0")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            self.err(session, "[AUTH] malformed PLAIN response")
            return
        self._login(
            session,
            authcid == self.user and authzid in ("", self.user) and _same(password, self.password),
        )

    def _login(self, session: Session, valid: bool) -> None:
        if valid:
            self.open_maildrop(session)
        else:
            self.err(session, "[AUTH] invalid user name or password")

    # -- TRANSACTION -----------------------------------------------------------------------

    def handle_STAT(self, session: Session, args: str) -> None:
        count, size = self._totals(session)
        self.ok(session, f"{count} {size}")

    def handle_LIST(self, session: Session, args: str) -> None:
        self._scan(session, args, lambda n, m: f"{n} {self.size(session, n, m)}")

    def handle_UIDL(self, session: Session, args: str) -> None:
        self._scan(session, args, lambda n, m: f"{n} {self.uid(session, n, m)}")

    def handle_TOP(self, session: Session, args: str) -> None:
        number, _, lines = args.partition(" ")
        message = self.find_message(session, number)
        if message is None:
            return
        count = _number(lines)
        if count is None:
            self.err(session, "TOP needs a message number and a line count")
            return
        self.multiline(session, "top of message follows", top_of(message.data, count))

    def handle_RETR(self, session: Session, args: str) -> None:
        message = self.find_message(session, args)
        if message is not None:
            self.multiline(session, f"{len(message.data)} octets", message.data)

    def handle_DELE(self, session: Session, args: str) -> None:
        if self.find_message(session, args) is not None:
            session.deleted.add(int(args))
            self.ok(session, f"message {int(args)} deleted")

    def handle_RSET(self, session: Session, args: str) -> None:
        session.deleted.clear()
        count, size = self._totals(session)
        self.ok(session, f"maildrop has {count} messages ({size} octets)")

    def handle_NOOP(self, session: Session, args: str) -> None:
        self.ok(session)

    def handle_QUIT(self, session: Session, args: str) -> None:
        session.done = True
        if session.state == TRANSACTION:
            self.commit(session)
            self.release(session)  # before the reply: the client may log in again at once
            self.ok(session, f"popui demo signing off ({len(session.deleted)} messages deleted)")
        else:
            self.ok(session, "popui demo signing off")

    # -- helpers ---------------------------------------------------------------------------

    def _totals(self, session: Session) -> tuple[int, int]:
        live = session.live()
        return len(live), sum(self.size(session, n, m) for n, m in live)

    def find_message(self, session: Session, arg: str) -> StoredMessage | None:
        """The live message numbered ``arg``, or None after replying -ERR."""
        n = _number(arg) or 0
        if not 1 <= n <= len(session.messages):
            self.err(session, "no such message")
            return None
        if n in session.deleted:
            self.err(session, f"message {n} already deleted")
            return None
        return session.messages[n - 1]

    def _scan(
        self, session: Session, args: str, line: Callable[[int, StoredMessage], str]
    ) -> None:
        if args.strip():
            message = self.find_message(session, args)
            if message is not None:
                self.ok(session, line(int(args), message))
            return
        live = session.live()
        self.listing(session, f"{len(live)} messages", (line(n, m) for n, m in live))


def _number(text: str) -> int | None:
    """A command argument as a number: ASCII digits only, and few enough for ``int()``."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
