"""The session owner thread: the only code that touches the POP3 socket.

Contract (the UI and tests rely on it):

    session = Pop3Session(account, on_event, log=ProtocolLog(level=1))
    session.start(Credentials(password="..."))   # thread starts, connects, logs in, lists
    session.submit(Preview(uid, lines=20))       # results arrive as events via on_event
    session.marks.toggle(uid)                    # marks live here, never on the server
    session.submit(Commit(tuple(session.marks.snapshot())))
    session.stop()                               # QUIT without any DELE; joins the thread

After ``start`` the events are: Connecting, then Connected + Listing, or LoginFailed (submit
``Connect(credentials)`` to try again) or Fatal. ``on_event`` is called from the session thread.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence

from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.client import DEFAULT_WINDOW, Pop3Client, header_block
from popui.pop3.errors import (
    AuthFailed,
    ConnectionLost,
    InUse,
    LoginDelay,
    Pop3Error,
    ServerError,
    SysTemp,
)
from popui.pop3.marks import Marks
from popui.pop3.models import Capabilities, MessageInfo
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import (
    Commit,
    Connect,
    FetchHeaders,
    Noop,
    Preview,
    Refresh,
    Request,
    Retrieve,
    SetDebugLevel,
)
from popui.sizes import human_size

ClientFactory = Callable[..., Pop3Client]
DEFAULT_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: TOP requests per background batch: interactive requests get in between batches
HEADER_BATCH = 500
#: header results are reported to the UI in slices of this size
REPORT_EVERY = 250


class Pop3Session:
    """Owns one account's connection on a thread; see the module docstring."""

    def __init__(
        self,
        account: Account,
        on_event: Callable[[ev.Event], None],
        *,
        log: ProtocolLog | None = None,
        client_factory: ClientFactory = Pop3Client,
        ssl_context: ssl.SSLContext | None = None,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        window: int = DEFAULT_WINDOW,
        header_batch: int = HEADER_BATCH,
    ) -> None:
        self.account = account
        self.log = log if log is not None else ProtocolLog(0)
        self.marks = Marks()
        self._on_event = on_event
        self._factory = client_factory
        self._ssl_context = ssl_context
        self._backoff = tuple(backoff)
        self._window = window
        self._header_batch = header_batch
        self._client: Pop3Client | None = None
        self._credentials: Credentials | None = None
        self._messages: tuple[MessageInfo, ...] = ()
        self._by_uid: dict[str, MessageInfo] = {}
        self._has_uidl = True
        self._headers_done: set[str] = set()
        self._top_broken = False
        self._committing = False
        self._retried: Request | None = None  # a request is retried once after a reconnect
        self.capabilities = Capabilities()
        self.welcome = ""
        self._cond = threading.Condition()
        self._pending: list[tuple[int, int, Request]] = []
        self._seq = itertools.count()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- API for other threads -------------------------------------------------------------

    @property
    def messages(self) -> tuple[MessageInfo, ...]:
        return self._messages

    @property
    def connected(self) -> bool:
        return self._client is not None

    def start(self, credentials: Credentials) -> None:
        self.submit(Connect(credentials))
        self._thread = threading.Thread(target=self._run, name="pop3-session", daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> None:
        """Queue a request; a newer one of a superseding kind drops older pending ones."""
        with self._cond:
            key = request.supersede_key
            if key is not None:
                self._pending = [p for p in self._pending if p[2].supersede_key != key]
            self._pending.append((int(request.priority), next(self._seq), request))
            self._cond.notify()

    def stop(self, timeout: float = 10.0, grace: float = 1.0) -> None:
        """End the session: ``QUIT`` (no DELE is ever pending outside a commit), join.

        A transfer still running after ``grace`` seconds is cut off by closing the socket:
        without pending DELEs that is safe on every server. A commit is never cut off.
        """
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return
        thread.join(grace)
        with self._cond:
            client = self._client if not self._committing else None
        if thread.is_alive() and client is not None:
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)
        thread.join(timeout)

    # -- the thread ------------------------------------------------------------------------

    def _emit(self, event: ev.Event) -> None:
        with contextlib.suppress(Exception):  # a closing UI must not kill the session thread
            self._on_event(event)

    def _take(self) -> Request | None:
        with self._cond:
            while not self._pending and not self._stopping:
                idle = not self._cond.wait(timeout=self.account.keepalive)
                if idle and self._client is not None and not self._pending:
                    return Noop()
            if self._stopping:
                return None
            best = min(self._pending, key=lambda p: (p[0], p[1]))
            self._pending.remove(best)
            # set under the lock, so stop() can never cut off a commit that has begun
            self._committing = isinstance(best[2], Commit)
            return best[2]

    def _wait(self, seconds: float) -> bool:
        """Back off for ``seconds``; True when the session is stopping."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopping, timeout=seconds)
            return self._stopping

    def _run(self) -> None:
        try:
            while (request := self._take()) is not None:
                self._handle(request)
        finally:
            client, self._client = self._client, None
            if client is not None:
                with contextlib.suppress(Pop3Error, OSError):
                    client.quit()
            self._emit(ev.Disconnected("Logged out; nothing was deleted."))

    def _handle(self, request: Request) -> None:
        if isinstance(request, Connect):
            self._credentials = request.credentials
            self._login(reconnect=False)
            return
        if isinstance(request, SetDebugLevel):
            self.log.level = request.level
            return
        if isinstance(request, Commit):
            self._commit(request)
            return
        if self._client is None and (self._credentials is None or not self._reconnect()):
            self._fail(request, "Not connected to the server.")
            return
        try:
            self._dispatch(request)
            self._retried = None
        except ServerError as exc:
            if not isinstance(exc, SysTemp):
                self._fail(request, str(exc))
                return
            # "[SYS/TEMP] Server shutting down" (Dovecot) ends the session: start again
            self._lost(request, exc)
        except Pop3Error as exc:  # the connection is gone or out of sync
            self._lost(request, exc)

    def _lost(self, request: Request, exc: Pop3Error) -> None:
        self._drop()
        self._emit(ev.ConnectionLost(str(exc), 0.0))  # the first attempt is immediate
        retry = self._retried != request and not isinstance(request, Noop | Refresh)
        if self._reconnect() and retry:
            self._retried = request
            self._requeue(request)
        else:
            self._fail(request, str(exc), quiet=isinstance(request, Noop))

    def _dispatch(self, request: Request) -> None:
        client = self._client
        assert client is not None
        if isinstance(request, FetchHeaders):
            self._fetch_headers(client, request)
        elif isinstance(request, Preview):
            self._preview(client, request)
        elif isinstance(request, Retrieve):
            self._retrieve(client, request)
        elif isinstance(request, Noop):
            client.noop()
        elif isinstance(request, Refresh):
            self._drop(quit=True)
            self._reconnect()

    def _requeue(self, request: Request) -> None:
        with self._cond:
            key = request.supersede_key
            if key is not None and any(p[2].supersede_key == key for p in self._pending):
                return  # the user has moved on
            self._pending.append((int(request.priority), next(self._seq), request))
            self._cond.notify()

    def _fail(self, request: Request, message: str, *, quiet: bool = False) -> None:
        if isinstance(request, Preview):
            self._emit(ev.PreviewFailed(request.uid, message))
        elif isinstance(request, Retrieve):
            self._emit(ev.RetrieveFailed(request.uid, message))
        elif isinstance(request, FetchHeaders) and not quiet:
            self._emit(ev.HeadersFailed(request.uids, message))
        elif not quiet and not isinstance(request, Noop):
            self._emit(ev.Notice(message))

    # -- connecting ------------------------------------------------------------------------

    def _drop(self, *, quit: bool = False) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        if quit:
            with contextlib.suppress(Pop3Error, OSError):
                client.quit()
        client.close()

    def _open(self, *, reconnect: bool) -> None:
        """Connect, log in, STAT, UIDL+LIST; report Connected and Listing."""
        assert self._credentials is not None
        client = self._factory(self.account, log=self.log, ssl_context=self._ssl_context)
        try:
            method = client.login(self._credentials)
            count, size = client.stat_totals()
            messages, has_uidl, notices = client.listing()
        except BaseException:
            client.close()
            raise
        self._client = client
        self.capabilities = client.capabilities
        self.welcome = client.welcome.decode("utf-8", "replace")
        had_messages = bool(self._messages)
        vanished, renumbered = self._adopt_listing(messages, has_uidl, reconnect)
        self._emit(ev.Connected(self.welcome, client.capabilities, client.tls_version, method,
                                count, size, not has_uidl, reconnect))
        for notice in notices:
            self._emit(ev.Notice(notice))
        if not has_uidl and not reconnect:
            self._emit(ev.Notice("The server does not support UIDL: marks and 'opened' state "
                                 "last for this session only."))
        if renumbered and had_messages:
            self._emit(ev.Notice("The mailbox changed and the server has no UIDL: marks were "
                                 "cleared, since they could now point at other messages."))
        self._emit(ev.Listing(self._messages, vanished))

    def _adopt_listing(self, messages: list[MessageInfo], has_uidl: bool,
                       reconnect: bool) -> tuple[tuple[str, ...], bool]:
        """Take a new listing; returns the vanished UIDLs and whether marks had to be
        cleared (no UIDL, and the numbers no longer match)."""
        new = {m.uid for m in messages}
        known = {m.uid for m in self._messages} | self.marks.snapshot()
        renumbered = reconnect and not has_uidl and tuple(messages) != self._messages
        if renumbered:
            self.marks.clear()
            self._headers_done.clear()
        vanished = tuple(sorted(u for u in known if u not in new)) if reconnect else ()
        self.marks.discard(vanished)
        self._headers_done &= new
        self._messages = tuple(messages)
        self._by_uid = {m.uid: m for m in messages}
        self._has_uidl = has_uidl
        return vanished, renumbered

    def _login(self, *, reconnect: bool) -> bool:
        self._drop()
        self._emit(ev.Connecting(1, reconnect))
        try:
            self._open(reconnect=reconnect)
            return True
        except AuthFailed as exc:
            self._emit(ev.LoginFailed(str(exc), wrong_credentials=True))
        except (InUse, LoginDelay, SysTemp) as exc:
            self._emit(ev.LoginFailed(str(exc), wrong_credentials=False,
                                      retry_after=exc.retry_after))
        except Pop3Error as exc:
            self._emit(ev.Fatal(str(exc)))
        return False

    def _reconnect(self) -> bool:
        """Reconnect with backoff, keeping marks; False when giving up or stopping."""
        self._drop()
        last = ""
        for attempt, delay in enumerate(self._backoff, 1):
            if self._stopping:
                return False
            self._emit(ev.Connecting(attempt, reconnect=True))
            try:
                self._open(reconnect=True)
                return True
            except (ConnectionLost, InUse, SysTemp, LoginDelay) as exc:
                last = str(exc)
                wait = max(delay, exc.retry_after or 0) if isinstance(exc, LoginDelay) else delay
                self._emit(ev.ConnectionLost(last, wait))
                if self._wait(wait):
                    return False
            except AuthFailed as exc:
                self._emit(ev.LoginFailed(str(exc), wrong_credentials=True))
                return False
            except Pop3Error as exc:
                self._emit(ev.Fatal(str(exc)))
                return False
        self._emit(ev.Fatal(f"Gave up reconnecting after {len(self._backoff)} attempts: "
                            f"{last} Your marks are kept."))
        return False

    # -- requests --------------------------------------------------------------------------

    def _top_missing(self) -> bool:
        return self._top_broken or (self.capabilities.known and not self.capabilities.top)

    def _fetch_headers(self, client: Pop3Client, request: FetchHeaders) -> None:
        if self._top_missing():
            self._fail(request, "The server has no working TOP command: only numbers and "
                                "sizes can be listed. Opening a message (RETR) marks it seen.")
            return
        todo = [u for u in dict.fromkeys(request.uids)
                if u in self._by_uid and u not in self._headers_done]
        batch, rest = todo[: self._header_batch], todo[self._header_batch :]
        if rest:
            self._requeue(FetchHeaders(tuple(rest), request.interactive))
        if not batch:
            return
        commands = [f"TOP {self._by_uid[u].number} 0" for u in batch]
        found: list[tuple[str, bytes]] = []
        failed: list[str] = []
        try:
            for index, status, body in client.pipeline(commands, multiline=True,
                                                       window=self._window):
                uid = batch[index]
                if isinstance(status, Pop3Error):
                    failed.append(uid)
                    continue
                self._headers_done.add(uid)
                found.append((uid, header_block(body)))
                if len(found) >= REPORT_EVERY:
                    self._report_headers(found)
                    found = []
        finally:
            self._report_headers(found)
        if failed:
            if len(failed) == len(batch) and not self._headers_done:
                self._top_broken = True
            self._emit(ev.HeadersFailed(tuple(failed), "The server refused TOP for these "
                                                       "messages."))

    def _report_headers(self, found: list[tuple[str, bytes]]) -> None:
        if found:
            self._emit(ev.HeadersFetched(tuple(found), len(self._headers_done),
                                         len(self._messages)))

    def _preview(self, client: Pop3Client, request: Preview) -> None:
        info = self._by_uid.get(request.uid)
        if info is None:
            self._emit(ev.PreviewFailed(request.uid, "This message is no longer on the server."))
            return
        if self._top_missing():
            self._emit(ev.PreviewFailed(
                request.uid,
                "This server has no working TOP command, so a preview would need the whole "
                "message (RETR), which marks it as seen. Press Enter to open it anyway.",
                top_unsupported=True,
            ))
            return
        try:
            data = client.top_bytes(info.number, request.lines, info.size)
        except SysTemp:
            raise
        except ServerError as exc:
            self._emit(ev.PreviewFailed(request.uid, f"The server's TOP failed: {exc}",
                                        top_unsupported=not self.capabilities.known))
            return
        head = header_block(data)
        body_lines = data[len(head):].count(b"\n")
        self._emit(ev.PreviewReady(request.uid, data, request.lines,
                                   ignored_line_count=body_lines > request.lines + 1))

    def _retrieve(self, client: Pop3Client, request: Retrieve) -> None:
        info = self._by_uid.get(request.uid)
        if info is None:
            self._emit(ev.RetrieveFailed(request.uid, "This message is no longer on the server."))
            return
        limit = self.account.max_message_size
        if info.size > limit:
            self._emit(ev.RetrieveFailed(
                request.uid,
                f"The message is {human_size(info.size)}, more than max_message_size "
                f"({human_size(limit)}); raise it in the account's configuration to open it.",
            ))
            return
        uid, total = request.uid, info.size
        self._emit(ev.RetrieveProgress(uid, 0, total))
        data = client.retr_bytes(info.number, total,
                                 lambda n: self._emit(ev.RetrieveProgress(uid, n, total)))
        self._emit(ev.MessageRetrieved(uid, data))

    # -- commit ----------------------------------------------------------------------------

    def _commit(self, request: Commit) -> None:
        try:
            self._commit_marked(request)
        finally:
            with self._cond:
                self._committing = False

    def _commit_marked(self, request: Commit) -> None:
        uids = tuple(dict.fromkeys(request.uids))
        if not uids:
            self._emit(ev.CommitDone((), (), "Nothing was marked; nothing was deleted."))
            return
        if self._client is None and (self._credentials is None or not self._reconnect()):
            self._emit(ev.CommitFailed("Not connected to the server: nothing was deleted. "
                                       "Your marks are kept."))
            return
        client = self._client
        assert client is not None
        dele_sent = quit_sent = False
        acked: list[str] = []
        try:
            messages, _, _ = client.listing()
            by_uid = {m.uid: m for m in messages}
            present = [u for u in uids if u in by_uid]
            missing = tuple(u for u in uids if u not in by_uid)
            client.rset()
            dele_sent = True
            refused: list[str] = []
            commands = [f"DELE {by_uid[u].number}" for u in present]
            for index, status, _ in client.pipeline(commands, multiline=False,
                                                    window=self._window):
                (refused if isinstance(status, Pop3Error) else acked).append(present[index])
            if refused:
                client.rset()
                dele_sent = False
                self._emit(ev.CommitFailed(
                    f"The server refused to delete {len(refused)} of {len(present)} messages; "
                    "RSET was acknowledged, so nothing was deleted. Your marks are kept."))
                return
            quit_sent = True
            client.quit()
        except Pop3Error as exc:
            self._drop()
            if not dele_sent:
                self._emit(ev.CommitFailed(f"{exc} Nothing was deleted; your marks are kept."))
            else:
                what = ("The server did not confirm QUIT" if quit_sent else
                        f"The connection failed after {len(acked)} of {len(present)} DELE "
                        "commands were confirmed, before QUIT")
                self._emit(ev.CommitFailed(
                    f"{what} ({exc}). A standard server deletes "
                    "nothing then, but some (Eudora QPOP) apply deletions on any disconnect, "
                    f"so up to {len(acked)} marked messages may be gone. Reconnecting to check; "
                    "your marks are kept.",
                    maybe_deleted=tuple(acked),
                ))
            self._after_failed_commit(acked)
            return
        self._client = None
        freed = sum(by_uid[u].size for u in acked)
        self.marks.discard(uids)
        # what we deleted did not "vanish": keep it out of the next listing's report
        committed = set(uids)
        self._messages = tuple(m for m in self._messages if m.uid not in committed)
        self._emit(ev.CommitDone(
            tuple(acked), missing,
            f"The server confirmed deleting {len(acked)} message"
            f"{'' if len(acked) == 1 else 's'} ({human_size(freed)})."
            + (f" {len(missing)} marked messages were already gone." if missing else ""),
        ))
        if request.reconnect:
            self._reconnect()

    def _after_failed_commit(self, acked: Iterable[str]) -> None:
        acked = list(acked)
        if not self._reconnect():
            return
        gone = [u for u in acked if u not in self._by_uid]
        if gone:
            self._emit(ev.Notice(f"{len(gone)} of the marked messages were deleted by the "
                                 "server despite the failed commit.", "error"))
