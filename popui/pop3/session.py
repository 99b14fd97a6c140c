"""The session owner thread: the only code that touches the POP3 socket.

Contract (the UI and tests rely on it):

    session = Pop3Session(account, on_event, log=ProtocolLog(level=1))
    session.start(Credentials(password="..."))   # thread starts, connects, logs in, lists
    session.submit(Preview(key, lines=20))       # results arrive as events via on_event
    session.submit(Commit(keys))                 # marks live with the caller until a commit
    session.stop()                               # QUIT without any DELE; joins the thread

After ``start`` the events are: Connecting, then Connected + Listing, or LoginFailed (submit
``Connect(credentials)`` to try again) or Fatal. ``on_event`` is called from the session thread.

Messages are named by identity keys (`popui.pop3.identity`), never by number: a unique UIDL, or
for messages without one a fingerprint (size + header hash) that a commit checks again with
``TOP n 0`` before its ``DELE``. The header blocks read for fingerprints arrive as a
HeadersFetched right after the Listing.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Container, Sequence

from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.client import (
    DEFAULT_WINDOW,
    HEADER_WINDOW,
    TOP_IGNORES_LINES_NOTICE,
    Pop3Client,
    header_block,
)
from popui.pop3.errors import (
    AuthFailed,
    CertificateChanged,
    ConnectionLost,
    InUse,
    LoginDelay,
    Pop3Error,
    ServerError,
    SysTemp,
    TopCutOff,
    UntrustedCertificate,
)
from popui.pop3.identity import fingerprint, fingerprint_size, is_fingerprint, session_key
from popui.pop3.models import Capabilities, Listed, MessageInfo
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import (
    Commit,
    Connect,
    FetchHeaders,
    Noop,
    Preview,
    Priority,
    Refresh,
    Request,
    Retrieve,
    RetrieveForCopy,
    SetDebugLevel,
)
from popui.sizes import human_size

ClientFactory = Callable[..., Pop3Client]
DEFAULT_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: header results are reported in slices of this size, or what came in this many seconds:
#: each slice costs the UI an update, and 250 at a time made that the cost of a fast fill
REPORT_EVERY = 1000
REPORT_INTERVAL = 0.1
#: a download's progress is reported at most this often (each report is a UI update)
PROGRESS_INTERVAL = 0.1
#: whole messages in flight when a server without TOP fills the list with RETR (bounded memory)
RETR_WINDOW = 4


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
        window: int | None = None,
    ) -> None:
        self.account = account
        self.log = log if log is not None else ProtocolLog(0)
        self._on_event = on_event
        self._factory = client_factory
        self._ssl_context = ssl_context
        self._backoff = tuple(backoff)
        self._window = window
        """Commands in flight (None: the client's defaults, wider for header fills)."""
        self._client: Pop3Client | None = None
        self._credentials: Credentials | None = None
        self._messages: tuple[MessageInfo, ...] = ()
        self._by_uid: dict[str, MessageInfo] = {}
        self._epoch = 0  # connections so far: session keys name a number in one of them
        self._headers_done: set[str] = set()
        self._top_broken = False
        self._top_notice_given = False
        self._top_missing_said = False
        self._committing = False
        self._current: Request | None = None  # what the thread is doing (a refresh may cut it)
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
        """Queue a request; a newer one of a superseding kind drops older pending ones.

        A refresh (``r``) also gives up on a preview or header fill still being read (a server
        dripping a huge answer must not hold the session); never on a commit."""
        with self._cond:
            client, current = self._client, self._current
            if (isinstance(request, Refresh) and client is not None
                    and isinstance(current, Preview | FetchHeaders | Noop)):
                client.interrupt()
            key = request.supersede_key
            if key is not None:
                self._pending = [p for p in self._pending if p[2].supersede_key != key]
            self._pending.append((int(request.priority), next(self._seq), request))
            self._cond.notify()

    def stop(self, timeout: float = 10.0, grace: float = 1.0) -> None:
        """End the session: ``QUIT`` (no DELE is ever pending outside a commit), join.

        A transfer still running after ``grace`` seconds is cut off by closing the socket:
        without pending DELEs that is safe on every server. A commit is never cut off. A
        thread still connecting (a server that never greets) is not waited for: it holds no
        connection to end, and sees ``_stopping`` once the connect gives up.
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
            committing = self._committing
            client = self._client if not committing else None
        if not thread.is_alive():
            return
        if client is not None:
            with contextlib.suppress(OSError):
                client.sock.shutdown(socket.SHUT_RDWR)
        elif not committing:
            return  # still connecting: nothing to end, nothing that could delete
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
            self._current = best[2]
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
                with self._cond:
                    self._current = None
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
        elif isinstance(request, RetrieveForCopy):
            self._retrieve_for_copy(client, request)
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
        elif isinstance(request, RetrieveForCopy):
            self._emit(ev.CopyRetrieveFailed(request.job, request.uid, message))
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
        """Connect, log in, STAT, UIDL+LIST, identify; report Connected and Listing."""
        assert self._credentials is not None
        client = self._factory(self.account, log=self.log, ssl_context=self._ssl_context)
        self._emit(ev.Connecting(1, reconnect, logging_in=True))
        try:
            method = client.login(self._credentials)
            count, size = client.stat_totals()
            listed, has_uidl = client.listing()
            self._epoch += 1
            messages, headers, unverified = self._identify(client, listed)
        except BaseException:
            client.close()
            raise
        self._client = client
        self.capabilities = client.capabilities
        self.welcome = client.welcome.decode("utf-8", "replace")
        vanished = self._adopt_listing(messages, reconnect)
        session_only = any(" " in m.uid and not is_fingerprint(m.uid) for m in messages)
        self._emit(ev.Connected(self.welcome, client.capabilities, client.tls_version, method,
                                count, size, session_only, reconnect, client.negotiated))
        if not reconnect:
            for notice in self._identity_notices(has_uidl, unverified, session_only):
                self._emit(ev.Notice(notice))
        self._emit(ev.Listing(self._messages, vanished))
        if headers:
            self._headers_done.update(headers)
            self._report_headers(list(headers.items()))

    @staticmethod
    def _identity_notices(has_uidl: bool, unverified: int, session_only: bool) -> list[str]:
        if session_only:
            return ["The server has neither UIDL nor TOP: popui cannot tell messages apart "
                    "across connections, so marks last for this connection only."]
        if not has_uidl:
            return ["The server does not support UIDL: popui tells messages apart by size and "
                    "headers, and checks them again before deleting."]
        if unverified:
            return [f"The server gave {unverified} messages a UIDL shared with another; popui "
                    "tells those apart by size and headers, and checks them again before "
                    "deleting."]
        return []

    def _identify(
        self, client: Pop3Client, listed: Sequence[Listed], sizes: Container[int] | None = None
    ) -> tuple[list[MessageInfo], dict[str, bytes], int]:
        """Identity keys for a listing: ``(messages, header blocks read, unverified count)``.

        A unique UIDL is the key. The others (no UIDL, or a UIDL that occurs twice) are
        fingerprinted from ``TOP n 0``, pipelined; with ``sizes`` only messages of those sizes
        are (a commit looking for its fingerprints) and the rest are left out. Without a working
        TOP a message can only get a session key.
        """
        counts = Counter(m.uidl for m in listed if m.uidl is not None)
        messages: list[MessageInfo] = []
        todo: list[Listed] = []
        for m in listed:
            if m.uidl is not None and counts[m.uidl] == 1:
                messages.append(MessageInfo(m.number, m.uidl, m.size))
            elif sizes is None or m.size in sizes:
                todo.append(m)
        headers: dict[str, bytes] = {}
        blocks: dict[int, bytes] = {}
        if todo and not self._top_missing(client.capabilities):
            commands = [f"TOP {m.number} 0" for m in todo]
            for index, status, body in client.pipeline(commands, multiline=True,
                                                       window=self._window or DEFAULT_WINDOW):
                if not isinstance(status, Pop3Error):
                    blocks[todo[index].number] = header_block(body)
        seen: Counter[str] = Counter()
        for m in todo:
            block = blocks.get(m.number)
            if block is None:
                messages.append(MessageInfo(m.number, session_key(self._epoch, m.number), m.size))
                continue
            base = fingerprint(m.size, block)
            seen[base] += 1
            key = fingerprint(m.size, block, seen[base])
            headers[key] = block
            messages.append(MessageInfo(m.number, key, m.size))
        messages.sort(key=lambda m: m.number)
        return messages, headers, len(todo)

    def _adopt_listing(self, messages: list[MessageInfo], reconnect: bool) -> tuple[str, ...]:
        """Take a new listing; returns the keys of the last listing that are gone now."""
        new = {m.uid for m in messages}
        vanished = (tuple(sorted(m.uid for m in self._messages if m.uid not in new))
                    if reconnect else ())
        self._headers_done &= new
        self._messages = tuple(messages)
        self._by_uid = {m.uid: m for m in messages}
        return vanished

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
            self._stopped_by(exc)
        return False

    def _stopped_by(self, exc: Pop3Error) -> None:
        """A failure retrying will not mend: the certificate (the user decides) or Fatal."""
        if isinstance(exc, CertificateChanged):
            self._emit(ev.CertificateRefused(str(exc), exc.certificate, exc.pinned))
        elif isinstance(exc, UntrustedCertificate):
            self._emit(ev.CertificateRefused(str(exc), exc.certificate))
        else:
            self._emit(ev.Fatal(str(exc)))

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
                self._stopped_by(exc)
                return False
        self._emit(ev.Fatal(f"Gave up reconnecting after {len(self._backoff)} attempts: "
                            f"{last} Your marks are kept."))
        return False

    # -- requests --------------------------------------------------------------------------

    def _top_missing(self, capabilities: Capabilities | None = None) -> bool:
        caps = capabilities or self.capabilities
        return self._top_broken or (caps.known and not caps.top)

    def _interactive_waiting(self) -> bool:
        """True when a request of the user's (a preview, an open, a commit) is queued.

        Asked between two replies, so without the lock: a request added while the list is
        read may be missed, and the next reply's check sees it."""
        pending = self._pending  # (asked once per reply of a fill: mostly empty)
        return self._stopping or (bool(pending)
                                  and any(p[0] < Priority.BACKGROUND for p in pending))

    def _say_top_missing(self) -> None:
        if not self._top_missing_said:
            self._top_missing_said = True
            self._emit(ev.TopMissing())

    def _fetch_headers(self, client: Pop3Client, request: FetchHeaders) -> None:
        if self._top_missing() and not request.whole:
            self._say_top_missing()
            self._fail(request, "The server has no working TOP command: only numbers and "
                                "sizes can be listed. Opening a message (RETR) marks it seen.")
            return
        batch = [u for u in dict.fromkeys(request.uids)
                 if u in self._by_uid and u not in self._headers_done]
        if not batch:
            return
        if request.whole:
            self._fetch_whole(client, batch)
            return
        found = _Slices(self._report_headers)
        failed: list[str] = []
        try:
            # Background filling gives way to what the user is looking at: the window drains
            # and the rest is asked for again behind the interactive request.
            stop = None if request.interactive else self._interactive_waiting
            for index, result in client.headers([self._by_uid[u] for u in batch],
                                                window=self._window or HEADER_WINDOW,
                                                stop=stop):
                uid = batch[index]
                if isinstance(result, Pop3Error):
                    failed.append(uid)
                    continue
                self._headers_done.add(uid)
                found.add(uid, result)
        except TopCutOff:
            self._drop()  # closed on purpose after a header; the next request reconnects
            self._requeue(request)  # what is done is skipped
        else:
            if failed and not self._headers_done:
                # The first TOP of the session refused (the client then sends nothing more)
                # and none worked: TOP is missing. No asking for every message one by one.
                self._top_broken = True
                failed = list(batch)
            left = tuple(u for u in batch if u not in self._headers_done and u not in failed)
            if left:
                self._requeue(FetchHeaders(left, request.interactive))
        finally:
            found.flush()
            if client.top_ignores_lines and not self._top_notice_given:
                self._top_notice_given = True
                self._emit(ev.Notice(TOP_IGNORES_LINES_NOTICE, "information"))
        if failed:
            self._emit(ev.HeadersFailed(tuple(failed), "The server refused TOP for these "
                                                       "messages."))
            if self._top_broken:
                self._say_top_missing()

    def _fetch_whole(self, client: Pop3Client, batch: list[str]) -> None:
        """No TOP, and the user agreed: RETR each message (a few in flight, each at most
        max_message_size) and keep its header block."""
        limit = self.account.max_message_size
        wanted = [u for u in batch if self._by_uid[u].size <= limit]
        failed = [u for u in batch if self._by_uid[u].size > limit]
        found = _Slices(self._report_headers)
        commands = [f"RETR {self._by_uid[u].number}" for u in wanted]
        try:
            for index, status, body in client.pipeline(commands, multiline=True,
                                                       window=RETR_WINDOW):
                uid = wanted[index]
                if isinstance(status, Pop3Error):
                    failed.append(uid)
                    continue
                self._headers_done.add(uid)
                found.add(uid, header_block(body))
        finally:
            found.flush()
        if failed:
            self._emit(ev.HeadersFailed(tuple(failed), "These messages could not be read "
                                                       "(refused, or over max_message_size)."))

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
            unknown = not self.capabilities.known
            self._emit(ev.PreviewFailed(request.uid, f"The server's TOP failed: {exc}",
                                        top_unsupported=unknown))
            if unknown and not self._headers_done:  # no CAPA, and TOP never worked: missing
                self._top_broken = True
                self._say_top_missing()
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
        data = client.retr_bytes(info.number, total, _throttled(
            lambda n: self._emit(ev.RetrieveProgress(uid, n, total))))
        self._emit(ev.MessageRetrieved(uid, data))

    def _retrieve_for_copy(self, client: Pop3Client, request: RetrieveForCopy) -> None:
        job, uid = request.job, request.uid
        info = self._by_uid.get(uid)
        if info is None:
            self._emit(ev.CopyRetrieveFailed(job, uid, "no longer on the server"))
            return
        limit = self.account.max_message_size
        if info.size > limit:
            self._emit(ev.CopyRetrieveFailed(
                job, uid, f"{human_size(info.size)}, more than max_message_size "
                          f"({human_size(limit)}); popui fetch has no such limit"))
            return
        total = info.size
        data = client.retr_bytes(info.number, total, _throttled(
            lambda n: self._emit(ev.CopyRetrieveProgress(job, uid, n, total))))
        self._emit(ev.CopyRetrieved(job, uid, data))

    # -- commit ----------------------------------------------------------------------------

    def _commit(self, request: Commit) -> None:
        try:
            self._commit_marked(request)
        finally:
            with self._cond:
                self._committing = False

    def _commit_marked(self, request: Commit, *, retried: bool = False) -> None:
        keys = tuple(dict.fromkeys(request.uids))
        if not keys:
            self._emit(ev.CommitDone((), (), "Nothing was marked; nothing was deleted."))
            return
        if self._client is None and (self._credentials is None or not self._reconnect()):
            self._emit(ev.CommitFailed("Not connected to the server: nothing was deleted. "
                                       "Your marks are kept."))
            return
        client = self._client
        assert client is not None
        present: list[MessageInfo] = []
        sent: list[MessageInfo] = []
        acked: list[str] = []
        quit_sent = False
        try:
            # Numbers are valid for this connection only: name the targets again, and check
            # every fingerprint with a fresh TOP (all at once) before any DELE.
            listed, _ = client.listing()
            sizes = {fingerprint_size(k) for k in keys if is_fingerprint(k)}
            current, _, _ = self._identify(client, listed, sizes)
            by_key = {m.uid: m for m in current}
            present = [by_key[k] for k in keys if k in by_key]
            missing = tuple(k for k in keys if k not in by_key)
            refused: list[str] = []
            commands = [f"DELE {m.number}" for m in present]

            def note_sent(count: int) -> None:
                sent[:] = present[:count]

            for index, status, _ in client.pipeline(commands, multiline=False,
                                                    window=self._window or DEFAULT_WINDOW,
                                                    on_send=note_sent):
                (refused if isinstance(status, Pop3Error) else acked).append(present[index].uid)
            if refused:
                # The only RSET popui sends: it undoes DELEs of this connection, and on
                # Dovecot also the seen flags its RETRs set, so it is never sent otherwise.
                client.rset()
                self._emit(ev.CommitFailed(
                    f"The server refused to delete {len(refused)} of {len(present)} messages; "
                    "RSET was acknowledged, so nothing was deleted. Your marks are kept."))
                return
            quit_sent = True
            client.quit()
        except Pop3Error as exc:
            self._drop()
            if not sent and not retried and isinstance(exc, ConnectionLost):
                # the link was already dead (no DELE went out): once more on a new one
                self._emit(ev.ConnectionLost(str(exc), 0.0))
                self._commit_marked(request, retried=True)
                return
            if not sent:
                self._emit(ev.CommitFailed(f"{exc} Nothing was deleted; your marks are kept."))
                return
            what = ("The server did not confirm QUIT" if quit_sent else
                    f"The connection failed after {len(sent)} of {len(present)} DELE "
                    f"commands were sent ({len(acked)} confirmed), before QUIT")
            self._emit(ev.CommitFailed(
                f"{what} ({exc}). A standard server deletes nothing then, but some "
                "(Eudora QPOP) apply deletions on any disconnect, so up to "
                f"{_messages(len(sent))} may be gone. "
                "Reconnecting to check; your marks are kept.",
                maybe_deleted=tuple(m.uid for m in sent),
            ))
            self._after_failed_commit([m.uid for m in sent])
            return
        self._client = None
        freed = sum(by_key[k].size for k in acked)
        # what we deleted did not "vanish": keep it out of the next listing's report
        committed = set(keys)
        self._messages = tuple(m for m in self._messages if m.uid not in committed)
        skipped = (f" {_messages(len(missing))} had gone or changed since marked, and "
                   "stayed as they were." if missing else "")
        self._emit(ev.CommitDone(
            tuple(acked), missing,
            f"The server confirmed deleting {_messages(len(acked))} ({human_size(freed)})."
            + skipped,
        ))
        if request.reconnect:
            self._reconnect()

    def _after_failed_commit(self, sent: list[str]) -> None:
        """Reconnect and say which of the messages a DELE was sent for are really gone."""
        if not self._reconnect():
            return
        gone = tuple(k for k in sent if k not in self._by_uid)
        kept = tuple(k for k in sent if k in self._by_uid)
        self._emit(ev.CommitChecked(gone, kept))


def _messages(count: int) -> str:
    return f"{count} message{'' if count == 1 else 's'}"


class _Slices:
    """Header blocks handed on in slices: ``REPORT_EVERY`` of them, or what came in
    ``REPORT_INTERVAL`` seconds, whichever is first."""

    def __init__(self, report: Callable[[list[tuple[str, bytes]]], None]) -> None:
        self._report = report
        self._items: list[tuple[str, bytes]] = []
        self._due = time.monotonic() + REPORT_INTERVAL

    def add(self, uid: str, block: bytes) -> None:
        self._items.append((uid, block))
        if len(self._items) >= REPORT_EVERY or time.monotonic() >= self._due:
            self.flush()

    def flush(self) -> None:
        if self._items:
            self._report(self._items)
            self._items = []
        self._due = time.monotonic() + REPORT_INTERVAL


def _throttled(report: Callable[[int], None]) -> Callable[[int], None]:
    """A progress callback that passes on at most one report per ``PROGRESS_INTERVAL``."""
    next_at = 0.0

    def progress(count: int) -> None:
        nonlocal next_at
        now = time.monotonic()
        if now >= next_at:
            next_at = now + PROGRESS_INTERVAL
            report(count)

    return progress
