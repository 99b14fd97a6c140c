"""``popui fetch`` against the private Dovecot: Maildir and mbox copies byte for byte, each
message exactly once across runs (also when a run is cut mid-RETR), --delete removes exactly
what was saved, and usage errors exit 2."""

from __future__ import annotations

import errno
import io
import mailbox as stdlib_mailbox
import os
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest
from fault_server import PASSWORD, USER, fault_server
from fault_server import make_message as make_fault_message
from maildir import as_bytes, make_message
from memory_keyring import MemoryKeyring, using_keyring
from relay import Relay

import popui.__main__ as entry
from popui.cli import commands
from popui.cli.fetch import ProgressBar
from popui.cli.parser import build_command_parser
from popui.mailout import maildir as maildir_writer
from popui.mailout import mbox as mbox_writer
from popui.mailout.download import Progress
from popui.pop3.errors import MessageTooLarge
from popui.pop3.transport import LineReader
from popui.store.fetched import Busy, FetchedRecord

SECRET_COMMAND = 'echo "$POPUI_TEST_SECRET"'


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("POPUI_CONFIG_FILE", str(tmp_path / "config.toml"))
    with using_keyring(MemoryKeyring()):
        yield


def fetch(user: Any, *extra: str, host: str | None = None, port: int | None = None) -> int:
    """``popui fetch`` for the Dovecot ``user`` (or through a relay at host/port)."""
    os.environ["POPUI_TEST_SECRET"] = user.password
    server = user.server
    argv = ["fetch", "--host", host or server.host, "--port", str(port or server.port_plain),
            "--user", user.name, "--security", "none", "--password-command", SECRET_COMMAND]
    return entry.main([*argv, *extra])


def server_copies(user: Any) -> dict[str, bytes]:
    """Message-ID -> the server's file with LF line endings (what a local copy must be)."""
    return {mid: path.read_bytes().replace(b"\r\n", b"\n")
            for mid, path in user.maildir.by_message_id().items()}


def local_maildir(path: Path) -> dict[str, bytes]:
    parser = BytesHeaderParser()
    copies: dict[str, bytes] = {}
    for file in sorted((path / "new").iterdir()):
        data = file.read_bytes()
        mid = str(parser.parsebytes(data).get("Message-ID", "")).strip()
        assert mid not in copies, f"{mid} saved twice"
        copies[mid] = data
    assert list((path / "tmp").iterdir()) == []
    return copies


def mboxrd_unquote(data: bytes) -> bytes:
    return re.sub(rb"(?m)^>(>*From )", rb"\1", data)


def local_mbox(path: Path) -> dict[str, bytes]:
    box = stdlib_mailbox.mbox(path, create=False)
    copies: dict[str, bytes] = {}
    try:
        for key in box.iterkeys():
            data = mboxrd_unquote(box.get_bytes(key))
            mid = str(BytesHeaderParser().parsebytes(data).get("Message-ID", "")).strip()
            assert mid not in copies, f"{mid} saved twice"
            copies[mid] = data
    finally:
        box.close()
    return copies


def summary(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_maildir_copies_are_the_servers_bytes_and_a_second_run_saves_nothing(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(5)
    mailbox.maildir.deliver(b"Subject: dots\r\nMessage-ID: <dots@x>\r\n\r\n.leading dot\r\n"
                            b"..two dots\r\n.\r\nbare\rCR stays\r\n")
    dest = tmp_path / "Mail" / "inbox"
    assert fetch(mailbox, "--to", f"{dest}/") == 0
    line = summary(capsys)
    assert line.startswith("6 new messages (") and f"saved to {dest}/" in line
    assert local_maildir(dest) == server_copies(mailbox)
    assert local_maildir(dest)["<dots@x>"].endswith(
        b"\n\n.leading dot\n..two dots\n.\nbare\rCR stays\n")
    for sub in ("", "cur", "new", "tmp"):
        assert (dest / sub).stat().st_mode & 0o777 == 0o700
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in (dest / "new").iterdir())
    assert mailbox.maildir.files() and len(mailbox.maildir.files()) == 6  # nothing deleted
    state = tmp_path / "xdg_state_home" / "popui"
    assert state.stat().st_mode & 0o777 == 0o700
    assert "fetched.sqlite3" in {f.name for f in state.iterdir()}
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in state.iterdir())

    assert fetch(mailbox, "--to", str(dest)) == 0  # an existing folder: still the Maildir
    assert summary(capsys) == f"0 new messages (0 B) saved to {dest}/; 6 already there"
    assert len(local_maildir(dest)) == 6

    mailbox.fill(2, start=10)
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert summary(capsys).startswith("2 new messages (")
    assert local_maildir(dest) == server_copies(mailbox)


def test_mbox_with_from_lines_reads_back_identically(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tricky = (b"Return-Path: <bounce@example.org>\r\nFrom: a@example.org\r\n"
              b"Subject: From lines\r\nMessage-ID: <from-lines@x>\r\n\r\n"
              b"From here on, trouble\r\n>From quoted\r\n>>From twice\r\nFromage\r\n"
              b" From indented\r\n")
    mailbox.fill(3)
    mailbox.maildir.deliver(tricky)
    mailbox.maildir.deliver(b"Subject: no final newline\r\nMessage-ID: <last@x>\r\n\r\nFrom x")
    dest = tmp_path / "inbox.mbox"
    dest.write_bytes(b"From someone Mon Jan  1 00:00:00 2024\nSubject: old\n\nold mail\n")
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert summary(capsys).startswith("5 new messages (")
    expected = server_copies(mailbox)
    copies = local_mbox(dest)
    assert copies.pop("") == b"Subject: old\n\nold mail\n"  # the message that was there
    assert {k: v for k, v in copies.items() if k != "<last@x>"} == {
        k: v for k, v in expected.items() if k != "<last@x>"}
    # POP3 ends every message with a line end (Dovecot adds the missing one)
    assert copies["<last@x>"] == expected["<last@x>"] + b"\n"
    text = dest.read_bytes()
    assert b"\n>From here on, trouble\n>>From quoted\n>>>From twice\nFromage\n From " in text
    assert b"\nFrom bounce@example.org " in text  # the envelope sender from Return-Path
    assert not dest.with_name("inbox.mbox.lock").exists()
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert summary(capsys).startswith("0 new messages (0 B)")
    assert len(local_mbox(dest)) == 6


def test_a_run_cut_mid_retr_then_run_again_saves_every_message_once(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.maildir.deliver_many([as_bytes(make_message(i, body_lines=60)) for i in range(8)])
    dest = tmp_path / "inbox"
    with Relay(mailbox.server.host, mailbox.server.port_plain) as relay:
        rule = relay.cut(b"RETR ", server_bytes=9000)  # a few messages, then half of one
        assert fetch(mailbox, "--to", f"{dest}/", host=relay.host, port=relay.port) == 1
        assert rule.fired.is_set()
        out, err = capsys.readouterr()
        first = len(local_maildir(dest))
        assert 0 < first < 8
        assert "popui: The server closed the connection." in err
        assert f"{first} new messages" in out and "run popui fetch again" in out
        assert fetch(mailbox, "--to", f"{dest}/", host=relay.host, port=relay.port) == 0
    assert summary(capsys).startswith(f"{8 - first} new messages (")
    assert local_maildir(dest) == server_copies(mailbox)
    assert len(mailbox.maildir.files()) == 8


def test_delete_removes_exactly_what_this_run_saved(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(3)
    dest = tmp_path / "inbox.mbox"
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert dest.stat().st_mode & 0o777 == 0o600  # a new mbox is private
    kept = mailbox.maildir.message_ids()
    mailbox.fill(2, start=3)
    capsys.readouterr()
    assert fetch(mailbox, "--to", str(dest), "--delete") == 0
    assert summary(capsys).endswith("; 3 already there; 2 deleted on the server")
    assert mailbox.maildir.message_ids() == kept  # the two new ones, and only they, are gone
    assert len(local_mbox(dest)) == 5
    assert fetch(mailbox, "--to", str(dest), "--delete") == 0
    assert summary(capsys).endswith("; 3 already there; nothing to delete on the server")
    assert mailbox.maildir.message_ids() == kept


def test_a_full_disk_leaves_nothing_half_written_and_deletes_nothing(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(4)
    real_write = os.write
    calls = {"n": 0}

    def write(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:  # the third message (one write each): ENOSPC halfway
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(maildir_writer.os, "write", write)
    dest = tmp_path / "inbox"
    assert fetch(mailbox, "--to", f"{dest}/", "--delete") == 1
    out, err = capsys.readouterr()
    assert f"popui: The disk is full (or over quota): cannot write to {dest}." in err
    assert "2 new messages" in out and "nothing was deleted on the server" in out
    assert len(local_maildir(dest)) == 2  # and tmp/ is empty
    assert len(mailbox.maildir.files()) == 4
    monkeypatch.setattr(maildir_writer.os, "write", real_write)
    assert fetch(mailbox, "--to", f"{dest}/") == 0
    assert local_maildir(dest) == server_copies(mailbox)


def test_a_locked_mbox_is_a_sentence_and_stays_as_it_was(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(2)
    monkeypatch.setattr(mbox_writer, "LOCK_WAIT", 0.3)
    dest = tmp_path / "inbox"
    before = b"From x Mon Jan  1 00:00:00 2024\nSubject: old\n\nbody\n\n"
    dest.write_bytes(before)
    holder = subprocess.Popen(  # another program holding an fcntl lock
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a'); "
         "fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()",
         str(dest)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert fetch(mailbox, "--to", str(dest), "--delete") == 1
    finally:
        holder.communicate("")
    out, err = capsys.readouterr()
    assert f"popui: {dest} is locked by another program; nothing was written to it." in err
    assert "nothing was deleted" in out
    assert dest.read_bytes() == before and len(mailbox.maildir.files()) == 2

    dot_lock = tmp_path / "inbox.lock"
    dot_lock.write_text("12345\n")
    assert fetch(mailbox, "--to", str(dest)) == 1
    assert f"({dot_lock} exists)" in capsys.readouterr().err
    assert dest.read_bytes() == before and dot_lock.exists()  # someone else's lock stays
    dot_lock.unlink()
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert len(local_mbox(dest)) == 3


def test_destinations_that_cannot_be_used_say_so_before_connecting(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(1)
    not_mbox = tmp_path / "notes.txt"
    not_mbox.write_text("my notes\n")
    assert fetch(mailbox, "--to", str(not_mbox)) == 1
    assert "is not an mbox" in capsys.readouterr().err
    assert not_mbox.read_text() == "my notes\n"
    assert fetch(mailbox, "--to", f"{not_mbox}/inbox/") == 1
    assert "a part of the path is a file, not a folder" in capsys.readouterr().err
    assert fetch(mailbox, "--to", f"{not_mbox}/") == 1
    assert "notes.txt is a file, not a folder, so it cannot be a Maildir" in \
        capsys.readouterr().err
    folder = tmp_path / "folder"
    folder.mkdir()
    assert fetch(mailbox, "--to", str(folder), "--format", "mbox") == 1
    assert "is a folder" in capsys.readouterr().err
    assert mailbox.maildir.seen_files() == []  # never connected


def test_configured_fetch_to_is_the_default_destination(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = mailbox.server
    monkeypatch.setenv("POPUI_TEST_SECRET", mailbox.password)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "config.toml").write_text(
        f'[accounts.work]\nhost = "{server.host}"\nport = {server.port_plain}\n'
        f'user = "{mailbox.name}"\nsecurity = "none"\npassword_command = \'{SECRET_COMMAND}\'\n'
        'fetch_to = "~/Mail/work/"\n')
    mailbox.fill(2)
    assert entry.main(["fetch", "work"]) == 0
    assert summary(capsys).startswith("2 new messages (")
    assert len(local_maildir(tmp_path / "Mail" / "work")) == 2
    assert entry.main(["fetch", "--to", str(tmp_path / "other.mbox")]) == 0  # the default account
    assert "saved to ~/other.mbox" in summary(capsys)


def test_usage_and_config_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert entry.main(["fetch", "--host", "h", "--user", "u"]) == 2
    assert "give --to DEST" in capsys.readouterr().err
    assert entry.main(["fetch", "--to", "x", "--format", "mh"]) == 2
    assert entry.main(["fetch", "--to", "x", "--host", "h"]) == 2
    assert "--host needs --user" in capsys.readouterr().err
    assert entry.main(["fetch", "--to", "x"]) == 2
    assert "add one with `popui account add`" in capsys.readouterr().err
    assert entry.main(["fetch", "nobody", "--to", "x"]) == 2
    assert "no account named 'nobody'" in capsys.readouterr().err
    (tmp_path / "config.toml").write_text(
        '[accounts.work]\nhost = "h"\nuser = "u"\nfetch_to = 42\n')
    assert entry.main(["fetch", "--to", "x"]) == 2
    err = capsys.readouterr().err
    assert "line 4, key accounts.work.fetch_to: must be a string" in err
    assert "Traceback" not in err
    (tmp_path / "config.toml").write_text('[accounts.work]\nhost = "h"\nuser = "u"\n')
    assert entry.main(["fetch", "work"]) == 2
    assert "set fetch_to in [accounts.work]" in capsys.readouterr().err


def test_help_documents_fetch(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["fetch", "--help"]) == 0
    text = capsys.readouterr().out
    for words in ("--to DEST", "--format", "--all", "--delete", "fetch_to", "Maildir", "mbox",
                  "Exit status: 0", "2 usage or configuration error"):
        assert words in text, words
    assert entry.main(["--help"]) == 0
    assert "popui fetch [NAME]" in capsys.readouterr().out


def test_servers_without_uidl_are_fetched_by_fingerprint_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    twin = b"Subject: twin\r\n\r\nsame\r\n"
    messages = [("a", twin), ("b", b"Subject: other\r\n\r\nbody\r\n"), ("c", twin)]
    monkeypatch.setenv("POPUI_TEST_SECRET", PASSWORD)
    with fault_server("no-uidl", messages) as server:
        argv = ["fetch", "--host", server.host, "--port", str(server.port), "--user", USER,
                "--security", "none", "--password-command", SECRET_COMMAND,
                "--to", f"{tmp_path}/box/"]
        assert entry.main(argv) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == ("Note: the server gives 3 of 3 messages no UIDL; they are "
                            "recognised by size and header (a fingerprint).")
        assert lines[-1].startswith("3 new messages")
        assert entry.main(argv) == 0
        assert capsys.readouterr().out.splitlines()[-1].endswith("; 3 already there")
    files = sorted((tmp_path / "box" / "new").iterdir())
    assert sorted(f.read_bytes() for f in files) == sorted(
        m.replace(b"\r\n", b"\n") for _, m in messages)


def test_a_big_message_is_written_as_it_arrives_in_bounded_memory(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    line = b"x" * 70 + b"\r\n"
    big = b"Subject: big\r\nMessage-ID: <big@x>\r\n\r\n" + line * (24 * 1024 * 1024 // 72)
    mailbox.maildir.deliver(big)
    mailbox.fill(2)
    dest = tmp_path / "big.mbox"
    tracemalloc.start()
    try:
        assert fetch(mailbox, "--to", str(dest)) == 0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes for a {len(big)}-byte message"
    assert local_mbox(dest) == server_copies(mailbox)
    assert summary(capsys).startswith("3 new messages (24 MB)")


def test_ctrl_c_mid_message_removes_that_message_and_a_rerun_finishes(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(4)
    dest = tmp_path / "inbox.mbox"
    real_write = mbox_writer._write
    calls = {"n": 0}

    def write(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 8:  # From line, message, blank line: the 3rd message's body
            real_write(fd, data[:100])
            raise KeyboardInterrupt
        return real_write(fd, data)

    monkeypatch.setattr(mbox_writer, "_write", write)
    assert fetch(mailbox, "--to", str(dest), "--delete") == 130
    out = capsys.readouterr().out
    assert "2 new messages" in out and "interrupted with 2 still to fetch" in out
    assert "nothing was deleted on the server" in out
    assert len(local_mbox(dest)) == 2 and dest.read_bytes().endswith(b"\n\n")
    assert not (tmp_path / "inbox.mbox.lock").exists()
    monkeypatch.setattr(mbox_writer, "_write", real_write)
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert summary(capsys).startswith("2 new messages (")
    assert local_mbox(dest) == server_copies(mailbox)


def test_duplicate_uidls_are_fingerprinted_and_an_unconfirmed_quit_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POPUI_TEST_SECRET", PASSWORD)
    with fault_server(["duplicate-uidl", "drop-before-quit-reply"]) as server:
        argv = ["fetch", "--host", server.host, "--port", str(server.port), "--user", USER,
                "--security", "none", "--password-command", SECRET_COMMAND,
                "--to", str(tmp_path / "box.mbox")]
        assert entry.main([*argv, "--delete"]) == 1
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == ("Note: the server gives 2 of 3 messages duplicate UIDLs; they are "
                            "recognised by size and header (a fingerprint).")
        assert lines[-1] == (
            f"3 new messages ({lines[-1].split('(')[1].split(')')[0]}) saved to "
            f"{tmp_path}/box.mbox; deletion not confirmed: the server acknowledged 3 of 3 DELE, "
            "but the connection ended before it acknowledged QUIT (the messages may still be "
            "on the server)")
    assert len(local_mbox(tmp_path / "box.mbox")) == 3


def test_without_a_password_source_off_a_terminal_it_says_what_to_set_up(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    server = mailbox.server
    argv = ["fetch", "--host", server.host, "--port", str(server.port_plain), "--user",
            mailbox.name, "--security", "none", "--to", str(tmp_path / "box/")]
    assert entry.main(argv) == 2
    assert "no password for" in capsys.readouterr().err


def test_progress_bar_shows_messages_bytes_rate_and_eta() -> None:
    bar = ProgressBar(io.StringIO())
    progress = Progress(total_messages=30, total_bytes=4 * 1024 * 1024, started=100.0,
                        messages=12, bytes=1024 * 1024)
    text = bar.render(progress, now=102.0)
    assert "12/30 messages" in text and "1.0 MB/4.0 MB" in text
    assert "512 KB/s" in text and "ETA 0:06" in text
    assert text.startswith("[") and "=" in text


def test_stream_pieces_equal_the_whole_body_however_the_bytes_arrive() -> None:
    body = b"a\r\n..dot\r\n.\r\nnot end\r\n" + b"y" * 300 + b"\r\n..\r\nlast\r\n"
    wire = body.replace(b"\r\n.", b"\r\n..") + b".\r\n+OK next\r\n"
    for step in (1, 2, 3, 7, 64, len(wire)):
        reader = LineReader(Trickle(wire, step), timeout=5)  # type: ignore[arg-type]
        pieces = list(reader.iter_block(None, line_limit=1000, piece=16))
        assert all(p.endswith(b"\n") for p in pieces)
        assert b"".join(pieces) == wire[: -len(b".\r\n+OK next\r\n")]
        assert reader.readline(None, 100) == b"+OK next\r\n"
    with pytest.raises(MessageTooLarge):  # one endless line is refused, not buffered forever
        list(LineReader(Trickle(b"z" * 5000, 64), timeout=5).iter_block(  # type: ignore[arg-type]
            None, line_limit=1000))


class Trickle:
    """A socket stand-in that hands out ``data`` ``step`` bytes per recv."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def settimeout(self, timeout: float) -> None:
        pass

    def recv(self, size: int) -> bytes:
        chunk, self.data = self.data[: min(size, self.step)], self.data[min(size, self.step):]
        return chunk


def test_without_uidl_and_top_only_all_can_fetch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POPUI_TEST_SECRET", PASSWORD)
    with fault_server(["no-uidl", "no-top"]) as server:
        argv = ["fetch", "--host", server.host, "--port", str(server.port), "--user", USER,
                "--security", "none", "--password-command", SECRET_COMMAND,
                "--to", f"{tmp_path}/box/", "--delete"]
        assert entry.main(argv) == 1
        out, err = capsys.readouterr()
        assert "neither" not in err and "no TOP, so popui cannot tell" in err
        assert "use --all" in err
        assert out.strip() == f"Nothing was saved to {tmp_path}/box/; nothing was deleted on " \
            "the server"
        assert server.mailbox.deleted == []
        assert entry.main([*argv[:-1], "--all"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert "they are not recorded as saved" in lines[0]
        assert lines[-1].startswith("3 messages (")
    assert len(list((tmp_path / "box" / "new").iterdir())) == 3


def test_two_runs_at_once_for_the_same_destination_do_not_both_save(
    mailbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(2)
    dest = tmp_path / "inbox.mbox"
    account = f"{mailbox.name}@{mailbox.server.host}:{mailbox.server.port_plain}"
    state = tmp_path / "xdg_state_home" / "popui"
    with FetchedRecord(state, account, str(dest)):  # a run in progress
        assert fetch(mailbox, "--to", str(dest)) == 1
        assert "Another popui fetch is saving mail of" in capsys.readouterr().err
        assert not dest.exists()
        with pytest.raises(Busy):
            FetchedRecord(state, account, str(dest))
        assert fetch(mailbox, "--to", str(tmp_path / "other.mbox")) == 0  # another destination
    assert fetch(mailbox, "--to", str(dest)) == 0
    assert len(local_mbox(dest)) == 2


def test_a_server_without_capa_is_fetched_without_pipelining(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POPUI_TEST_SECRET", PASSWORD)
    messages = [(f"u{n}", make_fault_message(n)) for n in range(5)]
    with fault_server("no-capa", messages) as server:
        argv = ["fetch", "--host", server.host, "--port", str(server.port), "--user", USER,
                "--security", "none", "--password-command", SECRET_COMMAND,
                "--to", str(tmp_path / "box.mbox"), "--delete"]
        assert entry.main(argv) == 0
        assert summary(capsys).endswith(f"saved to {tmp_path}/box.mbox; 5 deleted on the server")
        assert [line for _, line in server.commands if line.startswith("RETR")] == [
            f"RETR {n}" for n in range(1, 6)]
        assert sorted(server.deleted) == [f"u{n}" for n in range(5)]
    assert local_mbox(tmp_path / "box.mbox") == {
        f"<{n}@fault.example>": make_fault_message(n).replace(b"\r\n", b"\n") for n in range(5)}


def test_readme_documents_every_fetch_option() -> None:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- section: fetch -->", 1)[1].split("<!-- section:", 1)[0]
    parser = build_command_parser()
    fetch_parser = parser._subparsers._group_actions[0].choices["fetch"]  # type: ignore[union-attr]
    for action in fetch_parser._actions:
        for option in set(action.option_strings) - {"-h", "--help"}:
            assert option in section, option


def test_a_typed_password_is_asked_again_when_wrong(
    mailbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mailbox.fill(1)
    typed = iter(["Wrong-Zebra-4242", mailbox.password])
    prompts: list[str] = []

    def ask_secret(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(commands, "ask_secret", ask_secret)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    server = mailbox.server
    argv = ["fetch", "--host", server.host, "--port", str(server.port_plain), "--user",
            mailbox.name, "--security", "none", "--to", str(tmp_path / "box/")]
    assert entry.main(argv) == 0
    out, err = capsys.readouterr()
    assert len(prompts) == 2 and err.count("login failed") == 1
    assert out.strip().startswith("1 new message (")
    for secret in ("Wrong-Zebra-4242", mailbox.password):
        assert secret not in out and secret not in err
