"""Local state: opened marks and the header cache, per account, private, thread-safe."""

from __future__ import annotations

import sqlite3
import stat
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from popui.mail.headers import summarize_headers
from popui.rows import Row
from popui.store import state as state_module
from popui.store.read_ahead import ReadAhead
from popui.store.state import DB_NAME, READ_ALL, LocalState


def test_opened_marks(tmp_path: Path) -> None:
    with LocalState(tmp_path, "ann@pop.example:995") as state:
        assert not state.is_opened("uid-1")
        state.mark_opened("uid-1")
        state.mark_opened("uid-1")
        state.mark_opened("uid-2")
        assert state.is_opened("uid-1")
        assert state.opened_uids() == {"uid-1", "uid-2"}
    with LocalState(tmp_path, "ann@pop.example:995") as again:  # survives a restart
        assert again.opened_uids() == {"uid-1", "uid-2"}
    with LocalState(tmp_path, "bob@pop.example:995") as other:  # accounts are separate
        assert other.opened_uids() == set()


def _summary(subject: str) -> tuple[object, ...]:
    return summarize_headers(f"Subject: {subject}\r\nFrom: A <a@x.example>\r\n"
                             "Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n\r\n".encode()).to_row()


def test_header_cache_keeps_parsed_summaries(tmp_path: Path) -> None:
    with LocalState(tmp_path, "acct") as state:
        items = [(f"u{i}", _summary(str(i))) for i in range(1200)]
        state.put_summaries(items)
        state.put_summaries([("u0", _summary("replaced"))])
        got = state.summaries([f"u{i}" for i in range(1300)])
        assert len(got) == 1200
        first, last = Row(1, "u0", 10), Row(2, "u1199", 10)
        first.fill_row(got["u0"])
        last.fill_row(got["u1199"])
        assert first.subject == "replaced" and first.date is not None
        assert first.date.utcoffset() == timedelta(hours=1)
        assert last.subject == "1199"
        assert state.summaries([]) == {}
        batches = list(state.all_summaries(batch=500))
        assert [len(b) for b in batches] == [500, 500, 200]
        assert dict(row for batch in batches for row in batch) == got
    with LocalState(tmp_path, "other") as other:
        assert other.summaries(["u1"]) == {}
        assert list(other.all_summaries()) == []


def test_an_older_cache_is_dropped_and_the_rest_of_the_state_kept(tmp_path: Path) -> None:
    """The cache of before (14 columns, three of them no row used) is only a cache: dropped
    and filled again, while marks and opened messages stay."""
    old = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    old.executescript(
        "CREATE TABLE summaries (account TEXT NOT NULL, uid TEXT NOT NULL, subject, from_name,"
        " from_addr, to_, cc, reply_to, date_utc, date_offset, date_raw, message_id, attachment,"
        " content_type, in_reply_to, refs, PRIMARY KEY (account, uid)) WITHOUT ROWID;"
        "CREATE TABLE marks (account TEXT NOT NULL, key TEXT NOT NULL,"
        " PRIMARY KEY (account, key)) WITHOUT ROWID;"
        "INSERT INTO marks VALUES ('acct', 'u7');"
        "INSERT INTO summaries VALUES ('acct', 'u1', 's', '', '', '', '', '', NULL, NULL, '',"
        " '', 0, 'text/plain', '', '');")
    old.close()
    with LocalState(tmp_path, "acct") as state:
        assert state.marks() == {"u7"}
        assert state.summaries(["u1"]) == {} and list(state.all_summaries()) == []
        state.put_summaries([("u1", _summary("new"))])
        row = Row(1, "u1", 10)
        row.fill_row(state.summaries(["u1"])["u1"])
        assert row.subject == "new"


def test_the_cache_is_read_ahead_in_a_child_process(tmp_path: Path) -> None:
    with LocalState(tmp_path, "acct") as state:
        state.put_summaries([(f"u{i}", _summary(str(i))) for i in range(30)])
        expected = state.summaries([f"u{i}" for i in range(30)])
    with LocalState(tmp_path, "other") as other:
        other.put_summaries([("x1", _summary("another account's"))])
    path = tmp_path / DB_NAME
    assert ReadAhead(path, READ_ALL, "acct", 30).rows() == expected
    assert ReadAhead(path, READ_ALL, "acct", 29).rows() is None  # too many to hold: None
    assert ReadAhead(path, READ_ALL, "nobody", 30).rows() == {}
    assert ReadAhead(tmp_path / "missing.sqlite3", READ_ALL, "acct", 30).rows() is None
    path.with_name("damaged").write_bytes(b"not a database" * 100)
    assert ReadAhead(path.with_name("damaged"), READ_ALL, "acct", 30).rows() is None


def test_prune_forgets_messages_gone_from_the_server(tmp_path: Path) -> None:
    with LocalState(tmp_path, "acct") as state, LocalState(tmp_path, "other") as other:
        state.put_summaries([("a", _summary("1")), ("b", _summary("2"))])
        state.mark_opened("a")
        state.mark_opened("b")
        other.mark_opened("a")
        state.prune(["b"])
        assert set(state.summaries(["a", "b"])) == {"b"}
        assert state.opened_uids() == {"b"}
        assert other.opened_uids() == {"a"}


def test_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "popui"
    LocalState(folder, "acct").close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / DB_NAME).stat().st_mode) == 0o600


def test_damaged_database_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    with LocalState(tmp_path, "acct") as state:
        state.mark_opened("x")
        assert state.is_opened("x")
    assert len(list(tmp_path.glob(f"{DB_NAME}.damaged-*"))) == 1


def test_shared_between_threads(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    row = _summary("shared")
    with LocalState(tmp_path, "acct") as state:

        def work(n: int) -> None:
            try:
                for i in range(100):
                    state.put_summaries([(f"{n}-{i}", row)])
                    state.mark_opened(f"{n}-{i}")
                    assert state.summaries([f"{n}-{i}"]) == {f"{n}-{i}": row}
            except BaseException as exc:  # reported to the main thread below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert len(state.opened_uids()) == 400


def test_a_locked_database_is_not_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another popui holding a lock is no reason to throw its state away; in WAL mode it is
    not even a reason to wait: opening and reading go on beside its write."""
    with LocalState(tmp_path, "acct") as state:
        state.mark_opened("x")
    monkeypatch.setattr(state_module, "BUSY_TIMEOUT", 0.05)
    holder = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with LocalState(tmp_path, "acct") as during:
            assert during.is_opened("x")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                during.mark_opened("y")  # a second writer still waits, then gives up
    finally:
        holder.close()
    assert list(tmp_path.glob(f"{DB_NAME}.damaged-*")) == []
    with LocalState(tmp_path, "acct") as again:
        assert again.is_opened("x")
