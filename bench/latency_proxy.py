"""A TCP proxy on 127.0.0.1 that adds a fixed one-way delay in each direction (RTT = 2 * delay).

Each chunk is stamped when it arrives and forwarded once its delay is up, while reading goes on,
so byte order is kept and pipelined commands are not serialised: ten pipelined requests cost
about one RTT, as on a real long link. TLS passes through untouched.

    with LatencyProxy(("127.0.0.1", 995), delay=0.05) as proxy:
        poplib.POP3_SSL(*proxy.address, context=ctx)      # 100 ms round trips
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import socket
import threading
import time
from typing import Any

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


class _SharedDelay(LatencyProxy):
    """The proxy in its own process, its delay read from memory the parent can change."""

    def __init__(self, target: tuple[str, int], shared: Any) -> None:
        self._shared = shared
        super().__init__(target, float(shared.value))  # sets the delay: the same value

    @property  # type: ignore[override]
    def delay(self) -> float:
        return float(self._shared.value)

    @delay.setter
    def delay(self, value: float) -> None:
        self._shared.value = value


def _serve(target: tuple[str, int], shared: Any, address: Any, stop: Any) -> None:
    with _SharedDelay(target, shared) as proxy:
        address.put(proxy.address)
        stop.wait()


class ProxyProcess:
    """``LatencyProxy`` in a process of its own, as the network is: its threads do not compete
    for the measured program's interpreter lock. Set ``delay`` at any time, as on the proxy."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._shared = context.Value("d", delay)
        self._stop = context.Event()
        addresses: Any = context.Queue()
        self._process = context.Process(target=_serve, args=(target, self._shared, addresses,
                                                             self._stop), daemon=True)
        self._process.start()
        self.address: tuple[str, int] = addresses.get(timeout=30)

    @property
    def host(self) -> str:
        return self.address[0]

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def delay(self) -> float:
        return float(self._shared.value)

    @delay.setter
    def delay(self, value: float) -> None:
        self._shared.value = value

    def __enter__(self) -> ProxyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
