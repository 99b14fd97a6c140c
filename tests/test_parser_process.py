"""A big fill is summarised in a child process on another core; the rows are the same as when
the Mailbox parses them itself, the cache gets them, and a child that dies loses nothing."""

from __future__ import annotations

import io
import marshal
import struct

from engine_support import dovecot_account
from mailbox_support import Driver

from popui.mail.headers import SummaryRow, summarize_headers, summarize_row
from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.mailbox.parser_process import serve
from popui.pop3 import events as ev
from popui.pop3.account import Credentials
from popui.store.state import LocalState


def filled(mailbox, tmp_path, **options) -> tuple[Mailbox, Driver]:
    box = Mailbox(dovecot_account(mailbox), store_folder=tmp_path, **options)
    driver = Driver(box)
    box.connect(_credentials(mailbox))
    driver.until(ev.Listing)
    driver.until(up.CacheDone)
    box.fetch(tuple(box.rows))
    driver.until(up.HeadersParsed, lambda e: box.loaded == len(box.rows))
    return box, driver


def _credentials(mailbox) -> Credentials:
    return Credentials(password=mailbox.password)


def test_rows_summarised_in_the_child_match_those_summarised_at_home(mailbox, tmp_path) -> None:
    mailbox.fill(120)
    away, _ = filled(mailbox, tmp_path / "away", parse_elsewhere_from=1)
    try:
        assert away._parser is not None and away._parser.batches  # the child did the work
        home, _ = filled(mailbox, tmp_path / "home", parse_elsewhere_from=None)
        try:
            assert home._parser is None
            assert {k: (r.subject, r.sender, r.date, r.to, r.message_id, r.references)
                    for k, r in away.rows.items()} == \
                   {k: (r.subject, r.sender, r.date, r.to, r.message_id, r.references)
                    for k, r in home.rows.items()}
            assert len(away.rows) == 120
        finally:
            home.stop()
    finally:
        away.stop()
    with LocalState(tmp_path / "away", away.account.keyring_user) as store:  # cached too
        assert len(store.summaries(list(away.rows))) == 120


def test_a_child_that_dies_loses_no_row(mailbox, tmp_path) -> None:
    mailbox.fill(150)
    box = Mailbox(dovecot_account(mailbox), store_folder=tmp_path, parse_elsewhere_from=1)
    driver = Driver(box)
    try:
        box.connect(_credentials(mailbox))
        driver.until(up.CacheDone)
        assert box._parser is not None
        box._parser.kill()
        box.fetch(tuple(box.rows))
        driver.until(up.HeadersParsed, lambda e: box.loaded == len(box.rows) == 150)
        assert all(row.subject for row in box.rows.values())
        assert box._unparsed.used == 0  # what the child had was given back, and parsed
    finally:
        box.stop()


def test_the_child_gives_back_what_it_could_not_summarise(monkeypatch) -> None:
    """A block the summariser raises on comes back as None (parsed again at home, where the
    failure is reported as always); the others are rows the cache can store."""
    import popui.mail.headers

    def fussy(raw: bytes) -> SummaryRow:
        if b"boom" in raw:
            raise ValueError("boom")
        return summarize_row(raw)

    monkeypatch.setattr(popui.mail.headers, "summarize_row", fussy)
    good = b"Subject: hello\r\nFrom: A <a@example.org>\r\n\r\n"
    data = marshal.dumps((7, [("a", good), ("b", b"Subject: boom\r\n\r\n")]))
    source = io.BytesIO(struct.pack("!I", len(data)) + data)
    sink = io.BytesIO()
    serve(source, sink)
    out = sink.getvalue()
    tag, rows = marshal.loads(out[4:])
    assert tag == 7
    assert rows[0] == ("a", summarize_headers(good).to_row())
    assert rows[1] == ("b", None)


def test_a_flood_of_batches_does_not_wedge_the_pipes() -> None:
    """Megabytes of blocks sent while answers come back: the writer must not hold what the
    reader needs (a full pipe each way once deadlocked the fill)."""
    import threading
    import time

    from popui.mailbox.parser_process import ParserProcess

    got: list[str] = []
    done = threading.Event()
    total = 40 * 200

    def rows(parsed: list) -> None:
        time.sleep(0.01)  # a busy parent: the child's answers pile up in the pipe meanwhile
        got.extend(key for key, _ in parsed)
        if len(got) == total:
            done.set()

    parser = ParserProcess(rows, lambda blocks: None)
    assert parser.start()
    try:
        block = b"Subject: x\r\nReceived: " + b"y" * 2000 + b"\r\n\r\n"

        def send() -> None:
            for batch in range(40):
                parser.submit([(f"{batch}-{i}", block) for i in range(200)])

        threading.Thread(target=send, daemon=True).start()  # a wedged send must not hang us
        assert done.wait(60), f"{len(got)} of {total} rows came back"
    finally:
        parser.stop()


def test_a_child_that_dies_in_the_middle_of_a_batch_gives_every_block_back() -> None:
    """A batch goes out in frames of FRAME_BLOCKS: when the child dies after the first, that
    frame comes back from the reader and the frames not sent from `submit`, each block once."""
    import threading
    import time

    from popui.mailbox.parser_process import FRAME_BLOCKS, ParserProcess

    back: list[str] = []
    lock = threading.Lock()

    def lost(blocks: list) -> None:
        with lock:
            back.extend(key for key, _ in blocks)

    parser = ParserProcess(lambda rows: None, lost)
    assert parser.start()
    real_send = parser._send
    frames: list[int] = []

    def send_then_die(blocks):  # type: ignore[no-untyped-def]
        sent = real_send(blocks)
        if not frames:
            parser.kill()
            deadline = time.monotonic() + 10
            while parser.alive and time.monotonic() < deadline:  # the reader sees it die
                time.sleep(0.01)
        frames.append(len(blocks))
        return sent

    parser._send = send_then_die  # type: ignore[method-assign]
    keys = [f"k{i}" for i in range(3 * FRAME_BLOCKS + 7)]
    try:
        assert parser.submit([(key, b"Subject: x\r\n\r\n") for key in keys])
        assert frames[0] == FRAME_BLOCKS and not parser.alive
        deadline = time.monotonic() + 10
        while len(back) < len(keys) and time.monotonic() < deadline:  # the reader's share
            time.sleep(0.01)
        with lock:
            assert sorted(back) == sorted(keys)  # all of them, none twice
    finally:
        parser.stop()
