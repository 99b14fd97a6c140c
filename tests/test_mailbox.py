"""The Mailbox model without the UI: identities, the store, marks across runs."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from engine_support import dovecot_account
from fault_server import PASSWORD, USER, FaultServer, fault_server, make_message
from mailbox_support import Driver

import popui.mailbox.model
from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.identity import is_fingerprint
from popui.store.state import DB_NAME, LocalState


def _open(server: FaultServer, state: Path) -> tuple[Mailbox, Driver]:
    account = Account(name="m", host=server.host, port=server.port, security="none",
                      user=USER, auth="user", timeout=5.0)
    mailbox = Mailbox(account, store_folder=state, session_options={"backoff": (0.01,)})
    driver = Driver(mailbox)
    mailbox.connect(Credentials(password=PASSWORD))
    driver.until(ev.Listing)
    driver.until(ev.Event, lambda e: mailbox.loaded == len(mailbox.rows))
    return mailbox, driver


def test_no_uidl_marks_last_across_runs_by_fingerprint_and_the_cache_keeps_none(
    tmp_path: Path,
) -> None:
    messages = [(f"REL-{n}", make_message(n)) for n in range(1, 5)]
    with fault_server("no-uidl", messages) as server:
        mailbox, driver = _open(server, tmp_path)
        assert all(is_fingerprint(key) for key in mailbox.rows)
        by_subject = {row.subject: key for key, row in mailbox.rows.items()}
        mailbox.mark([by_subject["message 2"], by_subject["message 3"]])
        mailbox.stop()
        # another client deletes message 2 (and so renumbers 3 and 4) while popui is away
        server.mailbox.remove([server.mailbox.snapshot()[1]])

        again, driver = _open(server, tmp_path)
        changed = next(e for e in driver.seen if isinstance(e, up.MarksChanged))
        assert again.marks == {by_subject["message 3"]}
        assert again.rows[by_subject["message 3"]].subject == "message 3"
        assert changed.message == ("1 mark from your last session restored; nothing was "
                                   "deleted. 1 saved mark dropped: its message is no longer on "
                                   "the server.")
        again.commit(sorted(again.marks))
        assert driver.until(ev.CommitDone).deleted == (by_subject["message 3"],)
        again.stop()
    assert server.deleted == ["REL-2", "REL-3"]
    with LocalState(tmp_path, again.account.keyring_user) as store:
        assert store.summaries(list(by_subject.values())) == {}  # never fingerprints
        assert store.marks() == set()  # committed marks are gone from the store too


def test_a_damaged_cache_row_is_fetched_again_not_shown(mailbox, tmp_path: Path) -> None:
    """Rows are filled from cached summaries as they are; one that is not what popui writes
    (no subject, a date no clock can show) is left out and its headers come from the server."""
    mailbox.fill(3)
    account = dovecot_account(mailbox)

    def opened() -> tuple[Mailbox, Driver]:
        box = Mailbox(account, store_folder=tmp_path)
        driver = Driver(box)
        box.connect(Credentials(password=mailbox.password))
        driver.until(up.CacheDone)
        box.fetch(box.unloaded(box.rows.values()))  # as the screen does: what the cache lacks
        driver.until(ev.Event, lambda e: len(box.rows) == 3 and box.loaded == 3)
        return box, driver

    first, _ = opened()
    subjects = {key: row.subject for key, row in first.rows.items()}
    first.stop()
    keys = sorted(subjects)
    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("UPDATE list_rows SET subject = NULL WHERE uid = ?", (keys[0],))
        db.execute("UPDATE list_rows SET date_utc = 10000000000000 WHERE uid = ?", (keys[1],))
    again, driver = opened()
    try:
        assert {key: row.subject for key, row in again.rows.items()} == subjects
        assert not any(row.error for row in again.rows.values())
        from_server = {key for e in driver.seen if isinstance(e, up.HeadersParsed)
                       and not e.cached for key, _ in e.rows}
        assert from_server == {keys[0], keys[1]}
    finally:
        again.stop()


def test_the_cache_is_read_before_the_first_listing_and_fills_it(
        mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read ahead in a child process while the login runs, so it does not compete with the
    UI's start-up; the first listing's rows come from it."""
    mailbox.fill(3)
    account = dovecot_account(mailbox)
    assert Mailbox(account).cache_read.is_set()  # no store: nothing to wait for
    first = Mailbox(account, store_folder=tmp_path)
    driver = Driver(first)
    first.connect(Credentials(password=mailbox.password))
    driver.until(up.CacheDone)
    first.fetch(first.unloaded(first.rows.values()))
    driver.until(ev.Event, lambda e: len(first.rows) == 3 and first.loaded == 3)
    first.stop()

    again = Mailbox(account, store_folder=tmp_path)
    try:
        assert again.cache_read.wait(10)
        assert again._read_ahead is not None and set(again._read_ahead) == set(first.rows)
        driver = Driver(again)
        again.connect(Credentials(password=mailbox.password))
        driver.until(up.CacheDone)
        assert again.loaded == 3 and again._read_ahead is None  # taken by the first listing
        assert all(e.cached for e in driver.seen if isinstance(e, up.HeadersParsed))
    finally:
        again.stop()

    def read_at_the_listing() -> None:
        box = Mailbox(account, store_folder=tmp_path)
        try:
            assert box.cache_read.wait(10) and box._read_ahead is None
            driver = Driver(box)
            box.connect(Credentials(password=mailbox.password))
            driver.until(up.CacheDone)
            assert box.loaded == 3
        finally:
            box.stop()

    # a cache too big to hold whole is read as the listing passes, a chunk at a time
    monkeypatch.setattr(popui.mailbox.model, "READ_AHEAD_ROWS", 2)
    read_at_the_listing()
    # a child that cannot read is only a shortcut lost: the listing reads the cache itself
    monkeypatch.setattr(popui.mailbox.model, "READ_AHEAD_ROWS", 20)
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child it starts fails
    read_at_the_listing()
