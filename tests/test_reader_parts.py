"""The Textual-free parts of the reader: links and their true targets, handing things to other
programs, the header fields threads need, and ~D/~T read from the Mailbox's sets."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from popui.filtering import filter_rows, uses_flags
from popui.mail.headers import MAX_REFERENCES, summarize_headers
from popui.mail.links import MAX_LINKS, Link, extract_links, html_links, text_links
from popui.opener import attachment_viewer, browser_command, command_for, mailcap_viewer
from popui.patterns import compile_pattern
from popui.rows import MAX_BODY_TEXT, Row

# -- links ---------------------------------------------------------------------------------------


def test_text_links_end_before_punctuation_and_www_gets_a_scheme() -> None:
    found = text_links("See https://a.example/x?y=1, (www.b.example/p). And mailto:me@c.example.")
    assert [link.target for link in found] == [
        "https://a.example/x?y=1", "http://www.b.example/p", "mailto:me@c.example"]


@pytest.mark.parametrize(("text", "href", "deceptive", "host"), [
    ("https://www.mybank.example/login", "http://evil.test/login", True, "evil.test"),
    ("mybank.example", "https://mybank.example@evil.test/", True, "evil.test"),
    ("www.mybank.example", "https://mybank.example.evil.test/", True,
     "mybank.example.evil.test"),
    ("mybank.example", "https://login.mybank.example/x", False, "login.mybank.example"),
    ("https://www.mybank.example/", "https://mybank.example/", False, "mybank.example"),
    ("Click here", "https://evil.test/", False, "evil.test"),  # no address claimed
])
def test_a_link_that_claims_another_host_is_deceptive(
    text: str, href: str, deceptive: bool, host: str
) -> None:
    (link,) = html_links(f'<p><a href="{href}">{text}</a></p>')
    assert link.deceptive is deceptive
    assert link.host == host
    assert link.text == text


def test_html_entities_and_wrapped_hrefs_are_the_real_target() -> None:
    (link,) = html_links('<a href="https://a.example/?a=1&amp;b=\n2">x</a>')
    assert link.target == "https://a.example/?a=1&b=2"


def test_script_links_are_listed_but_not_openable() -> None:
    links = html_links('<a href="javascript:alert(1)">x</a><a href="#top">top</a>'
                       '<a href="data:text/html,hi">y</a>')
    assert [(link.scheme, link.openable) for link in links] == [
        ("javascript", False), ("data", False)]


def test_links_of_a_message_come_from_text_and_html_parts_not_attachments() -> None:
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = "links"
    msg.set_content("plain https://one.example/\n")
    msg.add_alternative('<a href="https://two.example/">two</a>', subtype="html")
    msg.add_attachment("https://three.example/ in a file\n", filename="notes.txt")
    targets = [link.target for link in extract_links(msg.as_bytes())]
    assert targets == ["https://one.example/", "https://two.example/"]


def test_link_count_is_capped() -> None:
    body = " ".join(f"https://x{i}.example/" for i in range(MAX_LINKS + 50))
    assert len(extract_links(b"Subject: many\r\n\r\n" + body.encode())) == MAX_LINKS


def test_control_characters_in_links_are_made_visible() -> None:
    (link,) = html_links('<a href="https://a.example/\u202egnp.exe">\x1b[31mred</a>')
    assert "\u202e" not in link.target and "\x1b" not in link.text


@given(st.binary(max_size=2000))
def test_extract_links_never_raises(raw: bytes) -> None:
    for link in extract_links(raw):
        assert isinstance(link, Link)


# -- other programs ------------------------------------------------------------------------------


def test_commands_take_the_argument_as_one_word() -> None:
    assert command_for("firefox --new-tab {}", "https://a.example/?q=a b;rm") == [
        "firefox", "--new-tab", "https://a.example/?q=a b;rm"]
    assert command_for("open", "x y") == ["open", "x y"]
    with pytest.raises(ValueError):
        command_for("'unbalanced", "x")


def test_browser_comes_from_config_then_browser_variable_then_xdg_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BROWSER", "w3m:lynx")
    assert browser_command("https://a.example/") == ["w3m", "https://a.example/"]
    assert browser_command("https://a.example/", "chromium") == ["chromium", "https://a.example/"]
    monkeypatch.delenv("BROWSER")
    assert browser_command("https://a.example/") == ["xdg-open", "https://a.example/"]


def test_mailcap_entries(tmp_path: Path) -> None:
    mailcap = tmp_path / "mailcap"
    mailcap.write_text(
        "# comment\n"
        "application/pdf; pdfviewer --test %s; test=test -n \"$DISPLAY\"\n"
        "application/pdf; zathura '%s'\n"
        "image/*; feh %s\n"
        "application/msword; antiword %s; copiousoutput\n"
        "text/x-stdin; cat\n"
    )
    files = [str(mailcap)]
    pdf = mailcap_viewer("application/pdf", "/t/a b.pdf", files)
    assert pdf is not None and pdf.argv == ["zathura", "/t/a b.pdf"] and not pdf.terminal
    png = mailcap_viewer("image/png", "/t/x.png", files)
    assert png is not None and png.argv == ["feh", "/t/x.png"]
    doc = mailcap_viewer("application/msword", "/t/x.doc", files)
    assert doc is not None and doc.terminal
    assert mailcap_viewer("text/x-stdin", "/t/x", files) is None  # no %s: not used
    assert mailcap_viewer("video/mp4", "/t/x", files) is None
    assert attachment_viewer("video/mp4", "/t/x", "mpv --fs").argv == ["mpv", "--fs", "/t/x"]


# -- headers for threads --------------------------------------------------------------------------


def test_in_reply_to_and_references_are_kept_for_threads() -> None:
    refs = " ".join(f"<r{i}@x.example>" for i in range(MAX_REFERENCES + 10))
    raw = (f"Subject: Re: x\r\nIn-Reply-To: <p@x.example> (the parent)\r\n"
           f"References: {refs[:60]}\r\n {refs[60:]}\r\nMessage-ID: <me@x.example>\r\n\r\n")
    summary = summarize_headers(raw.encode())
    assert summary.in_reply_to == "<p@x.example>"
    assert len(summary.references) == MAX_REFERENCES
    assert summary.references[0] == "<r0@x.example>"  # the thread's root is kept
    assert summary.references[-1] == f"<r{MAX_REFERENCES + 9}@x.example>"
    row = Row(1, "u1", 10)
    row.fill_row(summary.to_row())
    assert row.in_reply_to == "<p@x.example>" and row.message_id == "<me@x.example>"
    assert row.references.split()[0] == "<r0@x.example>"


def test_a_preview_never_replaces_the_opened_text_and_body_text_is_bounded() -> None:
    row = Row(1, "u1", 10)
    row.keep_body("preview", whole=False)
    row.keep_body("x" * (MAX_BODY_TEXT + 10), whole=True)
    row.keep_body("later preview", whole=False)
    assert row.body is not None and len(row.body) == MAX_BODY_TEXT


# -- ~D and ~T from the Mailbox's sets -------------------------------------------------------------


def test_marks_and_tags_come_from_the_sets() -> None:
    rows = [Row(i, f"u{i}", 100 * i, subject=f"s{i}") for i in range(1, 6)]
    marks, tags = {"u1", "u2"}, {"u2", "u5"}
    shown = filter_rows(compile_pattern("~D"), rows, marks, tags)
    assert [r.uid for r in shown.rows] == ["u1", "u2"] and shown.counts() == "2 of 5"
    assert [r.uid for r in filter_rows(compile_pattern("~T !~D"), rows, marks, tags).rows] == [
        "u5"]
    assert [r.uid for r in filter_rows(compile_pattern("~D | ~z >400"), rows, marks).rows] == [
        "u1", "u2", "u5"]
    assert uses_flags(compile_pattern("~s x (!~T)").node)
    assert not uses_flags(compile_pattern("~s x ~N").node)
    plain = filter_rows(compile_pattern("s3"), rows, marks)
    assert plain.rows == [rows[2]] and plain.rows[0] is rows[2]
