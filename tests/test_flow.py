"""Flow control: raw header blocks never pile up behind a slower parser."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from engine_support import dovecot_account
from mailbox_support import Driver

import popui.mailbox.model
import popui.pop3.session
from popui.mail.headers import SummaryRow, summarize_row
from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.mailbox.flow import Budget
from popui.pop3 import events as ev
from popui.pop3.account import Credentials


def until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Wait for a condition another thread makes true (polled, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.001)


def test_take_waits_for_room_and_close_lets_everyone_go() -> None:
    budget = Budget(10)
    budget.take(8)
    budget.take(2)  # exactly full
    done = threading.Event()

    def taker() -> None:
        budget.take(5)
        done.set()

    thread = threading.Thread(target=taker)
    thread.start()
    until(lambda: budget.waiting == 1, "the third take waits")
    budget.give(4)  # 6 + 5 > 10: still no room
    assert budget.waiting == 1 and budget.used == 6 and not done.is_set()
    budget.give(1)
    assert done.wait(5) and budget.used == 10
    thread.join()
    budget.close()
    budget.take(100)  # closed: never waits
    assert budget.used == 110


def test_one_take_bigger_than_the_limit_goes_through_alone() -> None:
    budget = Budget(10)
    budget.take(50)  # nothing else in flight: waiting could never end
    assert budget.used == 50
    budget.give(50)
    assert budget.used == 0


@contextmanager
def held_parser(mailbox, tmp_path, monkeypatch: pytest.MonkeyPatch, *, limit: int,
                summarize: Callable[[bytes], SummaryRow] = summarize_row,
                ) -> Iterator[tuple[Mailbox, Driver, threading.Event]]:
    """A Mailbox that parses at home, in slices of five blocks, each parse held until the
    gate opens; at most ``limit`` blocks unparsed."""
    monkeypatch.setattr(popui.mailbox.model, "UNPARSED_LIMIT", limit)
    monkeypatch.setattr(popui.pop3.session, "REPORT_EVERY", 5)
    monkeypatch.setattr(popui.pop3.session, "REPORT_INTERVAL", 60.0)  # slices by count only
    gate = threading.Event()

    def held(raw: bytes) -> SummaryRow:
        gate.wait(20)
        return summarize(raw)

    monkeypatch.setattr(popui.mailbox.model, "summarize_row", held)
    box = Mailbox(dovecot_account(mailbox), store_folder=tmp_path, parse_elsewhere_from=None)
    driver = Driver(box)
    try:
        box.connect(Credentials(password=mailbox.password))
        driver.until(up.CacheDone)
        yield box, driver, gate
    finally:
        gate.set()
        box.stop()


def test_the_session_waits_while_the_parser_is_behind(mailbox, tmp_path, monkeypatch) -> None:
    """With the parsing held up, the session thread stops handing over header blocks at the
    limit (TCP then holds the server back); once parsing goes on, every row fills."""
    mailbox.fill(60)
    with held_parser(mailbox, tmp_path, monkeypatch, limit=10) as (box, driver, gate):
        box.fetch(tuple(box.rows))
        budget = box._unparsed
        until(lambda: budget.waiting == 1, "the session thread waits for the parser")
        assert budget.used == 10  # two slices handed over, none parsed
        gate.set()
        driver.until(up.HeadersParsed, lambda e: box.loaded == len(box.rows) == 60)
        assert budget.used == 0 and budget.waiting == 0
        assert all(row.subject for row in box.rows.values())


def test_a_block_the_summariser_fails_on_fails_its_row_and_frees_its_place(
        mailbox, tmp_path, monkeypatch) -> None:
    """The summariser promises never to raise; if it did, that row fails (and says so), the
    others fill, and the session never waits for room the failure took."""
    mailbox.fill(40)

    def fussy(raw: bytes) -> SummaryRow:
        if b"Subject: Test message 00007\r" in raw or b"Subject: Test message 00023\r" in raw:
            raise RuntimeError("boom")
        return summarize_row(raw)

    with held_parser(mailbox, tmp_path, monkeypatch, limit=10, summarize=fussy) as (
            box, driver, gate):
        gate.set()
        box.fetch(tuple(box.rows))
        driver.until(ev.HeadersFailed)
        driver.until(up.HeadersParsed, lambda e: box.loaded == len(box.rows) == 40)
        failed = [row for row in box.rows.values() if row.error]
        assert len(failed) == 2
        assert box._unparsed.used == 0


def test_stopping_frees_a_session_waiting_for_the_parser(mailbox, tmp_path, monkeypatch) -> None:
    mailbox.fill(30)
    with held_parser(mailbox, tmp_path, monkeypatch, limit=5) as (box, _, gate):
        box.fetch(tuple(box.rows))
        until(lambda: box._unparsed.waiting == 1, "the session thread waits")
        session = box.session
        assert session is not None and session._thread is not None
        stopper = threading.Thread(target=box.stop)
        stopper.start()
        # the parser is still held up: only stopping can free the session thread
        session._thread.join(15)
        assert not session._thread.is_alive()
        gate.set()
        stopper.join(15)
        assert not stopper.is_alive()
