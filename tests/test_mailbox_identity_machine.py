"""A state machine over mark / unmark / commit / reconnect / changes made by other clients, on
servers without unique UIDLs: popui never deletes a message the user did not mark.

Every message has the same size, so only the header fingerprint tells them apart, and the
mailbox changes behind popui's back (deletions, arrivals, a message replaced by a stranger of
the same size) between reconnects.
"""

from __future__ import annotations

import itertools

from fault_server import PASSWORD, USER, FaultServer, NoUidl, Session, StoredMessage
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from mailbox_support import Driver

from popui.mailbox import Mailbox
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.client import header_block
from popui.pop3.identity import fingerprint, is_fingerprint
from popui.pop3.requests import Refresh


def _message(tag: str) -> bytes:
    """Every message the same size: the header block alone names it (``tag`` is 6 chars)."""
    return (f"From: Someone <someone@example.com>\r\nSubject: msg {tag}\r\n"
            f"Message-ID: <{tag}@machine.example>\r\n\r\nbody of {tag}\r\n").encode()


class _SharedUidl(FaultServer):
    """Pairs of messages share a UIDL (as after a botched migration)."""

    def uid(self, session: Session, n: int, message: StoredMessage) -> str:
        return f"pair-{(n + 1) // 2}"


class _NoUidlServer(NoUidl):
    pass


class IdentityMachine(RuleBasedStateMachine):
    server_class: type[FaultServer] = _NoUidlServer

    def __init__(self) -> None:
        super().__init__()
        self.names = (f"{n:06d}" for n in itertools.count())
        self.server = self.server_class([(tag, _message(tag))
                                         for tag in itertools.islice(self.names, 5)])
        self.server.start()
        account = Account(name="machine", host=self.server.host, port=self.server.port,
                          security="none", user=USER, auth="user", timeout=5.0)
        self.mailbox = Mailbox(account, session_options={"backoff": (0.01, 0.05, 0.2)})
        self.driver = Driver(self.mailbox)
        self.mailbox.connect(Credentials(password=PASSWORD))
        self._listed()

    def _listed(self) -> None:
        listing = self.driver.until(ev.Listing)
        # the header blocks read for the fingerprints come right after; the rest as the
        # list would ask for them
        self.mailbox.want_headers(m.uid for m in listing.messages)
        want = len(listing.messages)
        if want:
            self.driver.until(ev.Event, lambda e: self.mailbox.loaded >= want)

    def _rows(self) -> list[str]:
        return sorted(self.mailbox.rows, key=lambda key: self.mailbox.rows[key].number)

    def _tag(self, key: str) -> str:
        return self.mailbox.rows[key].subject.removeprefix("msg ")

    @rule(index=st.integers(0, 9))
    def toggle_mark(self, index: int) -> None:
        rows = self._rows()
        if rows:
            self.mailbox.toggle_mark(rows[index % len(rows)])

    @rule()
    def reconnect(self) -> None:
        self.mailbox.submit(Refresh())
        self._listed()

    @rule(index=st.integers(0, 9))
    def another_client_deletes(self, index: int) -> None:
        stored = self.server.mailbox.snapshot()
        if stored:
            self.server.mailbox.remove([stored[index % len(stored)]])

    @rule()
    def new_mail_arrives(self) -> None:
        tag = next(self.names)
        self.server.mailbox.add(tag, _message(tag))

    @rule(index=st.integers(0, 9))
    def a_stranger_takes_a_place(self, index: int) -> None:
        """Message i goes; a new one of the same size arrives (often taking its number)."""
        stored = self.server.mailbox.snapshot()
        if stored:
            self.server.mailbox.remove([stored[index % len(stored)]])
            tag = next(self.names)
            self.server.mailbox.add(tag, _message(tag))

    @rule()
    def commit(self) -> None:
        marked = set(self.mailbox.marks)
        if not marked:
            return
        seen_as = {self._tag(key) for key in marked}
        before = len(self.server.deleted)
        self.mailbox.commit(sorted(marked))
        self.driver.until(ev.CommitDone)
        deleted = set(self.server.deleted[before:])
        assert deleted <= seen_as, f"deleted {deleted - seen_as}, never marked"
        self._listed()
        assert not (self.mailbox.marks & marked)

    @invariant()
    def rows_show_their_own_message(self) -> None:
        for key, row in self.mailbox.rows.items():
            if is_fingerprint(key) and row.loaded:
                data = _message(self._tag(key))
                assert key == fingerprint(len(data), header_block(data)), row.subject

    def teardown(self) -> None:
        self.mailbox.stop()
        self.server.stop()


class SharedUidlMachine(IdentityMachine):
    server_class = _SharedUidl


MACHINE_SETTINGS = settings(max_examples=12, stateful_step_count=12, deadline=None)
TestNoUidl = IdentityMachine.TestCase
TestNoUidl.settings = MACHINE_SETTINGS
TestSharedUidl = SharedUidlMachine.TestCase
TestSharedUidl.settings = MACHINE_SETTINGS
