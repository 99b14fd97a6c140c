"""Engine pieces that need no server: CAPA parsing, SASL maths, log redaction, error codes."""

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from popui.pop3 import errors, sasl
from popui.pop3.capabilities import parse_capabilities
from popui.pop3.protocol_log import REDACTED, ProtocolLog, redact_command


def test_capabilities_are_typed() -> None:
    caps = parse_capabilities([
        b"TOP", b"UIDL", b"PIPELINING", b"RESP-CODES", b"AUTH-RESP-CODE", b"USER", b"STLS",
        b"SASL PLAIN scram-sha-256", b"LOGIN-DELAY 900", b"EXPIRE NEVER",
        b"IMPLEMENTATION Dovecot", b"UTF8",
    ])
    assert caps.known and caps.top and caps.uidl and caps.pipelining and caps.stls
    assert caps.resp_codes and caps.auth_resp_code and caps.user and caps.utf8
    assert caps.sasl == ("PLAIN", "SCRAM-SHA-256")
    assert caps.login_delay == 900
    assert caps.expire == "NEVER"
    assert caps.implementation == "Dovecot"
    assert not parse_capabilities([]).top


def test_scram_sha_256_matches_rfc_7677_example() -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert mech.initial() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    server_first = (b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                    b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    assert mech.step(server_first) == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    mech.finish(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


def test_scram_refuses_a_server_that_does_not_know_the_password() -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="abc")
    mech.step(b"r=abcdef,s=" + base64.b64encode(b"salt") + b",i=4096")
    try:
        mech.finish(b"v=" + base64.b64encode(b"x" * 32))
    except errors.AuthFailed as exc:
        assert "SCRAM" in str(exc)
    else:
        raise AssertionError("a forged server signature was accepted")


def test_scram_refuses_a_server_that_skips_its_proof() -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="abc")
    mech.step(b"r=abcdef,s=" + base64.b64encode(b"salt") + b",i=4096")
    try:
        mech.finish(b"")
    except errors.AuthFailed as exc:
        assert "without proving" in str(exc)
    else:
        raise AssertionError("a login without the server's proof was accepted")


def test_scram_refuses_a_hostile_iteration_count() -> None:
    mech = sasl.ScramSha256("user", "pencil", nonce="abc")
    try:
        mech.step(b"r=abcdef,s=" + base64.b64encode(b"salt") + b",i=1000000000000")
    except errors.AuthFailed as exc:
        assert "iterations" in str(exc)
    else:
        raise AssertionError("a trillion PBKDF2 rounds were accepted")


def test_cram_md5_answer() -> None:
    # RFC 2195 example
    mech = sasl.CramMD5("tim", "tanstaaftanstaaf")
    answer = mech.step(b"<1896.697170952@postoffice.reston.mci.net>")
    assert answer == b"tim b913a602c7eda7a495b4e6e7334d3890"


def test_secrets_are_redacted_at_every_level() -> None:
    for level in (1, 2):
        log = ProtocolLog(level=level)
        log.command("PASS hunter2-secret")
        log.command("APOP alice 0123456789abcdef0123456789abcdef")
        log.command("AUTH PLAIN AGFsaWNlAGh1bnRlcjI=")
        log.command("aHVudGVyMg==", secret=True)
        log.command("USER alice")
        text = "\n".join(line.text for line in log.lines())
        assert "hunter2" not in text
        assert "0123456789abcdef" not in text
        assert "AGFsaWNl" not in text and "aHVudGVyMg" not in text
        assert "USER alice" in text
        assert text.count(REDACTED) == 4
    silent = ProtocolLog(level=0)
    silent.command("USER alice")
    assert silent.lines() == []
    assert redact_command("pass x") == f"pass {REDACTED}"


def test_level_two_records_bodies_level_one_does_not() -> None:
    one, two = ProtocolLog(level=1), ProtocolLog(level=2)
    for log in (one, two):
        log.status("+OK")
        log.data("Subject: hello")
    assert [x.text for x in one.lines()] == ["+OK"]
    assert [x.text for x in two.lines()] == ["+OK", "Subject: hello"]


def test_response_codes_become_typed_errors() -> None:
    assert isinstance(errors.error_from_response(b"-ERR [IN-USE] locked"), errors.InUse)
    delay = errors.error_from_response(b"-ERR [LOGIN-DELAY] wait", login_delay=900)
    assert isinstance(delay, errors.LoginDelay) and delay.retry_after == 900
    assert "900 seconds" in str(delay)
    assert isinstance(errors.error_from_response(b"-ERR [SYS/TEMP] x"), errors.SysTemp)
    assert isinstance(errors.error_from_response(b"-ERR [SYS/PERM] x"), errors.SysPerm)
    assert isinstance(errors.error_from_response(b"-ERR [AUTH] no"), errors.AuthFailed)
    plain = errors.error_from_response(b"-ERR no such message")
    assert type(plain) is errors.ServerError and "no such message" in str(plain)


class _Chunks:
    """A socket stand-in that delivers bytes in the given pieces (for the reader only)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def settimeout(self, timeout: float) -> None:
        pass

    def recv(self, size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def test_block_reader_finds_terminators_across_every_split() -> None:
    from popui.pop3.client import body_lines
    from popui.pop3.transport import LineReader

    bodies = [
        b"",
        b"Subject: x\r\n\r\n..dot line\r\n...two dots\r\nend\r\n",
        b"..first line stuffed\r\n\r\n",
        b"bare\nline feeds\n..x\n",
        b"a\r\n.\rb\r\n.x\r\n",  # "." followed by CR without LF, and by text: not terminators
    ]
    for body in bodies:
        wire = body + (b".\n" if b"bare" in body else b".\r\n") + b"+OK next\r\n"
        for cut in range(1, len(wire)):
            reader = LineReader(_Chunks([wire[:cut], wire[cut:]]), timeout=1)  # type: ignore[arg-type]
            block = reader.read_block(None, 1 << 20)
            assert block == body, (body, cut)
            assert reader.readline(None, 1 << 20) == b"+OK next\r\n"
    assert body_lines(b"a\r\nb\nc\r\n") == [b"a", b"b", b"c"]


def test_log_file_is_private_and_escapes_control_characters(tmp_path) -> None:
    path = tmp_path / "pop3.log"
    log = ProtocolLog(level=2, path=path)
    log.data("Subject: \x1b]0;pwned\x07 hi\x9b")
    log.command("PASS secret-in-file")
    log.close()
    text = path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\\x1b]0;pwned\\x07 hi\\x9b" in text
    assert "secret-in-file" not in text


def test_queue_puts_the_user_first_and_drops_what_they_moved_on_from() -> None:
    from popui.pop3.account import Account
    from popui.pop3.requests import Commit, FetchHeaders, Preview
    from popui.pop3.session import Pop3Session

    session = Pop3Session(Account(name="q", host="127.0.0.1", user="u"), lambda e: None)
    background = FetchHeaders(("a", "b", "c"))
    session.submit(background)
    session.submit(Preview("a"))
    session.submit(Preview("b"))  # the user moved on: the preview of "a" is stale
    session.submit(FetchHeaders(("x",), interactive=True))
    session.submit(FetchHeaders(("y",), interactive=True))  # scrolled again
    session.submit(Commit(("z",)))
    order = [session._take() for _ in range(4)]
    assert order == [Commit(("z",)), Preview("b"), FetchHeaders(("y",), interactive=True),
                     background]


def _stuffed(lines: list[bytes], eol: bytes) -> bytes:
    return b"".join((b"." + line if line.startswith(b".") else line) + eol for line in lines)


def _head_of(lines: list[bytes], eol: bytes) -> tuple[bytes, bool]:
    """What ``read_head`` must return for a response of these (unstuffed) lines."""
    if b"" in lines:
        return _stuffed(lines[: lines.index(b"") + 1], eol), False
    return _stuffed(lines, eol), True


_LINE = st.sampled_from([b"", b".", b"..", b".x", b"Subject: a", b"x" * 70, b"a\r", b". "])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINE, max_size=12), eol=st.sampled_from([b"\r\n", b"\n"]),
       cuts=st.lists(st.integers(min_value=1, max_value=400), max_size=3),
       budget=st.integers(min_value=0, max_value=300))
def test_head_reader_stops_at_the_blank_line_and_drops_the_rest_exactly(
    lines: list[bytes], eol: bytes, cuts: list[int], budget: int
) -> None:
    from popui.pop3.transport import LineReader

    wire = _stuffed(lines, eol) + b"." + eol + b"+OK next\r\n"
    pieces, last = [], 0
    for cut in sorted(set(cuts)):
        pieces.append(wire[last:cut])
        last = cut
    pieces.append(wire[last:])
    reader = LineReader(_Chunks([p for p in pieces if p]), timeout=1)  # type: ignore[arg-type]
    head, complete = reader.read_head(None, 1 << 20)
    expected_head, expected_complete = _head_of(lines, eol)
    rest = len(_stuffed(lines, eol)) - len(head)
    assert head == expected_head
    # only a head with a line that starts with a dot needs unstuffing
    assert reader.head_dotted == any(line.startswith(b".") for line in head.split(b"\n"))
    # a "." line right after the blank line is taken at once when it has arrived
    assert complete == expected_complete or (complete and rest == 0)
    if complete:
        assert reader.readline(None, 1 << 20) == b"+OK next\r\n"
        return
    skipped = reader.skip_block(None, budget)
    if skipped is None:
        assert rest > budget  # gave up only past the budget; the caller closes
    else:
        assert skipped == rest
        assert reader.readline(None, 1 << 20) == b"+OK next\r\n"


def test_dropping_a_long_rest_holds_one_chunk_at_a_time() -> None:
    from popui.pop3.transport import LineReader

    body = b"Subject: big\r\n\r\n" + b"y" * 78 + b"\r\n"
    pieces = [body] + [b"z" * 78 + b"\r\n"] * 20_000 + [b".\r\n+OK next\r\n"]
    reader = LineReader(_Chunks(pieces), timeout=1)  # type: ignore[arg-type]
    assert reader.read_head(None, 1 << 20) == (b"Subject: big\r\n\r\n", False)
    assert LineReader(_Chunks([b"Subject: s\r\n\r\n.\r\n"]), timeout=1).read_head(  # type: ignore[arg-type]
        None, 1 << 20) == (b"Subject: s\r\n\r\n", True)  # the usual TOP n 0: one call
    largest = 0
    real_fill = reader._fill

    def fill(deadline: float | None) -> None:
        nonlocal largest
        real_fill(deadline)
        largest = max(largest, len(reader._buf))

    reader._fill = fill  # type: ignore[method-assign]
    assert reader.skip_block(None, 1 << 30) == 80 + 20_000 * 80
    assert largest < 200  # never the whole 1.6 MB
    assert reader.readline(None, 1 << 20) == b"+OK next\r\n"


def test_a_log_file_that_fails_later_stops_being_written_without_ending_the_session(
    tmp_path,
) -> None:
    path = tmp_path / "pop3.log"
    log = ProtocolLog(level=1, path=path)
    log.note("first")
    assert log._file is not None
    log._file.close()  # as a full disk or a vanished mount would make writes fail
    log.note("second")
    log.note("third")
    texts = [line.text for line in log.lines()]
    assert texts[:2] == ["first", "second"] and "Stopped writing the log file" in texts[2]
    assert texts[3] == "third"


def test_what_a_reply_answers_never_quotes_a_secret() -> None:
    from popui.pop3.client import _describe

    assert _describe("PASS 123456") == "its reply to PASS"
    assert _describe("APOP me 0123456789") == "its reply to APOP"
    assert _describe("USER 4711") == "its reply to USER"
    assert _describe("TOP 3 20") == "the preview of message 3 (TOP 3 20)"
    assert _describe("TOP 3 0") == "the header of message 3 (TOP 3 0)"
    assert _describe("RETR 7") == "message 7 (RETR 7)"
    assert _describe("") == "its reply to a command"


def test_a_server_that_never_starts_answering_is_told_apart(monkeypatch) -> None:
    from popui.pop3 import transport
    from popui.pop3.errors import ResponseTimeout

    now = [100.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: now[0])
    deadline = transport.Deadline(30.0, "message 4 (RETR 4)")
    assert deadline.wait() == 30.0
    now[0] += 30.0
    try:
        deadline.wait()
    except ResponseTimeout as exc:
        assert str(exc).startswith("The server did not start sending message 4 (RETR 4) within "
                                   "30 seconds.")
    else:
        raise AssertionError("no timeout")


def test_download_progress_is_passed_on_at_most_ten_times_a_second(monkeypatch) -> None:
    """A 5 MB RETR reads 80 chunks; each report is a UI update, so most are dropped."""
    from popui.pop3 import session

    clock = [100.0]
    monkeypatch.setattr(session.time, "monotonic", lambda: clock[0])
    seen: list[int] = []
    progress = session._throttled(seen.append)
    for received in range(65536, 80 * 65536, 65536):  # 80 chunks in 0.16 s
        progress(received)
        clock[0] += 0.002
    assert len(seen) == 2 and seen[0] == 65536  # the first, then one 0.1 s later
    assert 50 * 65536 <= seen[1] <= 52 * 65536


def test_the_header_window_follows_the_link(monkeypatch) -> None:
    """What is in flight must be read before a preview jumps the queue: a slow link keeps the
    window small, a fast one with a long round trip opens it to hide the round trip."""
    from popui.pop3 import client

    clock = [0.0]
    monkeypatch.setattr(client.time, "monotonic", lambda: clock[0])

    def window_after(rtt: float, per_second: float) -> int:
        pace = client._Pace()
        pace.sent()  # the first window, led by the probe
        clock[0] += rtt
        pace.received()
        assert pace.window() == client.DEFAULT_WINDOW  # nothing measured yet
        pace.sent()
        for _ in range(2000):
            clock[0] += 1 / per_second
            pace.received()
        return pace.window()

    assert window_after(0.020, 100_000) == client.HEADER_WINDOW  # fast, far: wide open
    assert window_after(0.050, 500) == client.HEADER_WINDOW_MIN  # ~1 MB/s: a second of data
    assert window_after(0.0002, 100_000) == client.HEADER_WINDOW_MIN  # loopback


_LISTING_PIECE = st.sampled_from([b"1", b"23", b"007", b" ", b"  ", b"\t", b"\r", b"\n", b"\r\n",
                                  b"uid-x", b"\x0b", b"\x0c", b"\xe9", b"\x00", b"-", b"\xa0",
                                  b"\x1c", b"\x85", b"4 5"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_LISTING_PIECE, max_size=40).map(b"".join))
def test_listing_lines_read_as_split_reads_them(body: bytes) -> None:
    """LIST and UIDL lines are scanned in one pass: each line's first two words, as
    ``line.split()`` gives them, when the first is a number; other lines are skipped."""
    from popui.pop3.client import _SCAN_LINE, _SCAN_TEXT_LINE, body_lines

    expected = []
    for line in body_lines(body):
        words = line.split()
        if len(words) >= 2 and words[0].isdigit():
            expected.append((words[0], words[1]))
    assert _SCAN_LINE.findall(body) == expected
    # UIDLs: the body decoded at once gives what decoding each UIDL gave
    assert _SCAN_TEXT_LINE.findall(body.decode("ascii", "replace")) == [
        (number.decode(), uid.decode("ascii", "replace")) for number, uid in expected]


def test_only_a_whole_top_reply_is_taken_and_anything_else_left_for_the_status_reader() -> None:
    from popui.pop3.transport import LineReader

    reader = LineReader(_Chunks([b"+OK 0 octets\r\nSubject: s\r\n\r\n.\r\n-ERR no\r\n+OK"]),
                        timeout=1)  # type: ignore[arg-type]
    assert reader.take_top_reply() is None  # nothing received yet: nothing consumed
    assert reader.readline(None, 1 << 20) == b"+OK 0 octets\r\n"  # (reads the chunk)
    assert reader.take_top_reply() is None  # a header line is no status line
    assert reader.read_head(None, 1 << 20) == (b"Subject: s\r\n\r\n", True)
    assert reader.take_top_reply() is None  # -ERR: left for the status reader, which raises
    assert reader.readline(None, 1 << 20) == b"-ERR no\r\n"
    assert reader.take_top_reply() is None  # "+OK" without its line end yet: left alone
    reader._buf += b" more\r\nSubject: t\r\n\r\n"
    assert reader.take_top_reply() is None  # its "." line not here yet: left alone
    reader._buf += b".\r\nnext\r\n"
    assert reader.take_top_reply() == b"Subject: t\r\n\r\n"
    assert reader.readline(None, 1 << 20) == b"next\r\n"


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(_LINE, max_size=12), eol=st.sampled_from([b"\r\n", b"\n"]),
       status=st.sampled_from([b"+OK\r\n", b"+OK 120 octets\n", b"-ERR no\r\n", b"+OK"]),
       cut=st.integers(min_value=1, max_value=400))
def test_a_whole_top_reply_is_taken_as_the_status_and_head_readers_would_take_it(
    lines: list[bytes], eol: bytes, status: bytes, cut: int
) -> None:
    """The fill's shortcut for a reply already here in full: the same head and the same
    position as reading its status line then `read_head`, or nothing consumed at all."""
    from popui.pop3.transport import LineReader

    wire = status + _stuffed(lines, eol) + b"." + eol + b"+OK next\r\n"
    fast = LineReader(_Chunks([wire[:cut], wire[cut:]]), timeout=1)  # type: ignore[arg-type]
    slow = LineReader(_Chunks([wire[:cut], wire[cut:]]), timeout=1)  # type: ignore[arg-type]
    fast._fill(None)  # what has arrived so far
    slow._fill(None)
    taken = fast.take_top_reply()
    if taken is None:
        assert fast._pos == 0
        return
    assert slow.readline(None, 1 << 20).startswith(b"+OK")  # the status line
    assert slow.read_head(None, 1 << 20) == (taken, True)
    assert not slow.head_dotted and fast._pos == slow._pos
    assert fast.readline(None, 1 << 20) == slow.readline(None, 1 << 20) == b"+OK next\r\n"


def test_the_usual_top_reply_is_taken_whole() -> None:
    from popui.pop3.transport import LineReader

    wire = b"+OK\r\nSubject: a\r\nFrom: b\r\n\r\n.\r\n+OK\r\nSubject: c\r\n\r\n.\r\n"
    reader = LineReader(_Chunks([wire]), timeout=1)  # type: ignore[arg-type]
    reader._fill(None)
    assert reader.take_top_reply() == b"Subject: a\r\nFrom: b\r\n\r\n"
    assert reader.take_top_reply() == b"Subject: c\r\n\r\n"
    assert reader.take_top_reply() is None  # nothing left
