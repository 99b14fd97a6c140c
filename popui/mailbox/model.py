"""The Mailbox: one account's messages as the UI sees them, with no Textual in it.

It owns the POP3 session, the rows (one per message identity), the delete marks, the local
store and the one connection state. Data flows one way:

    session thread ──events──▶ events thread (parses headers) ──post──▶ UI thread: deliver()
                                     │                                      │
                                     └──────── store thread (SQLite) ◀──────┘

``post`` is given by the UI and must be thread-safe (Textual's ``post_message``); the UI hands
every update back to `deliver` on its own thread, which applies it to the model and then tells
the listeners (the screens). Rows and marks change on the UI thread only. Nothing reads or
writes the store on the UI thread or the socket thread.

A big fill's header blocks go from the events thread to a parser process on another core
(`popui.mailbox.parser_process`), whose rows come back on its reader thread. Updates can come
before a screen is bound (`log_in_early`, the cache read as the listing passes): they wait, in
order, for `bind`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import Any

from popui.credentials import Secrets, Stored, stored_credentials
from popui.mail.headers import SummaryRow, summarize_row
from popui.mail.preview import first_screens
from popui.mailbox import updates as up
from popui.mailbox.connection import ConnectionState
from popui.mailbox.copying import COPY_EVENTS, Copier, CopyJob
from popui.mailbox.flow import Budget
from popui.mailbox.parser_process import ParserProcess
from popui.mailbox.worker import SerialWorker
from popui.mailout import Format
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.identity import is_session_key, is_uidl
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import Commit, Connect, FetchHeaders, Request, RetrieveForCopy
from popui.pop3.session import Pop3Session
from popui.rows import Row
from popui.store.read_ahead import ReadAhead
from popui.store.state import DB_NAME, READ_ALL, LocalState

Listener = Callable[[ev.Event], None]
#: the account's choice for a server without TOP: "retr" (fill the list by RETR) or "sizes"
NO_TOP = "no-top"
#: the choice (`Mailbox.choose`) that keeps where the last copy went
COPY_TO = "copy_to"
#: cached headers are read and parsed in chunks of this many, each posted as it is ready
CACHE_CHUNK = 10000
#: a listing missing at least this many headers has them summarised in a child process, on
#: another core (`popui.mailbox.parser_process`), in batches of at least this many
PARSE_ELSEWHERE_FROM = 2000
PARSE_ELSEWHERE_BATCH = 100
#: Header blocks from the server not yet parsed, at most (~7 MB of realistic headers). Past it
#: the session thread waits for the parser, and TCP holds the server back, instead of raw
#: headers piling up in memory (100 MB at 100,000 messages when parsing is the slower side).
UNPARSED_LIMIT = 4000
#: A header cache of at most this many rows is read ahead, before the first listing
READ_AHEAD_ROWS = 20_000


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Mailbox:
    """See the module docstring. Methods without a note run on the UI thread."""

    def __init__(
        self,
        account: Account,
        *,
        log: ProtocolLog | None = None,
        store_folder: Path | None = None,
        session_options: dict[str, Any] | None = None,
        parse_elsewhere_from: int | None = PARSE_ELSEWHERE_FROM,
    ) -> None:
        self.account = account
        self._parse_elsewhere_from = parse_elsewhere_from if (os.cpu_count() or 1) > 1 else None
        """A fill of at least this many headers is summarised in a child process (None:
        never): see `popui.mailbox.parser_process`."""
        self._parser: ParserProcess | None = None
        self._unparsed = Budget(UNPARSED_LIMIT)
        self.log = log if log is not None else ProtocolLog(0)
        self.session_options = session_options or {}
        self.session: Pop3Session | None = None
        self.rows: dict[str, Row] = {}
        self.marks: set[str] = set()
        self.tags: set[str] = set()
        """Tagged messages (``t``): a selection for copy and save, kept for this session only
        (as mutt's tags); marks are saved because they are a decision to delete."""
        self.pipe_command = ""
        """The last command a message was piped to."""
        self.connection = ConnectionState()
        self.listing = 0
        """Listings taken so far; cache reads for an older one are dropped."""
        self._listings = 0  # the same count, kept by the events thread
        self.loaded = 0
        """Rows whose headers arrived (or failed)."""
        self._post: Listener | None = None
        self._early: list[ev.Event] = []  # emitted before `bind`: handed over by it
        self._post_lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._opened: set[str] = set()
        self._restore: frozenset[str] | None = None  # marks loaded before the first listing
        self._then: list[ev.Event] = []  # the model's own updates, told after the current one
        self._in_doubt: dict[str, Row] = {}  # a DELE was sent, the commit failed: named later
        self.choices: dict[str, str] = {}
        """Choices remembered for the account (`NO_TOP`: "retr" or "sizes")."""
        self._stopped = False
        self._session_lock = threading.Lock()
        self._closed = False
        self.early_login: Future[Stored] | None = None
        """Set by `log_in_early`: the stored secret's lookup, the login under way with it."""
        self._events = SerialWorker("mailbox-events", self._job_failed)
        self._store_worker = SerialWorker("mailbox-store", self._job_failed)
        self._store: LocalState | None = None  # the store thread's alone
        self._copier = Copier(self._emit, self._request_copy, self._job_failed)
        self._copy_jobs = 0
        self.copying: CopyJob | None = None
        """The copy job running now (one at a time)."""
        self._has_store = store_folder is not None
        self.cache_read = threading.Event()
        """Set once the store has read the header cache ahead of the first listing (or found
        none): `popui` waits for it a moment before loading the UI (`start_mailbox`)."""
        self._read_ahead: dict[str, SummaryRow] | None = None  # the store thread's alone
        if store_folder is not None:
            self._store_job(partial(self._open_store, store_folder))
        else:
            self.cache_read.set()

    # -- wiring --------------------------------------------------------------------------------

    def bind(self, post: Listener) -> None:
        """Where updates go: a thread-safe callable that brings them to `deliver` on the UI
        thread. Updates emitted before this are handed over now, in order."""
        with self._post_lock:
            self._post = post
            early, self._early = self._early, []
        for event in early:
            post(event)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` on the UI thread with every update, after the model took it."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _emit(self, event: ev.Event) -> None:
        """Any thread: hand an update to the UI (dropped once stopping)."""
        if self._stopped:
            return
        with self._post_lock:
            post = self._post
            if post is None:
                self._early.append(event)
                return
        with contextlib.suppress(Exception):  # a closing UI must not kill a worker
            post(event)

    def _job_failed(self, error: BaseException) -> None:
        self._emit(up.StoreProblem(f"Local state: {type(error).__name__}: {error}"))

    # -- the session -----------------------------------------------------------------------------

    def connect(self, credentials: Credentials) -> None:
        """Log in (the first time: start the session thread). Any thread."""
        with self._session_lock:
            if self._closed:
                return
            if self.session is None:
                self.session = Pop3Session(self.account, self._from_session, log=self.log,
                                           **self.session_options)
                self.session.start(credentials)
            else:
                self.session.submit(Connect(credentials))

    def log_in_early(self, secrets: Secrets) -> Future[Stored]:
        """Before any screen exists: look up the stored secret on a thread of its own and, when
        there is one, log in at once, so the login's round trips overlap the UI's start-up.
        The future tells the screen what was found (it prompts when nothing was); the events
        wait in order for `bind`."""
        future: Future[Stored] = Future()

        def run() -> None:
            try:
                found = stored_credentials(secrets, self.account)
                if found.credentials is not None:
                    self.connect(found.credentials)
            except BaseException as error:  # the screen reports it
                future.set_exception(error)
            else:
                future.set_result(found)

        self.early_login = future
        threading.Thread(target=run, name="mailbox-login", daemon=True).start()
        return future

    def use_account(self, account: Account) -> None:
        """Connect with ``account`` from now on (e.g. a certificate the user trusted): ends the
        session (``QUIT``, no ``DELE``); the next `connect` starts a new one. Blocks."""
        session, self.session = self.session, None
        if session is not None:
            session.stop()
        self.account = account

    def submit(self, request: Request) -> None:
        if self.session is not None:
            self.session.submit(request)

    def stop(self) -> None:
        """End everything: ``QUIT`` without ``DELE``, then the queued store writes (marks),
        then the threads. Blocks: call it off the UI thread."""
        self._unparsed.close()  # the session thread may be waiting for the parser
        with self._session_lock:
            session, self.session = self.session, None
            self._closed = True  # a late `log_in_early` starts no session now
        if session is not None:
            session.stop()
        self._stopped = True
        if self.copying is not None:
            self.copying.cancelled.set()
        self._copier.stop()
        self._events.stop()
        if self._parser is not None:
            self._parser.stop()
        self._store_job(self._close_store)
        self._store_worker.stop()

    def _from_session(self, event: ev.Event) -> None:
        """Session thread: hand over at once, so the socket thread only moves bytes; header
        blocks wait while `UNPARSED_LIMIT` are not parsed yet (`flow.Budget`)."""
        if isinstance(event, COPY_EVENTS):
            self._copier.take(event)
            return
        if isinstance(event, ev.HeadersFetched):
            self._unparsed.take(len(event.headers))  # given back in `_parsed`
        self._events.submit(partial(self._digest, event))

    def _digest(self, event: ev.Event) -> None:
        """Events thread: parse header blocks (or have the parser process do it), queue them
        for the cache, pass events on."""
        if isinstance(event, ev.HeadersFetched):
            parser = self._parser
            if (parser is None or len(event.headers) < PARSE_ELSEWHERE_BATCH
                    or not parser.submit(event.headers)):
                self._parse_here(event.headers)
        else:
            if isinstance(event, ev.MessageRetrieved):
                self._emit(up.FirstLines(event.uid, first_screens(event.data)))
            self._emit(event)
            if isinstance(event, ev.Listing):
                self._listings += 1
                self._fill_from_cache(event, self._listings)

    def _parse_here(self, blocks: Sequence[tuple[str, bytes]]) -> None:
        """Events thread. A block the summariser fails on (it promises not to) fails its row
        alone, and says so; the flow budget gets every block back either way."""
        rows: list[tuple[str, SummaryRow]] = []
        failed: list[str] = []
        for key, raw in blocks:
            try:
                rows.append((key, summarize_row(raw)))
            except Exception:
                failed.append(key)
        if failed:
            self._unparsed.give(len(failed))
            self._emit(ev.HeadersFailed(tuple(failed), "popui could not read the headers of "
                                        f"{_plural(len(failed), 'message')}."))
        self._parsed(rows)

    def _parsed(self, rows: list[tuple[str, SummaryRow]]) -> None:
        """Events or parser thread: summaries of header blocks from the server, to the cache
        (real UIDLs only) and to the UI."""
        self._unparsed.give(len(rows))
        if not rows:
            return
        cacheable = tuple((key, row) for key, row in rows if is_uidl(key))
        if cacheable:
            self._store_job(lambda: self._store_call(LocalState.put_summaries, cacheable))
        self._emit(up.HeadersParsed(tuple(rows)))

    def _parser_blocks_lost(self, blocks: list[tuple[str, bytes]]) -> None:
        """The parser process died with these (or failed on them): parse them on the events
        thread after all."""
        self._events.submit(partial(self._parse_here, blocks))

    def _start_parser(self) -> None:
        parser = ParserProcess(self._parsed, self._parser_blocks_lost)
        if parser.start():
            self._parser = parser

    # -- the UI thread's one entry -----------------------------------------------------------

    def deliver(self, event: ev.Event) -> None:
        """Apply an update to the model, then tell the listeners."""
        apply = _APPLY.get(type(event))
        if apply is not None:
            apply(self, event)
        self.connection = self.connection.after(event)
        self._tell(event)
        while self._then:
            self._tell(self._then.pop(0))

    def _tell(self, event: ev.Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _take_listing(self, event: ev.Listing) -> None:
        """Rows are rebuilt from identities: a row is kept only for the same identity, never
        for the same position."""
        old = self.rows
        rows: dict[str, Row] = {}
        for info in event.messages:
            row = old.get(info.uid)
            if row is None:
                row = Row(info.number, info.uid, info.size)
            elif row.number != info.number or row.size != info.size:
                row.number, row.size = info.number, info.size
                row.version += 1
            if info.uid in self._opened:
                row.set_opened()
            rows[info.uid] = row
        self.rows = rows
        self.tags.intersection_update(rows)  # in place: the list holds this set
        self.listing += 1
        self.loaded = sum(row.loaded for row in rows.values())
        if self._restore is not None:
            restore, self._restore = self._restore, None
            self._restore_marks(restore)
        gone = {key for key in self.marks if key not in rows}
        self._unmark(gone)
        gone -= self._in_doubt.keys()  # CommitChecked tells of these
        if gone:
            self._then.append(up.MarksChanged(
                f"{_plural(len(gone), 'marked message')} disappeared from the server; "
                f"{'its mark was' if len(gone) == 1 else 'their marks were'} dropped.",
                "warning"))
        keep = tuple(key for key in rows if is_uidl(key))
        self._store_job(lambda: self._store_call(LocalState.prune, keep))

    def _fill(self, event: up.HeadersParsed) -> None:
        if event.cached and event.listing != self.listing:
            return
        for key, values in event.rows:
            row = self.rows.get(key)
            if row is not None:
                loaded = row.loaded
                try:
                    row.fill_row(values)
                except (TypeError, ValueError):  # a damaged cache row: fetched again
                    continue
                if not loaded:
                    self.loaded += 1

    def _headers_failed(self, event: ev.HeadersFailed) -> None:
        for key in event.uids:
            row = self.rows.get(key)
            if row is not None and not row.loaded:
                row.fail()
                self.loaded += 1

    def _retrieved(self, event: ev.MessageRetrieved) -> None:
        self._set_opened(event.uid)

    def _set_opened(self, key: str) -> None:
        row = self.rows.get(key)
        if row is not None:
            row.set_opened()
        if is_uidl(key):  # the opened state is kept for real UIDLs only
            self._opened.add(key)
            self._store_job(lambda: self._store_call(LocalState.mark_opened, key))

    def _opened_loaded(self, event: up.OpenedLoaded) -> None:
        self._opened |= event.keys
        for key in event.keys:
            row = self.rows.get(key)
            if row is not None:
                row.set_opened()

    def _choices_loaded(self, event: up.ChoicesLoaded) -> None:
        self.choices.update(event.choices)

    def choose(self, name: str, value: str) -> None:
        """Remember a choice for the account (saved in the local state)."""
        self.choices[name] = value
        self._store_job(lambda: self._store_call(LocalState.set_choice, name, value))

    def fill_whole(self) -> None:
        """No TOP, and the user agreed: download every message still without its header whole
        (RETR: the server marks each seen) and keep the header."""
        keys = tuple(key for key, row in self.rows.items() if not row.loaded or row.error)
        if keys:
            self.submit(FetchHeaders(keys, whole=True))

    def _marks_loaded(self, event: up.MarksLoaded) -> None:
        if self.listing:
            self._restore_marks(event.keys)
        else:
            self._restore = event.keys

    def _restore_marks(self, keys: frozenset[str]) -> None:
        present = {key for key in keys if key in self.rows}
        gone = frozenset(keys - present)
        self.marks |= present
        if gone:
            self._store_job(lambda: self._store_call(LocalState.remove_marks, gone))
        if not keys:
            return
        words = []
        if present:
            words.append(f"{_plural(len(present), 'mark')} from your last session restored; "
                         "nothing was deleted.")
        if gone:
            words.append(f"{_plural(len(gone), 'saved mark')} dropped: "
                         f"{'its message is' if len(gone) == 1 else 'their messages are'} "
                         "no longer on the server.")
        self._then.append(up.MarksChanged(" ".join(words)))

    def _commit_failed(self, event: ev.CommitFailed) -> None:
        self._in_doubt = {key: row for key in event.maybe_deleted
                          if (row := self.rows.get(key)) is not None}

    def row(self, key: str) -> Row | None:
        """The row of ``key``, or of a message a failed commit may have deleted meanwhile."""
        return self.rows.get(key) or self._in_doubt.get(key)

    def _commit_done(self, event: ev.CommitDone) -> None:
        self._unmark(set(event.deleted) | set(event.missing))

    def _commit_checked(self, event: ev.CommitChecked) -> None:
        self._unmark(set(event.gone))

    # -- marks ---------------------------------------------------------------------------------

    def toggle_mark(self, key: str) -> bool:
        """Flip the mark of one message; True when it is marked now."""
        if key in self.marks:
            self._unmark({key})
            return False
        self.mark([key])
        return True

    def mark(self, keys: Iterable[str]) -> None:
        new = {key for key in keys if key in self.rows and key not in self.marks}
        if new:
            self.marks |= new
            lasting = frozenset(key for key in new if not is_session_key(key))
            if lasting:
                self._store_job(lambda: self._store_call(LocalState.add_marks, lasting))

    def unmark(self, keys: Iterable[str]) -> None:
        self._unmark(set(keys) & self.marks)

    def clear_marks(self) -> None:
        """Forget every mark, saved ones included."""
        self.marks.clear()
        self._store_job(lambda: self._store_call(LocalState.clear_marks))

    def _unmark(self, keys: set[str]) -> None:
        if keys:
            gone = frozenset(keys)  # the caller may change its set before the store runs
            self.marks -= gone
            self._store_job(lambda: self._store_call(LocalState.remove_marks, gone))

    def marked_rows(self) -> list[Row]:
        rows = [row for key in self.marks if (row := self.rows.get(key)) is not None]
        return sorted(rows, key=lambda row: row.number)

    def commit(self, keys: Sequence[str], *, reconnect: bool = True) -> None:
        """Ask the session to delete these messages (it checks each identity again first)."""
        self.submit(Commit(tuple(keys), reconnect=reconnect))

    # -- tags ----------------------------------------------------------------------------------

    def toggle_tag(self, key: str) -> bool:
        """Flip the tag of one message; True when it is tagged now."""
        if key in self.tags:
            self.tags.discard(key)
            return False
        if key in self.rows:
            self.tags.add(key)
        return key in self.tags

    def tag(self, keys: Iterable[str]) -> None:
        self.tags |= {key for key in keys if key in self.rows}

    def untag(self, keys: Iterable[str]) -> None:
        self.tags.difference_update(keys)

    def untag_all(self) -> None:
        self.tags.clear()

    def tagged_rows(self) -> list[Row]:
        rows = [row for key in self.tags if (row := self.rows.get(key)) is not None]
        return sorted(rows, key=lambda row: row.number)

    # -- copying -------------------------------------------------------------------------------

    def copy(self, keys: Sequence[str], dest: str, kind: Format | None = None, *,
             save: bool = False, data: bytes | None = None) -> CopyJob:
        """Copy these messages to ``dest`` (RETR each in turn; or ``data``, the one message's
        bytes, when the caller has them). Progress and the result come as `CopyProgress` and
        `CopyDone`; a save marks the messages copied for deletion, and only those."""
        self._copy_jobs += 1
        sizes = tuple(row.size if (row := self.rows.get(key)) else 0 for key in keys)
        job = CopyJob(self._copy_jobs, tuple(keys), sizes, dest, kind, save, data)
        if dest != self.copy_target:
            self.choose(COPY_TO, dest)
        self.copying = job
        self._copier.start(job)
        return job

    @property
    def copy_target(self) -> str | None:
        """Where the last copy went (kept for the account), at first the account's fetch_to:
        the copy prompt offers it."""
        return self.choices.get(COPY_TO) or self.account.fetch_to

    def _request_copy(self, job: int, key: str) -> None:
        """Copier thread: RETR the next message of a job."""
        if self.session is None:
            self._copier.take(ev.CopyRetrieveFailed(job, key, "not connected"))
        else:
            self.submit(RetrieveForCopy(job, key))

    def _copy_progress(self, event: up.CopyProgress) -> None:
        if event.uid and event.retrieved:
            self._set_opened(event.uid)
        if event.uid and event.save:
            self.mark([event.uid])

    def _copy_done(self, event: up.CopyDone) -> None:
        if self.copying is not None and self.copying.id == event.job:
            self.copying = None
        if event.save:
            self.mark(event.copied)

    # -- headers ---------------------------------------------------------------------------------

    def want_headers(self, keys: Iterable[str], *, interactive: bool = True) -> None:
        """Rows the user is looking at: from the cache when it has them, else from the server
        (an interactive request goes ahead of the background fill)."""
        missing = tuple(key for key in keys if (row := self.rows.get(key)) and not row.loaded)
        if not missing:
            return
        if not self._has_store:
            self.submit(FetchHeaders(missing, interactive))
            return
        listing = self.listing
        self._store_job(lambda: self._from_cache(missing, listing, interactive))

    def _fill_from_cache(self, listing: ev.Listing, number: int) -> None:
        """Events thread, as a listing passes: its rows from the cache, one query, nothing to
        parse, in chunks, then ``CacheDone`` (the screen fetches what is still missing). It
        runs before any screen is there to ask, so a warm start is filled when it appears."""
        wanted = {info.uid for info in listing.messages if is_uidl(info.uid)}

        def read() -> None:
            cached: set[str] = set()
            ahead, self._read_ahead = self._read_ahead, None
            if wanted and self._store is not None:
                try:
                    batches = (self._store.all_summaries(CACHE_CHUNK) if ahead is None
                               else [list(ahead.items())])
                    for batch in batches:
                        if self._listings != number or self._stopped:
                            return
                        found = tuple((key, row) for key, row in batch if key in wanted)
                        if found:
                            cached.update(key for key, _ in found)
                            self._emit(up.HeadersParsed(found, cached=True, listing=number))
                except sqlite3.Error as error:
                    self._emit(up.StoreProblem(f"Local state unreadable: {error}"))
            missing = len(listing.messages) - len(cached)
            if (self._parser is None and self._parse_elsewhere_from is not None
                    and missing >= self._parse_elsewhere_from and not self._stopped):
                self._start_parser()  # before anyone can ask for those headers
            self._emit(up.CacheDone(number))
            if self._post is None:
                # No screen yet to say its order (it asks again when it comes, in its order):
                # the rest from the server at once, newest first, as the list starts out.
                self.submit(FetchHeaders(tuple(info.uid for info in reversed(listing.messages)
                                               if info.uid not in cached)))

        self._store_job(read)

    def fetch(self, keys: Sequence[str]) -> None:
        """Headers from the server in the background, in this order."""
        if keys:
            self.submit(FetchHeaders(tuple(keys)))

    def unloaded(self, order: Iterable[Row]) -> tuple[str, ...]:
        return tuple(row.uid for row in order if not row.loaded)

    # -- the store thread ------------------------------------------------------------------------

    def _store_job(self, job: Callable[[], None]) -> None:
        self._store_worker.submit(job)

    def _open_store(self, folder: Path) -> None:
        # The whole header cache, read in a child process while the app imports and starts
        # (`popui.store.read_ahead`); the first listing takes its rows from there. A cache of
        # more than `READ_AHEAD_ROWS` is read as the listing passes, a chunk at a time: held
        # whole, 100,000 rows would cost ~60 MB more.
        path = folder / DB_NAME
        ahead = (ReadAhead(path, READ_ALL, self.account.keyring_user, READ_AHEAD_ROWS)
                 if path.exists() else None)
        try:
            self._store = LocalState(folder, self.account.keyring_user)
            opened = self._store.opened_uids()
            marks = self._store.marks()
            choices = self._store.choices()
        except (OSError, sqlite3.Error) as error:
            self._store = None
            self._has_store = False
            if ahead is not None:
                ahead.stop()
            self.cache_read.set()
            self._emit(up.StoreProblem(f"Local state unavailable: {error}"))
            return
        self._emit(up.ChoicesLoaded(tuple(choices.items())))
        self._emit(up.OpenedLoaded(frozenset(opened)))
        self._emit(up.MarksLoaded(frozenset(marks)))
        self._read_ahead = ahead.rows() if ahead is not None else None
        self.cache_read.set()

    def _store_call(self, method: Callable[..., Any], *args: Any) -> Any:
        """Store thread: one store operation; a failure is said once, never raised."""
        if self._store is None:
            return None
        try:
            return method(self._store, *args)
        except sqlite3.Error as error:
            self._emit(up.StoreProblem(f"Local state not saved: {error}"))
            return None

    def _cached(self, keys: Sequence[str], listing: int) -> set[str]:
        """Store thread: post the cached summaries of ``keys``; returns the keys found."""
        cached: dict[str, Any] = self._store_call(LocalState.summaries, keys) or {}
        if cached:
            self._emit(up.HeadersParsed(tuple(cached.items()), cached=True, listing=listing))
        return set(cached)

    def _from_cache(self, keys: tuple[str, ...], listing: int, interactive: bool) -> None:
        found = self._cached([key for key in keys if is_uidl(key)], listing)
        rest = tuple(key for key in keys if key not in found)
        if rest and not self._stopped:
            self.submit(FetchHeaders(rest, interactive))

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()


_APPLY: dict[type[ev.Event], Callable[[Mailbox, Any], None]] = {
    ev.Listing: Mailbox._take_listing,
    up.HeadersParsed: Mailbox._fill,
    ev.HeadersFailed: Mailbox._headers_failed,
    ev.MessageRetrieved: Mailbox._retrieved,
    ev.CommitDone: Mailbox._commit_done,
    ev.CommitFailed: Mailbox._commit_failed,
    ev.CommitChecked: Mailbox._commit_checked,
    up.OpenedLoaded: Mailbox._opened_loaded,
    up.MarksLoaded: Mailbox._marks_loaded,
    up.ChoicesLoaded: Mailbox._choices_loaded,
    up.CopyProgress: Mailbox._copy_progress,
    up.CopyDone: Mailbox._copy_done,
}
"""How each kind of update changes the model (the others only reach the listeners)."""
