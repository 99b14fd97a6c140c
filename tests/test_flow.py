"""Flow control: raw header blocks never pile up behind a slower parser."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from engine_support import dovecot_account
from mailbox_support import Driver

import popui.mailbox.model
import popui.pop3.session
from popui.mail.headers import HeaderSummary, summarize_headers
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
    assert not done.is_set() and budget.used == 10
    budget.give(4)  # 6 + 5 > 10: still no room
    assert not done.wait(0.05)
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


def test_the_session_waits_while_the_parser_is_behind(mailbox, tmp_path, monkeypatch) -> None:
    """With the parsing held up, the session thread stops handing over header blocks at the
    limit (TCP then holds the server back); once parsing goes on, every row fills."""
    mailbox.fill(60)
    monkeypatch.setattr(popui.mailbox.model, "UNPARSED_LIMIT", 10)
    monkeypatch.setattr(popui.pop3.session, "REPORT_EVERY", 5)  # slices of five blocks
    gate = threading.Event()

    def held_up(raw: bytes) -> HeaderSummary:
        gate.wait(20)
        return summarize_headers(raw)

    monkeypatch.setattr(popui.mailbox.model, "summarize_headers", held_up)
    box = Mailbox(dovecot_account(mailbox), store_folder=tmp_path, parse_elsewhere_from=None)
    driver = Driver(box)
    try:
        box.connect(Credentials(password=mailbox.password))
        driver.until(up.CacheDone)
        box.fetch(tuple(box.rows))
        budget = box._unparsed
        until(lambda: budget.waiting == 1, "the session thread waits for the parser")
        assert budget.used == 10  # two slices handed over, none parsed
        gate.set()
        driver.until(up.HeadersParsed, lambda e: box.loaded == len(box.rows) == 60)
        assert budget.used == 0 and budget.waiting == 0
        assert all(row.subject for row in box.rows.values())
    finally:
        gate.set()
        box.stop()


def test_stopping_frees_a_session_waiting_for_the_parser(mailbox, tmp_path, monkeypatch) -> None:
    mailbox.fill(30)
    monkeypatch.setattr(popui.mailbox.model, "UNPARSED_LIMIT", 5)
    monkeypatch.setattr(popui.pop3.session, "REPORT_EVERY", 5)
    gate = threading.Event()
    monkeypatch.setattr(popui.mailbox.model, "summarize_headers",
                        lambda raw: (gate.wait(20), summarize_headers(raw))[1])
    box = Mailbox(dovecot_account(mailbox), store_folder=tmp_path, parse_elsewhere_from=None)
    driver = Driver(box)
    try:
        box.connect(Credentials(password=mailbox.password))
        driver.until(ev.Listing)
        box.fetch(tuple(box.rows))
        until(lambda: box._unparsed.waiting == 1, "the session thread waits")
        session = box.session
        assert session is not None and session._thread is not None
        stopper = threading.Thread(target=box.stop)
        stopper.start()
        # the parser is still held up: only stopping can free the session thread
        session._thread.join(15)
        assert not session._thread.is_alive()
    finally:
        gate.set()
    stopper.join(15)
    assert not stopper.is_alive()
