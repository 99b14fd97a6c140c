"""A POP3 server that misbehaves on purpose, for what Dovecot won't do.

It is the demo server (`popui.demo.server.Pop3Server`) with named faults mixed in:

    with fault_server(["no-top", "slow-drip"], drip_delay=0.002) as server:
        client = poplib.POP3(server.host, server.port, timeout=5)
        client.user(USER); client.pass_(PASSWORD)
        ...
        client.close()
        server.wait_sessions(1)      # the server has seen the session end (no sleeps)
        server.commands              # [(session id, "USER tester"), (1, "PASS <redacted>"), ...]
        server.deleted               # UIDs removed from the mailbox, in order
        server.mailbox.uids()        # what is left

Faults (combine freely; see FAULTS for one line on each):

- capabilities: ``no-capa``, ``no-top``, ``top-ignores-lines``, ``no-uidl``
- ``courier-utf8``: Courier's RFC 6856 behaviour (a notice instead of messages with raw UTF-8
  headers unless ``UTF8`` was sent; RETR then sends more than LIST said)
- login answers: ``in-use``, ``login-delay``, ``sys-temp``, ``sys-perm``
- deletion semantics: ``dele-immediate``, ``commit-on-disconnect`` (QPOP-like),
  ``drop-before-quit-reply``
- listings: ``huge-list`` (message 1 claims ``huge_size``), ``duplicate-uidl``, ``uidl-changes``
- transport, on the responses to the ``targets`` commands (default RETR and TOP; "GREETING" means
  the greeting): ``drop-mid-response`` (after ``drop_after`` bytes), ``endless-line``,
  ``endless-multiline``, ``slow-drip`` (``drip_chunk`` bytes, default 1, per ``drip_delay`` s),
  ``missing-terminator``, ``garbage-reply``, ``held`` (until ``server.released`` is set),
  ``drop-at-nth`` (the ``drop_at``-th targeted command
  takes effect, then the connection drops before its reply); and ``garbage-greeting``.

Endless responses are generated lazily and stop when the client goes away or the server stops.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from popui.demo.server import Hangup, Mailbox, Pop3Server, Session, StoredMessage, top_of
from popui.pop3.protocol_log import redact_command

USER = "tester"
PASSWORD = "s3cret"
GARBAGE = b"\x00\xfeHTTP/1.1 400 Bad Request \x1b[31m[red]\r\n"
GARBAGE_GREETING = b"220 mail.example.com ESMTP Postfix\r\n"


def make_message(n: int, body_lines: int = 5) -> bytes:
    body = "".join(f"body line {i} of message {n}\r\n" for i in range(1, body_lines + 1))
    return (
        f"From: Sender {n} <sender{n}@example.com>\r\nTo: {USER}@example.com\r\n"
        f"Subject: message {n}\r\nMessage-ID: <{n}@fault.example>\r\n\r\n{body}"
        ".a line that starts with a dot\r\n"
    ).encode()


def default_messages(count: int = 3) -> list[tuple[str, bytes]]:
    return [(f"uid-{n}", make_message(n)) for n in range(1, count + 1)]


class RecordingMailbox(Mailbox):
    """A mailbox that remembers which UIDs were removed, in order."""

    def __init__(self, messages: Iterable[tuple[str, bytes]] = ()) -> None:
        super().__init__(messages)
        self.deleted: list[str] = []

    def remove(self, messages: Iterable[StoredMessage]) -> None:
        present = {id(m) for m in self.snapshot()}
        messages = [m for m in messages if id(m) in present]
        self.deleted.extend(m.uid for m in messages)
        super().remove(messages)


class FaultServer(Pop3Server):
    """The demo server plus a command log and a way to wait for sessions to end."""

    mailbox: RecordingMailbox

    def __init__(
        self,
        messages: Iterable[tuple[str, bytes]] | None = None,
        *,
        user: str = USER,
        password: str = PASSWORD,
        targets: Iterable[str] = ("RETR", "TOP"),
        drop_after: int = 64,
        drip_delay: float = 0.002,
        drip_chunk: int = 1,
        huge_size: int = 10 * 1024**3,
        drop_at: int = 1,
    ) -> None:
        mailbox = RecordingMailbox(default_messages() if messages is None else messages)
        super().__init__(mailbox, user=user, password=password)
        self.targets = frozenset(t.upper() for t in targets)
        self.drop_after = drop_after
        self.drip_delay = drip_delay
        self.drip_chunk = drip_chunk
        self.huge_size = huge_size
        self.drop_at = drop_at
        self.targeted_count: dict[int, int] = {}
        self.released = threading.Event()
        """``held``: targeted responses wait for this."""
        self.commands: list[tuple[int, str]] = []
        self.ended: list[Session] = []
        self._ended_changed = threading.Condition()

    @property
    def deleted(self) -> list[str]:
        return list(self.mailbox.deleted)

    def verbs(self) -> list[str]:
        """The command verbs received so far, in order."""
        return [line.split(" ", 1)[0].upper() for _, line in self.commands]

    def wait_sessions(self, count: int, timeout: float = 5.0) -> None:
        """Block until ``count`` sessions have ended (fails the test after ``timeout``)."""
        with self._ended_changed:
            if not self._ended_changed.wait_for(lambda: len(self.ended) >= count, timeout):
                raise AssertionError(f"{len(self.ended)} of {count} sessions ended in {timeout}s")

    def targeted(self, session: Session) -> bool:
        return (session.command or "GREETING") in self.targets

    def dispatch(self, session: Session, line: str) -> None:
        self.commands.append((session.id, redact_command(line)))
        super().dispatch(session, line)

    def end_session(self, session: Session) -> None:
        try:
            super().end_session(session)
        finally:
            with self._ended_changed:
                self.ended.append(session)
                self._ended_changed.notify_all()


# -- capabilities ----------------------------------------------------------------------------


class NoCapa(FaultServer):
    def handle_CAPA(self, session: Session, args: str) -> None:
        self.err(session, "unknown command")


class NoTop(FaultServer):
    def capabilities(self, session: Session) -> list[str]:
        return [c for c in super().capabilities(session) if c != "TOP"]

    def handle_TOP(self, session: Session, args: str) -> None:
        self.err(session, "unknown command")


class TopIgnoresLines(FaultServer):
    def handle_TOP(self, session: Session, args: str) -> None:
        number = args.partition(" ")[0]
        message = self.find_message(session, number)
        if message is not None:
            self.multiline(session, "top of message follows", message.data)


class NoUidl(FaultServer):
    def capabilities(self, session: Session) -> list[str]:
        return [c for c in super().capabilities(session) if c != "UIDL"]

    def handle_UIDL(self, session: Session, args: str) -> None:
        self.err(session, "unknown command")


# -- Courier's UTF8 (RFC 6856) ---------------------------------------------------------------

COURIER_NOTICE = (
    b"From: Mail Delivery Subsystem <postmaster>\r\n"
    b"Subject: Cannot display Unicode content\r\n"
    b"Mime-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="=_courier"\r\n'
    b"\r\n\r\n\r\n--=_courier\r\n"
    b"Content-Type: text/plain\r\n\r\n"
    b"This E-mail message was determined to be Unicode-formatted\r\n"
    b"but your E-mail reader does not support Unicode E-mail.\r\n\r\n"
    b"--=_courier\r\n"
    b"Content-Type: message/global\r\n\r\n"
)


def has_8bit_header(data: bytes) -> bool:
    end = data.find(b"\r\n\r\n")
    return any(b > 0x7F for b in data[: end if end >= 0 else len(data)])


class CourierUtf8(FaultServer):
    """Courier with ENABLE_UTF8_COMPLIANCE: offers ``UTF8 USER`` and, in a session that has not
    sent ``UTF8`` (before or after login, both work on Courier), sends a message whose header
    has raw UTF-8 as a notice wrapping the original; LIST and STAT still give the original
    size, so RETR sends more than LIST said. ``list_shortfall`` makes LIST understate every
    message by that many octets, wrapped or not."""

    list_shortfall = 0

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.utf8_sessions: set[int] = set()

    def capabilities(self, session: Session) -> list[str]:
        return [*super().capabilities(session), "UTF8 USER"]

    def dispatch(self, session: Session, line: str) -> None:
        if line.strip().upper() != "UTF8":  # the demo server takes only letters as verbs
            return super().dispatch(session, line)
        self.commands.append((session.id, "UTF8"))
        session.command = "UTF8"
        self.utf8_sessions.add(session.id)
        self.ok(session, "UTF8 enabled")

    def served(self, session: Session, message: StoredMessage) -> bytes:
        """What RETR and TOP send for ``message`` in this session."""
        if session.id in self.utf8_sessions or not has_8bit_header(message.data):
            return message.data
        return COURIER_NOTICE + message.data + b"\r\n--=_courier--\r\n"

    def size(self, session: Session, n: int, message: StoredMessage) -> int:
        return max(0, super().size(session, n, message) - self.list_shortfall)

    def handle_RETR(self, session: Session, args: str) -> None:
        message = self.find_message(session, args)
        if message is not None:
            data = self.served(session, message)
            self.multiline(session, f"{len(data)} octets follow.", data)

    def handle_TOP(self, session: Session, args: str) -> None:
        number, _, lines = args.partition(" ")
        message = self.find_message(session, number)
        if message is not None:
            count = int(lines) if lines.strip().isdigit() else 0
            self.multiline(session, "headers follow.", top_of(self.served(session, message),
                                                              count))


# -- login -----------------------------------------------------------------------------------


def _refusing_login(reply: str) -> type[FaultServer]:
    class RefusingLogin(FaultServer):
        def open_maildrop(self, session: Session) -> None:
            self.err(session, reply)

    return RefusingLogin


InUse = _refusing_login("[IN-USE] mailbox is locked by another session")
LoginDelay = _refusing_login("[LOGIN-DELAY] wait 15 minutes between logins")
SysTemp = _refusing_login("[SYS/TEMP] mail storage temporarily unavailable")
SysPerm = _refusing_login("[SYS/PERM] account disabled, contact your administrator")


# -- deletion semantics ----------------------------------------------------------------------


class DeleImmediate(FaultServer):
    """DELE removes the message from the mailbox at once; RSET cannot bring it back."""

    def handle_DELE(self, session: Session, args: str) -> None:
        message = self.find_message(session, args)
        if message is not None:
            self.mailbox.remove([message])  # before the +OK, so the client sees it done
            super().handle_DELE(session, args)


class CommitOnDisconnect(FaultServer):
    """QPOP-like: deletions are applied however the connection ends, QUIT or not."""

    def end_session(self, session: Session) -> None:
        if session.state == "TRANSACTION":
            self.commit(session)
        super().end_session(session)


class DropBeforeQuitReply(FaultServer):
    """QUIT commits the deletions, then the connection drops before the +OK."""

    def handle_QUIT(self, session: Session, args: str) -> None:
        if session.state == "TRANSACTION":
            self.commit(session)
        raise Hangup


# -- listings --------------------------------------------------------------------------------


class HugeList(FaultServer):
    def size(self, session: Session, n: int, message: StoredMessage) -> int:
        return self.huge_size if n == 1 else super().size(session, n, message)


class DuplicateUidl(FaultServer):
    """Message 2 reports the UID of message 1."""

    def uid(self, session: Session, n: int, message: StoredMessage) -> str:
        if n == 2 and len(session.messages) >= 2:
            return session.messages[0].uid
        return super().uid(session, n, message)


class UidlChanges(FaultServer):
    """Every session sees different UIDs for the same messages."""

    def uid(self, session: Session, n: int, message: StoredMessage) -> str:
        return f"{super().uid(session, n, message)}-s{session.id}"


# -- transport -------------------------------------------------------------------------------


class GarbageGreeting(FaultServer):
    def send(self, session: Session, data: bytes) -> None:
        super().send(session, GARBAGE_GREETING if not session.command else data)


class GarbageReply(FaultServer):
    def send(self, session: Session, data: bytes) -> None:
        super().send(session, GARBAGE if self.targeted(session) else data)


class DropMidResponse(FaultServer):
    def send(self, session: Session, data: bytes) -> None:
        if not self.targeted(session):
            return super().send(session, data)
        super().send(session, data[: self.drop_after])
        raise Hangup


class DropAtNth(FaultServer):
    """The ``drop_at``-th targeted command of a session takes effect (a DELE marks its message),
    then the connection drops before the reply: the reply of a command the server applied is
    lost, as on a real network."""

    def send(self, session: Session, data: bytes) -> None:
        if self.targeted(session):
            count = self.targeted_count[session.id] = self.targeted_count.get(session.id, 0) + 1
            if count == self.drop_at:
                raise Hangup
        super().send(session, data)


class MissingTerminator(FaultServer):
    def send(self, session: Session, data: bytes) -> None:
        if not (self.targeted(session) and data.endswith(b"\r\n.\r\n")):
            return super().send(session, data)
        super().send(session, data[:-3])
        raise Hangup


class EndlessLine(FaultServer):
    """The response line never ends: bytes without CRLF until the client leaves."""

    def send(self, session: Session, data: bytes) -> None:
        if not self.targeted(session):
            return super().send(session, data)
        super().send(session, b"+OK ")
        chunk = b"x" * 4096
        while not session.closed.is_set():
            super().send(session, chunk)
        raise Hangup


class EndlessMultiline(FaultServer):
    """A multi-line response that never reaches its terminating dot."""

    def send(self, session: Session, data: bytes) -> None:
        if not self.targeted(session):
            return super().send(session, data)
        super().send(session, b"+OK here it comes\r\n")
        n = 0
        while not session.closed.is_set():
            n += 1
            super().send(session, b"".join(b"line %d\r\n" % (n * 100 + i) for i in range(100)))
        raise Hangup


class SlowDrip(FaultServer):
    def send(self, session: Session, data: bytes) -> None:
        if not self.targeted(session):
            return super().send(session, data)
        for i in range(0, len(data), self.drip_chunk):
            super().send(session, data[i : i + self.drip_chunk])
            if session.closed.wait(self.drip_delay):
                raise Hangup


class Held(FaultServer):
    def send(self, session: Session, data: bytes) -> None:
        if self.targeted(session):
            while not self.released.wait(0.05):  # the test sets it; a hang-up ends the wait
                if session.closed.is_set():
                    raise Hangup
        super().send(session, data)


FAULTS: dict[str, type[FaultServer]] = {
    "no-capa": NoCapa,  # CAPA -> -ERR
    "no-top": NoTop,  # CAPA lacks TOP, TOP -> -ERR
    "top-ignores-lines": TopIgnoresLines,  # TOP n k returns the whole message
    "no-uidl": NoUidl,  # CAPA lacks UIDL, UIDL -> -ERR
    "courier-utf8": CourierUtf8,  # UTF8 offered; raw UTF-8 headers wrapped in a notice without it
    "in-use": InUse,  # every login -> -ERR [IN-USE]
    "login-delay": LoginDelay,  # every login -> -ERR [LOGIN-DELAY]
    "sys-temp": SysTemp,  # every login -> -ERR [SYS/TEMP]
    "sys-perm": SysPerm,  # every login -> -ERR [SYS/PERM]
    "dele-immediate": DeleImmediate,  # DELE removes from the mailbox at once
    "commit-on-disconnect": CommitOnDisconnect,  # deletions applied even without QUIT
    "drop-before-quit-reply": DropBeforeQuitReply,  # QUIT commits, then no +OK
    "huge-list": HugeList,  # LIST/STAT: message 1 claims huge_size octets
    "duplicate-uidl": DuplicateUidl,  # message 2 has message 1's UID
    "uidl-changes": UidlChanges,  # UIDs differ in every session
    "garbage-greeting": GarbageGreeting,  # an SMTP banner instead of +OK
    "garbage-reply": GarbageReply,  # targeted responses are garbage
    "drop-mid-response": DropMidResponse,  # targeted responses cut after drop_after bytes
    "drop-at-nth": DropAtNth,  # the drop_at-th targeted command applies, then no reply
    "missing-terminator": MissingTerminator,  # multi-line without ".", then close
    "endless-line": EndlessLine,  # "+OK xxxx..." never ending
    "endless-multiline": EndlessMultiline,  # lines forever, no terminator
    "slow-drip": SlowDrip,  # targeted responses drip_chunk bytes per drip_delay seconds
    "held": Held,  # targeted responses wait until the test sets server.released
}


def make_fault_server(
    faults: Iterable[str] = (), messages: Iterable[tuple[str, bytes]] | None = None,
    **options: Any,
) -> FaultServer:
    """A (not yet started) server with these faults; options go to ``FaultServer``."""
    names = list(faults)
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        raise ValueError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
    bases = tuple(dict.fromkeys(FAULTS[name] for name in names)) or (FaultServer,)
    cls = type(f"FaultServer[{','.join(names)}]", bases, {})
    return cls(messages, **options)


@contextmanager
def fault_server(
    faults: Iterable[str] | str = (), messages: Iterable[tuple[str, bytes]] | None = None,
    **options: Any,
) -> Iterator[FaultServer]:
    """A running fault server for the ``with`` block; stopped (connections dropped) after."""
    server = make_fault_server([faults] if isinstance(faults, str) else faults, messages, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


__all__ = [
    "COURIER_NOTICE", "FAULTS", "GARBAGE", "GARBAGE_GREETING", "PASSWORD", "USER", "FaultServer",
    "default_messages", "fault_server", "make_fault_server", "make_message",
]
