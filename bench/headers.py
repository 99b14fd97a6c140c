"""Benchmark: all headers of a big mailbox, popui's engine versus sequential poplib.

Creates a private Dovecot with N messages (default 10,000), puts a latency proxy in front of it,
and for each round-trip time measures in the same run:

- sequential: plain ``poplib`` sending ``TOP n 0`` one by one (what most clients do);
- engine: popui's session thread fetching every header block (pipelined, the window following
  the link), from handing it the request until the last header is reported;
- raw: the same ``TOP n 0`` bytes over one socket, all commands sent at once and the replies
  only counted, never parsed: the floor for reading those bytes in Python.

All three are timed after logging in (the engine also after its STAT and UIDL+LIST): no login
round trip counts anywhere.

    python bench/headers.py                 # 10,000 messages, RTT 0 and 20 ms (~4 minutes)
    python bench/headers.py -n 1000 --rtt 0 100
"""

from __future__ import annotations

import argparse
import poplib
import queue
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dovecot_mailbox import dovecot_mailbox
from latency_proxy import ProxyProcess

from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.requests import FetchHeaders
from popui.pop3.session import Pop3Session


def sequential(host: str, port: int, user: str, password: str, n: int) -> float:
    client = poplib.POP3(host, port, timeout=60)
    client.user(user)
    client.pass_(password)
    start = time.perf_counter()
    for number in range(1, n + 1):
        client.top(number, 0)
    elapsed = time.perf_counter() - start
    client.quit()
    return elapsed


def engine(host: str, port: int, user: str, password: str, n: int,
           parse: Callable[[bytes], object] | None = None) -> float:
    """Seconds for the session thread to bring in every header; with ``parse``, each block is
    also handed to it on the session thread (``bench/wire.py``'s engine+parse)."""
    events: queue.Queue[ev.Event] = queue.Queue()

    def on_event(event: ev.Event) -> None:
        if parse is not None and isinstance(event, ev.HeadersFetched):
            for _key, block in event.headers:
                parse(block)
        events.put(event)

    account = Account(name="bench", host=host, port=port, security="none", auth="user",
                      user=user, timeout=60)
    session = Pop3Session(account, on_event)
    session.start(Credentials(password=password))
    while not isinstance(listing := events.get(timeout=120), ev.Listing):
        if isinstance(listing, ev.Fatal | ev.LoginFailed):
            raise SystemExit(f"engine could not log in: {listing}")
    assert len(listing.messages) == n, (len(listing.messages), n)
    start = time.perf_counter()
    session.submit(FetchHeaders(tuple(m.uid for m in listing.messages)))
    done = 0
    while done < n:
        event = events.get(timeout=600)
        if isinstance(event, ev.HeadersFetched):
            done = event.done
        elif isinstance(event, ev.HeadersFailed | ev.ConnectionLost | ev.Fatal):
            raise SystemExit(f"engine failed: {event}")
    elapsed = time.perf_counter() - start
    session.stop()
    return elapsed


def raw(host: str, port: int, user: str, password: str, n: int) -> float:
    sock = socket.create_connection((host, port), timeout=60)
    reader = sock.makefile("rb")
    reader.readline()
    for line in (f"USER {user}", f"PASS {password}"):
        sock.sendall(line.encode() + b"\r\n")
        reader.readline()
    start = time.perf_counter()
    sock.sendall(b"".join(b"TOP %d 0\r\n" % i for i in range(1, n + 1)))
    seen, tail = 0, b""
    while seen < n:
        chunk = reader.read1(1 << 18)
        if not chunk:
            raise SystemExit("raw reader: connection closed")
        window = tail + chunk
        seen += window.count(b"\r\n.\r\n") - tail.count(b"\r\n.\r\n")
        tail = window[-4:]
    elapsed = time.perf_counter() - start
    sock.sendall(b"QUIT\r\n")
    sock.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("--rtt", type=float, nargs="+", default=[0.0, 20.0],
                        help="round-trip times in milliseconds (default: 0 20)")
    args = parser.parse_args()
    n = args.messages
    print(f"All headers of {n:,} messages (TOP n 0), Dovecot on loopback behind a latency proxy")
    print(f"{'RTT':>7} {'sequential poplib':>18} {'popui engine':>13} {'raw pipelined':>14} "
          f"{'speed-up':>9} {'engine/raw':>11}")
    with dovecot_mailbox(n) as user:
        target = (user.server.host, user.server.port_plain)
        for rtt in args.rtt:
            with ProxyProcess(target, rtt / 2000) as proxy:
                login = (proxy.host, proxy.port, user.name, user.password, n)
                t_raw = raw(*login)
                t_engine = engine(*login)
                t_seq = sequential(*login)
            print(f"{rtt:>5.0f}ms {t_seq:>17.2f}s {t_engine:>12.2f}s {t_raw:>13.2f}s "
                  f"{t_seq / t_engine:>8.0f}x {t_engine / t_raw:>10.2f}x", flush=True)


if __name__ == "__main__":
    main()
