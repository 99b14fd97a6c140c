"""Benchmark: every list row filled, at the speed of the wire? (issue 9)

One private Dovecot holds N messages with realistic header blocks (mean ~1.75 KB, see
realistic_headers.py); one latency proxy sits in front of it (RTT 20 ms by default), in a process
of its own as a network would be (in this process its threads took the interpreter lock from the
engine and made it look 2x slower than it is). Each round
measures, one after the other and in the same run (so load on the machine hits them all alike):

- raw:          one socket, all ``TOP n 0`` sent at once, replies counted, never parsed — the
                floor for moving those bytes in Python;
- engine:       popui's session thread fetching every header block (``FetchHeaders``), the
                events consumed by a queue, no parsing;
- engine+parse: the same with ``summarize_headers`` run on the session thread for every block
                (where the app parses today);
- neomutt warm: ``neomutt -f pop://...`` with its header cache filled, in a pseudo-terminal,
                from start until it quits after showing the index (when neomutt is installed;
                ``apt-get install neomutt``);
- app cold/warm: ``PopuiApp`` headless (``run_test``) in a fresh interpreter (app_child.py),
                from process start (imports count) until every row is filled: cold with an
                empty state folder, warm reopening with the header cache the cold run left;
- key press:    a third, cold start pressing j and k every 50 ms while the rows fill: from
                the key event to the next frame after the cursor moved (app_child.py).

``--before`` adds engine+parse and the app with the header summariser of before issue 9 (loaded
from git, see summarize.py), to show what the fast summariser changes end to end.

It prints the median of each over the rounds (min in brackets) and the ratios issue 9 sets goals
for. Nothing here is a test; run it on an otherwise idle machine and say which one.

    .venv/bin/python bench/wire.py                        # 10,000 messages, 20 ms, 3 rounds
    .venv/bin/python bench/wire.py -n 100000 --rtt 0 --rounds 1 --skip neomutt
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dovecot_mailbox import dovecot_mailbox  # noqa: E402
from headers import engine, raw  # noqa: E402
from latency_proxy import ProxyProcess  # noqa: E402

GOALS = {  # (numerator, denominator): at most this ratio
    ("engine", "raw"): 1.5,
    ("app cold", "neomutt warm"): 2.0,
    ("app warm", "neomutt warm"): 0.8,
}
KEY_GOAL_MS = 50  # median latency of a key press while the rows fill
BIG_COLD_GOAL = 2.5  # 100,000 messages at RTT 0: app cold / raw
BIG_RSS_GOAL_MB = 200


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    user: str
    password: str
    n: int


# -- the session thread, parsing as the app does today ----------------------------------------


def _summarizer(before: bool) -> Callable[[bytes], object]:
    if before:
        from summarize import before_summarizer

        old = before_summarizer()
        if old is None:
            raise SystemExit("--before needs git to show the old summariser")
        return old
    from popui.mail.headers import summarize_headers

    return summarize_headers


def engine_parse(login: Login, before: bool = False) -> float:
    """``engine`` with every header block summarised on the session thread."""
    return engine(login.host, login.port, login.user, login.password, login.n,
                  parse=_summarizer(before))


# -- neomutt -----------------------------------------------------------------------------------


class NeoMutt:
    """neomutt on the POP3 account in a pseudo-terminal, with a header cache of its own."""

    def __init__(self, login: Login, folder: Path) -> None:
        self.login = login
        self.folder = folder
        self.url = f"pop://{login.user}@{login.host}:{login.port}/"
        self.rc = folder / "muttrc"
        self.log = folder / "screen.log"
        self.rc.write_text(
            f'set pop_user="{login.user}"\n'
            f'set pop_pass="{login.password}"\n'
            f'set header_cache="{folder / "hcache"}"\n'
            f'set message_cachedir="{folder / "bodies"}"\n'
            "set ssl_starttls=no\nset ssl_force_tls=no\n"
            "set quit=yes\nset pop_delete=no\nset move=no\nset mail_check_stats=no\n"
            "set sort=date\nset record=/dev/null\nset help=no\n"
            "set sleep_time=0\n",  # else it pauses 1 s on each progress message
            encoding="utf-8",
        )
        os.chmod(self.rc, 0o600)
        (folder / "Mail").mkdir()  # else neomutt asks whether to create ~/Mail

    @staticmethod
    def available() -> bool:
        return shutil.which("neomutt") is not None

    def run(self, timeout: float = 600.0) -> float:
        """Seconds from start until neomutt exits after opening the mailbox and quitting."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "HOME": str(self.folder)}
        start = time.perf_counter()
        proc = subprocess.Popen(
            ["neomutt", "-n", "-F", str(self.rc), "-f", self.url, "-e", "push <quit>"],
            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        screen = bytearray()

        def drain() -> None:  # neomutt blocks when nobody reads the terminal
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return
                if not data:
                    return
                screen.extend(data[-4096:])

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.log.write_bytes(bytes(screen))
            raise SystemExit(f"neomutt did not finish in {timeout:.0f} s; see {self.log}") from None
        finally:
            if proc.poll() is None:  # timed out or interrupted: it runs in a session of its own
                proc.kill()
                proc.wait()
        elapsed = time.perf_counter() - start
        os.close(master)
        reader.join(timeout=5)
        self.log.write_bytes(bytes(screen))
        if proc.returncode != 0:
            raise SystemExit(f"neomutt exited with {proc.returncode}; see {self.log}")
        return elapsed


# -- the app, end to end ------------------------------------------------------------------------


@dataclass
class AppRun:
    seconds: float
    peak_rss_mb: float
    cache_bytes: int
    key_ms: list[float] = field(default_factory=list)


def app_fill(login: Login, state: Path, before: bool = False, keys: bool = False) -> AppRun:
    """The app in a fresh interpreter: process start to every row filled."""
    command = [sys.executable, str(ROOT / "bench" / "app_child.py"), login.host, str(login.port),
               login.user, str(login.n), str(state),
               "before" if before else "keys" if keys else "now"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(login.password + "\n")
        proc.stdin.close()
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        rest = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not line.startswith("FILLED"):
        raise SystemExit(f"the app did not fill its rows: {line!r} {rest!r}")
    cache = sum(p.stat().st_size for p in state.rglob("*") if p.is_file())
    words = line.split()
    key_ms = [float(ms) for ms in words[2].split(",") if ms] if len(words) > 2 else []
    return AppRun(elapsed, int(words[1]) / 1024, cache, key_ms)


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    key_ms: list[float] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float | None:
        return statistics.median(self.times[name]) if self.times.get(name) else None


def compile_popui() -> None:
    """Byte-compile popui as ``pip install`` does: an editable checkout (or one run with
    PYTHONDONTWRITEBYTECODE) compiles every module from source at each start, which no
    installed copy does."""
    import compileall

    compileall.compile_dir(ROOT / "popui", quiet=1)


def measure(args: argparse.Namespace) -> Results:
    results = Results()
    compile_popui()
    skip = set(args.skip)
    with dovecot_mailbox(args.messages) as user, tempfile.TemporaryDirectory() as tmp:
        target = (user.server.host, user.server.port_plain)
        with ProxyProcess(target, 0.0) as proxy:  # one proxy: one port, so caches stay valid
            login = Login(proxy.host, proxy.port, user.name, user.password, args.messages)
            neomutt = None
            if "neomutt" not in skip and NeoMutt.available():
                folder = Path(tmp) / "neomutt"
                folder.mkdir()
                neomutt = NeoMutt(login, folder)
                cold = neomutt.run(timeout=3600)  # fills its header cache, at RTT 0
                results.notes.append(f"neomutt cold at RTT 0 (filling its cache): {cold:.2f} s")
            elif "neomutt" not in skip:
                results.notes.append("neomutt is not installed: no neomutt figures")
            proxy.delay = args.rtt / 2000
            runs: list[tuple[str, Callable[[], float]]] = [
                ("raw", lambda: raw(login.host, login.port, login.user, login.password,
                                    login.n)),
                ("engine", lambda: engine(login.host, login.port, login.user, login.password,
                                          login.n)),
                ("engine+parse", lambda: engine_parse(login)),
            ]
            if args.before:
                runs.append(("engine+parse (before)", lambda: engine_parse(login, True)))
            if neomutt is not None:
                runs.append(("neomutt warm", neomutt.run))
            for round_ in range(args.rounds):
                for name, run in runs:
                    if name not in skip:
                        results.add(name, run())
                for before in (False, True) if args.before else (False,):
                    if "app" in skip:
                        break
                    label = " (before)" if before else ""
                    state = Path(tmp) / f"state-{round_}{label.strip(' ()')}"
                    state.mkdir()
                    cold_run = app_fill(login, state, before)
                    warm_run = app_fill(login, state, before)
                    if not before:
                        results.peak_rss_mb += [cold_run.peak_rss_mb, warm_run.peak_rss_mb]
                    results.add(f"app cold{label}", cold_run.seconds)
                    results.add(f"app warm{label}", warm_run.seconds)
                    if not before:  # a third start, cold, with keys pressed as rows fill
                        keys = Path(tmp) / f"keys-{round_}"
                        keys.mkdir()
                        results.key_ms += app_fill(login, keys, keys=True).key_ms
                    results.notes.append(
                        f"round {round_ + 1}: app{label} peak RSS cold "
                        f"{cold_run.peak_rss_mb:.0f} MB, warm {warm_run.peak_rss_mb:.0f} MB; "
                        f"state folder {cold_run.cache_bytes / 1e6:.1f} MB"
                    )
                print(f"  round {round_ + 1}: " + ", ".join(
                    f"{name} {times[-1]:.2f} s" for name, times in results.times.items()
                ), flush=True)
    return results


def report(args: argparse.Namespace, results: Results) -> None:
    header_bytes = args.messages * 1775
    print(f"\n{args.messages:,} messages (headers ~{header_bytes / 1e6:.0f} MB), RTT "
          f"{args.rtt:g} ms, {args.rounds} round(s); median (min)")
    for name, times in results.times.items():
        print(f"  {name:<22} {statistics.median(times):7.2f} s  ({min(times):.2f})")
    for note in results.notes:
        print(f"  {note}")
    print("ratios (goal):")
    for (top, bottom), goal in GOALS.items():
        a, b = results.median(top), results.median(bottom)
        if a is None or b is None:
            continue
        ratio = a / b
        verdict = "met" if ratio <= goal else "not met"
        print(f"  {top} / {bottom}: {ratio:5.2f}x  (≤ {goal}x: {verdict})")
    if results.key_ms:
        ms = statistics.median(results.key_ms)
        worst = max(results.key_ms)
        verdict = "met" if ms <= KEY_GOAL_MS else "not met"
        print(f"  key press while rows fill (cold start): median {ms:.0f} ms, max {worst:.0f} ms "
              f"over {len(results.key_ms)} keys  (≤ {KEY_GOAL_MS} ms: {verdict})")
    for top, bottom in (("engine+parse", "raw"), ("app cold", "raw")):
        a, b = results.median(top), results.median(bottom)
        if a is not None and b is not None:
            goal = ""
            if top == "app cold" and args.messages >= 100_000:
                met = "met" if a / b <= BIG_COLD_GOAL else "not met"
                goal = f"  (≤ {BIG_COLD_GOAL}x at 100,000: {met})"
            print(f"  {top} / {bottom}: {a / b:5.2f}x{goal}")
    if results.peak_rss_mb and args.messages >= 100_000:
        peak = max(results.peak_rss_mb)
        verdict = "met" if peak <= BIG_RSS_GOAL_MB else "not met"
        print(f"  peak RSS at 100,000 (app and parser process): {peak:.0f} MB  "
              f"(≤ {BIG_RSS_GOAL_MB} MB: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("--rtt", type=float, default=20.0, help="round trip in ms (default 20)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", action="store_true",
                        help="also run the app with the summariser of before issue 9")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["raw", "engine", "engine+parse", "neomutt", "app"])
    args = parser.parse_args()
    print(f"Filling every row: {args.messages:,} messages, RTT {args.rtt:g} ms; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    report(args, measure(args))


if __name__ == "__main__":
    main()
