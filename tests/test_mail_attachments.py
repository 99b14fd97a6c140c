"""Attachment names are plain file names; saving stays inside the folder and never overwrites."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from popui.mail.attachments import (
    MAX_NAME_BYTES,
    Attachment,
    fallback_name,
    safe_filename,
    save_all,
    save_attachment,
    save_eml,
)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/abs/path", "path"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ("..", "attachment-1.pdf"),
        ("", "attachment-1.pdf"),
        ("...bashrc", "bashrc"),
        ("a..b.txt", "a.b.txt"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("zero\u200bwidth\ufeff.txt", "zerowidth.txt"),
        ("bell\x07\x1b[2J.txt", "bell[2J.txt"),
        ('a:b<c>"d"|e?*.txt', "a_b_c__d__e__.txt"),
        ("trailing dots. . .", "trailing dots"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name, "attachment-1.pdf") == safe


def test_long_names_are_capped_keeping_the_extension() -> None:
    name = safe_filename("ä" * 500 + ".pdf", "x")
    assert len(name.encode()) <= MAX_NAME_BYTES
    assert name.endswith("ä.pdf")


def test_fallback_name_uses_the_content_type() -> None:
    assert fallback_name(3, "image/png") == "attachment-3.png"
    assert fallback_name(1, "application/x-nonsense") == "attachment-1.bin"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_name_becomes_one_plain_file_name(name: str) -> None:
    safe = safe_filename(name, "fallback.bin")
    assert safe and "/" not in safe and "\\" not in safe and ".." not in safe
    assert not safe.startswith(".") and safe == safe.strip()
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in safe)
    assert len(safe.encode("utf-8", "surrogatepass")) <= MAX_NAME_BYTES
    assert safe_filename(safe, "fallback.bin") == safe  # stable


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_save_never_overwrites(tmp_path: Path) -> None:
    first = save_attachment(tmp_path, "a.txt", b"one")
    second = save_attachment(tmp_path, "a.txt", b"two")
    third = save_attachment(tmp_path, "../a.txt", b"three")
    assert [first.name, second.name, third.name] == ["a.txt", "a (1).txt", "a (2).txt"]
    assert _listing(tmp_path) == {"a.txt": b"one", "a (1).txt": b"two", "a (2).txt": b"three"}
    assert stat.S_IMODE(first.stat().st_mode) == 0o600


def test_save_stays_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    for name in ["../../escape.txt", "/tmp/abs.txt", "..", "sub/dir/x.txt", "\u202e..\\..\\y"]:
        path = save_attachment(folder, name, b"data")
        assert path.parent == folder.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads"]


def test_a_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    folder, outside = tmp_path / "in", tmp_path / "outside.txt"
    folder.mkdir()
    outside.write_bytes(b"precious")
    (folder / "a.txt").symlink_to(outside)
    (folder / "a (1).txt").symlink_to(tmp_path / "dangling")
    path = save_attachment(folder, "a.txt", b"new")
    assert path.name == "a (2).txt"
    assert outside.read_bytes() == b"precious"
    assert not (tmp_path / "dangling").exists()


def test_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        save_attachment(tmp_path, "a.txt", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_place_of_the_folder_raises_oserror(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError):
        save_attachment(tmp_path / "file", "a.txt", b"x")


def test_save_all_and_eml(tmp_path: Path) -> None:
    atts = [
        Attachment("x.txt", "x.txt", "text/plain", 1, lambda: b"1"),
        Attachment("x.txt", "x.txt", "text/plain", 1, lambda: b"2"),
    ]
    paths = save_all(tmp_path, atts)
    assert [p.name for p in paths] == ["x.txt", "x (1).txt"]
    eml = save_eml(tmp_path, "Re: ../\x1b[2J Q3/Q4", b"raw message")
    assert eml.name == "Re_ ._[2J Q3_Q4.eml"
    assert eml.read_bytes() == b"raw message"
    assert save_eml(tmp_path, "", b"x").name == "message.eml"


def test_mixed_leading_dots_and_spaces_are_all_removed() -> None:
    assert safe_filename(". 0", "fallback.bin") == "0"
    assert safe_filename(" . .hidden. .", "fallback.bin") == "hidden"
