"""Every corpus message through the three parsing paths: no crash, no output, nothing unsafe."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from make_corpus import DATA, _readme, big_case, big_case_names, generate_small, iter_corpus, top

from popui.mail.attachments import save_all
from popui.mail.headers import HeaderSummary, summarize_headers
from popui.mail.message import NOTICE_TOO_DEEP, ParsedMessage, parse_message
from popui.mail.preview import Preview, parse_preview, top_is_whole
from popui.mail.sanitize import is_clean_block, is_clean_line

CORPUS = {name: (raw, description) for name, raw, description in iter_corpus()}
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _line_ok(text: str) -> bool:
    return is_clean_line(text) and not BIDI & set(text) and "\x1b" not in text


def _summary_ok(summary: HeaderSummary) -> None:
    assert all(_line_ok(v) for v in vars(summary).values() if isinstance(v, str))


def _preview_ok(preview: Preview) -> None:
    _summary_ok(preview.summary)
    assert all(_line_ok(line) for line in preview.body_lines)
    assert preview.notice is None or _line_ok(preview.notice)


def _message_ok(parsed: ParsedMessage) -> None:
    _summary_ok(parsed.summary)
    assert all(_line_ok(name) and _line_ok(value) for name, value in parsed.headers)
    assert is_clean_block(parsed.text) and not BIDI & set(parsed.text)
    assert all(_line_ok(notice) for notice in parsed.notices)
    for att in parsed.attachments:
        assert _line_ok(att.filename) and _line_ok(att.content_type) and _line_ok(att.safe_filename)
        assert att.safe_filename and not att.safe_filename.startswith(".")
        assert not {"/", "\\"} & set(att.safe_filename) and ".." not in att.safe_filename


def test_committed_files_match_the_generator() -> None:
    assert {name: raw for name, raw, _ in generate_small()} == {
        n: r for n, (r, _) in CORPUS.items()
    }
    assert (DATA / "README.md").read_text(encoding="utf-8") == _readme()
    assert sorted(p.stem for p in DATA.glob("*.eml")) == sorted(CORPUS)
    assert sum(p.stat().st_size for p in DATA.iterdir()) < 1_000_000


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_case(name: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    raw = CORPUS[name][0]
    _summary_ok(summarize_headers(raw))
    _preview_ok(parse_preview(top(raw, 20)))
    _preview_ok(parse_preview(raw, complete=True))
    parsed = parse_message(raw)
    _message_ok(parsed)
    assert parsed.raw == raw
    saved = save_all(tmp_path / "save", parsed.attachments)
    assert len(saved) == len(parsed.attachments)
    assert all(path.parent == (tmp_path / "save").resolve() for path in saved)
    assert [p.read_bytes() for p in saved] == [a.data() for a in parsed.attachments]
    assert capfd.readouterr() == ("", "")


def test_what_the_user_sees_for_some_cases() -> None:
    subject = summarize_headers(CORPUS["rfc2047_many_charsets"][0]).subject
    assert subject == "Grüßecafé€uroПриветмир中文繁體日本한국어テスト"
    assert summarize_headers(CORPUS["subject_repeated"][0]).subject == "first"
    assert summarize_headers(CORPUS["date_extreme"][0]).date is None
    assert parse_preview(CORPUS["iso2022jp_body"][0]).body_lines == (
        "こんにちは、世界。",
        "日本語のメールです。",
    )
    assert parse_message(CORPUS["raw_8bit_latin1"][0]).text == "Déjà vu, no charset.\n"
    assert parse_preview(CORPUS["bare_cr"][0]).body_lines == (
        "line one",
        "safe text",
        "EVIL overwrite",
    )
    markup = parse_message(CORPUS["markup_injection"][0])
    assert markup.text.startswith("[@click=app.quit]x[/] [bold red]red[/bold red]")
    names = [a.safe_filename for a in parse_message(CORPUS["attachment_paths"][0]).attachments]
    assert names[:6] == ["passwd", "path", "evil.dll", "_CON", "bashrc", "esc[2J.txt"]
    assert names[-1] == "authorized_keys"


@pytest.mark.parametrize("name", big_case_names())
def test_big_case(name: str, capfd: pytest.CaptureFixture[str]) -> None:
    raw = big_case(name)
    start = time.perf_counter()
    _summary_ok(summarize_headers(raw))
    _preview_ok(parse_preview(top(raw, 100)))
    parsed = parse_message(raw)
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"{name} took {elapsed:.1f} s"  # generous; the speed goal is a bench
    assert is_clean_block(parsed.text)
    if name == "big_nesting_1500":
        assert parsed.notices == (NOTICE_TOO_DEEP,)
    elif name == "big_nesting_100":
        assert parsed.text == "deep text\n"
    elif name == "big_parts_5000":
        assert len(parsed.attachments) == 2500
        assert parsed.text.count("part ") == 2500
    elif name == "big_attachment_20mb":
        [att] = parsed.attachments
        assert att.size == 20_000_000
        assert len(att.data()) == 20_000_000  # decoded again on demand
    assert capfd.readouterr() == ("", "")


def test_short_utf8_with_a_stray_byte_stays_utf8(tmp_path: Path) -> None:
    raw = CORPUS["utf8_stray_byte"][0]
    expected = "Grüße aus Köln\ufffd"
    assert summarize_headers(raw).subject == expected
    assert parse_preview(raw).body_lines == (expected,)
    parsed = parse_message(raw)
    assert parsed.summary.subject == expected and parsed.text == expected + "\n"
    assert len(parsed.attachments) == 3  # named in RFC 2231, in raw 8-bit, in RFC 2047
    for attachment in parsed.attachments:
        assert attachment.filename.startswith("Grüße"), attachment.filename
    saved = save_all(tmp_path, parsed.attachments)
    assert all(path.name.startswith("Grüße") and path.name.endswith(".txt") for path in saved)
    # one stray byte is not enough to take Latin-1 text for UTF-8, or the reverse
    assert parse_message(CORPUS["raw_8bit_latin1"][0]).text == "Déjà vu, no charset.\n"


def test_iso2022jp_with_nec_and_ibm_extensions_decodes_through_cp932() -> None:
    raw = CORPUS["iso2022jp_nec_extensions"][0]
    lines = ("会員№123", "①ⅰ㈱テスト")
    summary = summarize_headers(raw)
    assert summary.subject == "№①のお知らせ" and summary.to == "㈱テスト <you@example.com>"
    assert parse_preview(raw).body_lines == lines
    text = parse_message(raw).text
    assert text == "\n".join(lines) + "\n" and "␛" not in text and "\ufffd" not in text


def test_inline_text_with_a_file_name_is_body_text_and_listed() -> None:
    raw = CORPUS["inline_text_with_filename"][0]
    parsed = parse_message(raw)
    assert parsed.text == "The notes, inline.\n"
    assert [a.filename for a in parsed.attachments] == ["notes.txt", "a.pdf"]
    assert parse_preview(raw).body_lines == ("The notes, inline.",)


@pytest.mark.parametrize(("name", "lines"), [
    ("boundary_never_used", ("Just text, no parts at all.",)),
    ("toplevel_rfc822", ("The forwarded text.",)),
    ("no_blank_after_headers",
     ("Hello, this body follows the headers directly.", "Second line.")),
    ("boundary_missing", ("--x", "Content-Type: text/plain", "", "text", "--x--")),
    ("nested_rfc822", ("Forwarded below.",)),
    ("alternative", None),
    ("mixed_attachments", None),
])
def test_the_preview_and_the_full_view_agree_on_the_body(
    name: str, lines: tuple[str, ...] | None,
) -> None:
    raw = CORPUS[name][0]
    parsed = parse_message(raw)
    preview = parse_preview(raw, complete=True)
    assert preview.body_lines == tuple(parsed.text.rstrip("\n").split("\n"))
    assert preview.notice is None or "No text" not in preview.notice
    if lines is not None:
        assert preview.body_lines == lines
    cut = top(raw, 20)  # what TOP sends, judged as the preview pane does
    assert parse_preview(cut, complete=top_is_whole(cut, 20)).body_lines == preview.body_lines


def test_a_display_name_that_looks_like_an_address_shows_the_address() -> None:
    summary = summarize_headers(CORPUS["display_name_spoof"][0])
    assert summary.display_sender == "billing@bank.example <x@evil.example>"
    assert summarize_headers(CORPUS["alternative"][0]).display_sender == "Sender"
