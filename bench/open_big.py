"""Benchmark: opening a 5 MB message at 20 ms RTT, popui against neomutt (issue 9).

Goal: Enter pressed to body shown in at most 1.5x neomutt's time, measured in the same run.

One private Dovecot, one user per case, each mailbox holding just that message, behind one
latency proxy (RTT 20 ms by default). The cases (built here, deterministic):

- attachments: a reply with a normal text body (multipart/alternative, plain + HTML), a 1.8 MB
               PDF and a 1.9 MB photo, base64: ~5 MB on the wire;
- long text:   a 5 MB text/plain body (a log/digest: short lines and long unwrapped paragraphs).

Both clients run in a pseudo-terminal (160x50, TERM=xterm-256color), so "body shown" means the
same for both: the first words of the body (a marker) reach the terminal. Each round, per case:

- raw RETR: poplib, logged in beforehand, ``RETR 1`` until the last byte: the wire's floor;
- neomutt:  ``neomutt -f pop://...`` (no header or message cache: it really downloads), started
            and left until its index shows the subject and the terminal is quiet; then Enter is
            written and the clock runs until the body marker is drawn;
- popui:    ``popui --host ...`` (fresh state folders), started and left until the list and the
            preview pane (which shows the same marker) are drawn and the terminal is quiet; then
            Enter, and the clock runs until the marker is drawn again, by the full view.

So both figures are "Enter to body visible", start-up and login excluded, on a warm connection
(neomutt keeps its POP connection open after showing the index, as popui does). The rounds
interleave the clients, so load on the machine hits them alike. It prints median (min) per
client and case, and popui / neomutt against the goal. Nothing here is a test.

    .venv/bin/python bench/open_big.py [--rounds 5] [--rtt 20] [--case attachments]
    .venv/bin/python bench/open_big.py --before ../main     # and the popui of another checkout
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import os
import poplib
import pty
import random
import shlex
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from dovecot import DovecotServer  # noqa: E402
from dovecot_mailbox import wrap_words  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402
from realistic_headers import realistic_header  # noqa: E402

GOAL = 1.5
SIZE = (160, 50)  # columns, rows
MARKER = "Zanzibar-7741"  # the body's first words; never in a subject or header
SUBJECT_MARK = "Q3 numbers"
TIMEOUT = 120.0
QUIET = 0.4  # seconds without terminal output that count as "idle, ready for the key"

_TEXT = (
    "the of and to in is that for it as with was on be at by this had not are but from or "
    "have an they which one you were her all she there would their we him been has when who "
    "will more no if out so said what up its about into than them can only other new some "
    "café numbers report quarter budget déjà vu naïve figures review invoice meeting"
)
_WORDS = _TEXT.split()


# -- the messages -----------------------------------------------------------------------------


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _b64_lines(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[n : n + 76] for n in range(0, len(text), 76)) + "\r\n"


def attachments_message(rng: random.Random) -> bytes:
    """A normal reply (~2.5 KB of text, plain + HTML) with a PDF and a photo: ~5 MB."""
    paragraphs = [f"{MARKER} Hi Kim, the Q3 numbers are attached, as promised."]
    paragraphs += [_paragraph(rng, rng.randint(25, 60)) for _ in range(6)]
    paragraphs.append("Best,\r\nAlex")
    plain = "\r\n\r\n".join("\r\n".join(wrap_words(p)) for p in paragraphs) + "\r\n"
    html = ("<html><body>\r\n" + "".join(f"<p>{p}</p>\r\n" for p in paragraphs)
            + "</body></html>\r\n")
    pdf = b"%PDF-1.7\n" + rng.randbytes(1_800_000) + b"\n%%EOF\n"
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(1_900_000) + b"\xff\xd9"
    outer, inner = "=_outer_7741", "=_inner_7741"
    body = (
        f"--{outer}\r\nContent-Type: multipart/alternative; boundary=\"{inner}\"\r\n\r\n"
        f"--{inner}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{plain}"
        f"--{inner}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{html}"
        f"--{inner}--\r\n"
        f"--{outer}\r\nContent-Type: application/pdf; name=\"Q3-report.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"Q3-report.pdf\"\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{_b64_lines(pdf)}"
        f"--{outer}\r\nContent-Type: image/jpeg; name=\"IMG_2041.jpg\"\r\n"
        "Content-Disposition: attachment; filename=\"IMG_2041.jpg\"\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{_b64_lines(jpeg)}"
        f"--{outer}--\r\n"
    )
    return _with_header(rng, f'multipart/mixed; boundary="{outer}"', body)


def long_text_message(rng: random.Random, size: int = 5_000_000) -> bytes:
    """5 MB of text/plain: short wrapped lines, and long paragraphs sent as one line."""
    parts = [f"{MARKER} Here is the full export you asked for.\r\n\r\n"]
    total = 0
    while total < size:
        paragraph = _paragraph(rng, rng.randint(20, 120))
        chunk = ("\r\n".join(wrap_words(paragraph)) if rng.random() < 0.6 else paragraph)
        parts.append(chunk + "\r\n\r\n")
        total += len(chunk) + 4
    return _with_header(rng, "text/plain; charset=utf-8", "".join(parts),
                        "Content-Transfer-Encoding: 8bit\r\n")


def _with_header(rng: random.Random, content_type: str, body: str, extra: str = "") -> bytes:
    head = realistic_header(7, rng, content_type)
    # one fixed subject, so both clients' index shows a known string
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"subject:")]
    head = b"\r\n".join([*lines[:1], f"Subject: {SUBJECT_MARK} for review".encode(), *lines[1:]])
    if extra:
        head = head[:-2] + extra.encode() + b"\r\n"
    return head + body.encode()


CASES: dict[str, Callable[[random.Random], bytes]] = {
    "attachments": attachments_message,
    "long text": long_text_message,
}


# -- driving a program in a pseudo-terminal ---------------------------------------------------


class Terminal:
    """A program in a pty whose output is read all the time (else it blocks) and searched."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        """Runs in the folder of ``log`` (so ``python -m`` imports nothing from the cwd)."""
        self.log = log
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.master = master
        self.output = bytearray()
        self.arrivals: list[tuple[int, float]] = []  # (output length after a read, when)
        self.last_output = time.perf_counter()
        self.changed = threading.Condition()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=log.parent, close_fds=True, start_new_session=True)
        os.close(slave)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            now = time.perf_counter()
            with self.changed:
                self.output.extend(data)
                self.arrivals.append((len(self.output), now))
                self.last_output = now
                self.changed.notify_all()
            if not data:
                return

    def wait_for(self, text: str, since: int = 0, timeout: float = TIMEOUT) -> float:
        """The moment ``text`` had arrived in the output after offset ``since``."""
        needle = text.encode()
        deadline = time.perf_counter() + timeout
        with self.changed:
            while (found := self.output.find(needle, since)) < 0:
                left = deadline - time.perf_counter()
                if left <= 0 or self.proc.poll() is not None:
                    self.fail(f"{text!r} never appeared")
                self.changed.wait(min(left, 0.5))
            end = found + len(needle)
            return next(when for length, when in self.arrivals if length >= end)

    def wait_quiet(self, quiet: float = QUIET, timeout: float = 10.0) -> None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.changed:
                idle = time.perf_counter() - self.last_output
            if idle >= quiet:
                return
            time.sleep(quiet - idle)

    def press(self, keys: bytes) -> tuple[int, float]:
        """Write ``keys``; returns the output offset and the moment just before."""
        with self.changed:
            offset = len(self.output)
        start = time.perf_counter()
        os.write(self.master, keys)
        return offset, start

    def fail(self, why: str) -> None:
        self.log.write_bytes(bytes(self.output))
        raise SystemExit(f"{why}; the terminal output is in {self.log}")

    def close(self, quit_keys: bytes) -> None:
        try:
            os.write(self.master, quit_keys)
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
            os.close(self.master)
            self.reader.join(timeout=5)
            self.log.write_bytes(bytes(self.output))


# -- the three measurements -------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    user: str
    password: str


def raw_retr(login: Login) -> float:
    pop = poplib.POP3(login.host, login.port, timeout=60)
    try:
        pop.user(login.user)
        pop.pass_(login.password)
        start = time.perf_counter()
        pop.retr(1)
        return time.perf_counter() - start
    finally:
        pop.quit()


def _body_after_enter(term: Terminal, ready: str, ready_since: int = 0) -> float:
    term.wait_for(ready, ready_since)
    term.wait_quiet()
    offset, start = term.press(b"\r")
    return term.wait_for(MARKER, offset) - start


def neomutt_open(login: Login, folder: Path) -> float:
    rc = folder / "muttrc"
    rc.write_text(
        f'set pop_user="{login.user}"\nset pop_pass="{login.password}"\n'
        "unset header_cache\nunset message_cachedir\n"
        "set ssl_starttls=no\nset ssl_force_tls=no\n"
        "set quit=yes\nset pop_delete=no\nset move=no\nset mail_check_stats=no\n"
        "set record=/dev/null\nset help=no\nset sleep_time=0\nset wait_key=no\n",
        encoding="utf-8",
    )
    os.chmod(rc, 0o600)
    (folder / "Mail").mkdir(exist_ok=True)
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(folder)}
    url = f"pop://{login.user}@{login.host}:{login.port}/"
    term = Terminal(["neomutt", "-n", "-F", str(rc), "-f", url], env, folder / "neomutt.log")
    try:
        return _body_after_enter(term, SUBJECT_MARK)
    finally:
        term.close(b"qq")


def popui_open(login: Login, folder: Path, source: Path | None = None) -> float:
    """``source``: a checkout whose popui to run instead (``--before``)."""
    secret = folder / "password"
    secret.write_text(login.password + "\n", encoding="utf-8")
    secret.chmod(0o600)
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(folder),
           "XDG_CONFIG_HOME": str(folder / "config"), "XDG_CACHE_HOME": str(folder / "cache"),
           "XDG_STATE_HOME": str(folder / "state"),
           "POPUI_CONFIG_FILE": str(folder / "config.toml")}
    env.pop("TEXTUAL", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    argv = [sys.executable, "-m", "popui", "--host", login.host, "--port", str(login.port),
            "--user", login.user, "--security", "none",
            "--password-command", f"cat {shlex.quote(str(secret))}"]
    term = Terminal(argv, env, folder / "popui.log")
    try:
        return _body_after_enter(term, MARKER)  # the preview pane shows it first
    finally:
        term.close(b"qq")


# -- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rtt", type=float, default=20.0, help="round trip in ms (default 20)")
    parser.add_argument("--case", action="append", choices=list(CASES))
    parser.add_argument("--before", metavar="DIR", type=Path,
                        help="also time the popui of another checkout (e.g. main's worktree)")
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="keep each run's folder (terminal output, muttrc) under DIR")
    parser.add_argument("--skip", nargs="*", default=[], choices=["raw", "neomutt", "popui"])
    args = parser.parse_args()
    cases = args.case or list(CASES)
    runs: list[tuple[str, Callable[[Login, Path], float]]] = [
        ("raw RETR", lambda login, _folder: raw_retr(login)),
        ("neomutt", neomutt_open),
        ("popui", popui_open),
    ]
    if args.before is not None:
        before = args.before.resolve()
        runs.append(("popui before", lambda login, folder: popui_open(login, folder, before)))
    runs = [(name, run) for name, run in runs if name.split()[0] not in args.skip]
    if shutil.which("neomutt") is None:
        runs = [(name, run) for name, run in runs if name != "neomutt"]
        print("neomutt is not installed (apt-get install neomutt): no ratio")
    print(f"Opening a big message: Enter to body shown, RTT {args.rtt:g} ms, {args.rounds} "
          f"round(s); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    times: dict[tuple[str, str], list[float]] = {}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as scratch, DovecotServer() as server:
        tmp = args.keep or scratch
        logins: dict[str, Login] = {}
        for case in cases:
            user = server.add_user()
            data = CASES[case](random.Random(7741))
            sizes[case] = len(data)
            user.maildir.deliver(data, folder="cur")
            logins[case] = Login("", 0, user.name, user.password)
        target = ("127.0.0.1", server.port_plain)
        with LatencyProxy(target, args.rtt / 2000) as proxy:
            for round_ in range(args.rounds):
                line = []
                for case in cases:
                    login = Login(proxy.host, proxy.port, logins[case].user,
                                  logins[case].password)
                    for name, run in runs:
                        folder = Path(tmp) / f"{name.replace(' ', '-')}-{case.split()[0]}-{round_}"
                        folder.mkdir()
                        seconds = run(login, folder)
                        times.setdefault((case, name), []).append(seconds)
                        line.append(f"{case}/{name} {seconds:.3f}")
                print(f"  round {round_ + 1}: " + ", ".join(line), flush=True)
    print("\nmedian (min), seconds from Enter to the body's first words on the terminal")
    for case in cases:
        print(f"{case} ({sizes[case] / 1e6:.1f} MB):")
        for name, _run in runs:
            values = times[(case, name)]
            print(f"  {name:<10} {statistics.median(values):7.3f}  ({min(values):.3f})")
        if (case, "neomutt") in times and (case, "popui") in times:
            ratio = statistics.median(times[(case, "popui")]) / statistics.median(
                times[(case, "neomutt")])
            verdict = "met" if ratio <= GOAL else "not met"
            print(f"  popui / neomutt: {ratio:.2f}x  (goal ≤ {GOAL}x: {verdict})")
        if (case, "neomutt") in times and (case, "popui before") in times:
            ratio = statistics.median(times[(case, "popui before")]) / statistics.median(
                times[(case, "neomutt")])
            print(f"  popui before / neomutt: {ratio:.2f}x")


if __name__ == "__main__":
    main()
