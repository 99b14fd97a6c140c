"""A minimal inetd for servers that only speak on stdin/stdout (popa3d): ``PORT COMMAND...``.

Listens on 127.0.0.1:PORT and runs COMMAND for each connection with the socket as its stdin and
stdout, as inetd would. Used by tests/pop3_servers.py inside a private mount namespace.
"""

import signal
import socket
import subprocess
import sys


def main() -> None:
    port, command = int(sys.argv[1]), sys.argv[2:]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # sessions are reaped by the kernel
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        while True:
            conn, _ = listener.accept()
            with conn:
                subprocess.Popen(command, stdin=conn.fileno(), stdout=conn.fileno(),
                                 stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
