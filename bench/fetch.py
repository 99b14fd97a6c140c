"""Benchmark: ``popui fetch`` of a realistic mailbox over a link with latency, pipelined RETR
(the default window) against one RETR at a time (the baseline), both measured in this run.

Each run saves every message to a fresh Maildir (each one fsynced and recorded, as for real);
the ratio is what pipelining saves on a link with that round-trip time.

    .venv/bin/python bench/fetch.py [--messages N] [--rtt MS]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from dovecot_mailbox import dovecot_mailbox  # noqa: E402
from latency_proxy import LatencyProxy  # noqa: E402

from popui.mailout import open_destination  # noqa: E402
from popui.mailout.download import download  # noqa: E402
from popui.pop3.account import Account, Credentials  # noqa: E402
from popui.pop3.client import RETR_WINDOW, Pop3Client  # noqa: E402
from popui.store.fetched import FetchedRecord  # noqa: E402


def run(user, proxy: LatencyProxy, window: int) -> tuple[float, int]:
    account = Account(name="bench", host=proxy.host, port=proxy.port, user=user.name,
                      security="none", timeout=60.0)
    with tempfile.TemporaryDirectory() as folder:
        destination = open_destination(f"{folder}/inbox/")
        with FetchedRecord(Path(folder) / "state", "bench", folder) as record:
            start = time.perf_counter()
            client = Pop3Client(account)
            client.login(Credentials(password=user.password))
            result = download(client, destination, record, window=window)
            elapsed = time.perf_counter() - start
    if result.stopped:
        raise SystemExit(f"the fetch failed: {result.failure}")
    return elapsed, len(result.saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rtt", type=float, default=40.0, help="round-trip time in ms")
    args = parser.parse_args()
    with dovecot_mailbox(args.messages) as user:
        server = user.server
        with LatencyProxy((server.host, server.port_plain), delay=args.rtt / 2000) as proxy:
            base, count = run(user, proxy, window=1)
            piped, _ = run(user, proxy, window=RETR_WINDOW)
    print(f"popui fetch of {count} messages over a {args.rtt:.0f} ms round trip\n")
    print(f"one RETR at a time (baseline): {base:6.2f} s")
    print(f"pipelined, window {RETR_WINDOW:<3}:        {piped:6.2f} s")
    print(f"\nratio: {base / piped:.1f}x faster pipelined")


if __name__ == "__main__":
    main()
