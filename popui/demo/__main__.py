"""``python -m popui.demo``: serve the demo mailbox until Ctrl+C, for driving the app by hand."""

from __future__ import annotations

import argparse
import threading

from popui.demo import DEMO_PASSWORD, DEMO_USER, start_demo_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m popui.demo", description="Serve the popui demo mailbox over POP3."
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--count", type=int, default=300, help="messages (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: %(default)s)")
    args = parser.parse_args(argv)
    server = start_demo_server(args.count, seed=args.seed, host=args.host, port=args.port)
    print(
        f"popui demo POP3 server: {len(server.mailbox)} messages\n"
        f"  host:     {server.host}\n  port:     {server.port}\n"
        f"  user:     {DEMO_USER}\n  password: {DEMO_PASSWORD}\n  security: none\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
