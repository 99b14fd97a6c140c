"""A TCP relay in front of a real server that cuts connections at a chosen point.

The most honest way to break a session with Dovecot: the server and the client both see a real
connection die, at an exact place in the conversation.

    with Relay(dovecot.host, dovecot.port_plain) as relay:
        rule = relay.cut(b"RETR ", server_bytes=5000)   # 5,000 bytes of the answer, then cut
        ... connect the client to relay.host, relay.port ...
        rule.fired.wait(5)

A rule watches what the client sends. When ``trigger`` appears, the client's bytes up to and
including it reach the server (``forward=False``: only those before it, and the cut is
immediate), then the first ``server_bytes`` bytes of the server's answer reach the client, and
both connections are closed. The cut waits for the server's answer, so the server has acted on
the command (e.g. QUIT applied the deletions) even when ``server_bytes=0``.
A rule fires ``times`` times (``None``: on every match).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Rule:
    trigger: bytes
    server_bytes: int = 0
    forward: bool = True
    times: int | None = 1
    fired: threading.Event = field(default_factory=threading.Event)
    count: int = 0

    def armed(self) -> bool:
        return self.times is None or self.count < self.times


class Relay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()[:2]
        self.rules: list[Rule] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._stopping = False
        self._threads: list[threading.Thread] = []

    def cut(self, trigger: bytes, *, server_bytes: int = 0, forward: bool = True,
            times: int | None = 1) -> Rule:
        rule = Rule(trigger, server_bytes, forward, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def __enter__(self) -> Relay:
        thread = threading.Thread(target=self._accept, name="relay-accept", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in list(self._open):
                _close(sock)
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self.connections += 1
                self._open |= {client, upstream}
            thread = threading.Thread(target=self._pump, args=(client, upstream), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _match(self, data: bytes) -> tuple[Rule, int] | None:
        with self._lock:
            for rule in self.rules:
                index = data.find(rule.trigger)
                if rule.armed() and index >= 0:
                    rule.count += 1
                    return rule, index
        return None

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        allowance: int | None = None  # server bytes still let through after a trigger
        fired: Rule | None = None
        try:
            while not self._stopping:
                readable, _, _ = select.select([client, upstream], [], [], 0.2)
                if client in readable:
                    data = client.recv(65536)
                    if not data:
                        return
                    if fired is None and (found := self._match(data)):
                        fired, index = found
                        if not fired.forward:
                            upstream.sendall(data[:index])
                            return
                        allowance = fired.server_bytes
                    upstream.sendall(data)
                if upstream in readable:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    if allowance is not None:
                        client.sendall(data[:allowance])
                        allowance -= len(data)
                        if allowance <= 0:
                            return
                        continue
                    client.sendall(data)
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                _close(sock)
                with self._lock:
                    self._open.discard(sock)
            if fired is not None:
                fired.fired.set()


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
