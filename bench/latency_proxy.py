"""A TCP proxy on 127.0.0.1 that adds a fixed one-way delay in each direction (RTT = 2 * delay).

Each chunk is stamped when it arrives and forwarded once its delay is up, while reading goes on,
so byte order is kept and pipelined commands are not serialised: ten pipelined requests cost
about one RTT, as on a real long link. TLS passes through untouched.

    with LatencyProxy(("127.0.0.1", 995), delay=0.05) as proxy:
        poplib.POP3_SSL(*proxy.address, context=ctx)      # 100 ms round trips
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

_EOF = b""


class LatencyProxy:
    def __init__(self, target: tuple[str, int], delay: float, *, host: str = "127.0.0.1") -> None:
        self.target = target
        self.delay = delay
        self._listener = socket.create_server((host, 0))
        self.address: tuple[str, int] = (host, self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    def __enter__(self) -> LatencyProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self._spawn(self._accept_loop)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, upstream]
            # Each direction ends with a half-close; once both have, the pair is closed.
            pending = [2]
            for src, dst in ((client, upstream), (upstream, client)):
                chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()
                self._spawn(self._read, src, chunks)
                self._spawn(self._write, dst, chunks, (client, upstream), pending)

    def _read(self, src: socket.socket, chunks: queue.Queue[tuple[float, bytes]]) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = _EOF
            chunks.put((time.monotonic() + self.delay, data))
            if not data:
                return

    def _write(
        self,
        dst: socket.socket,
        chunks: queue.Queue[tuple[float, bytes]],
        pair: tuple[socket.socket, socket.socket],
        pending: list[int],
    ) -> None:
        try:
            self._forward(dst, chunks)
        finally:
            with self._lock:
                pending[0] -= 1
                done = pending[0] == 0
                if done:
                    self._sockets = [s for s in self._sockets if s not in pair]
            if done:
                for sock in pair:
                    sock.close()

    def _forward(self, dst: socket.socket, chunks: queue.Queue[tuple[float, bytes]]) -> None:
        while True:
            due, data = chunks.get()
            wait = due - time.monotonic()
            if wait > 0 and self._closed.wait(wait):  # the delay itself; wakes early on close
                return
            try:
                if data:
                    dst.sendall(data)
                else:
                    dst.shutdown(socket.SHUT_WR)  # pass the half-close on, after the delay
                    return
            except OSError:
                return

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
            threads = list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in threads:
            thread.join(timeout=5)
