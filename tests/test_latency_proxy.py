"""The benchmark latency proxy relays bytes intact and really adds the delay."""

from __future__ import annotations

import os
import poplib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from dovecot import MailUser
from latency_proxy import LatencyProxy, ProxyProcess


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_server() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, "connection closed early"
        buf += chunk
    return bytes(buf)


def test_relays_bytes_intact_in_both_directions(echo_server: tuple[str, int]) -> None:
    payload = os.urandom(2_000_000)
    with LatencyProxy(echo_server, delay=0.001) as proxy, socket.create_connection(
        proxy.address, timeout=10
    ) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        assert recv_exactly(sock, len(payload)) == payload
        sender.join()
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1) == b""  # the half-close travels through and comes back


def test_round_trip_takes_at_least_the_rtt(echo_server: tuple[str, int]) -> None:
    delay = 0.05
    with LatencyProxy(echo_server, delay=delay) as proxy, socket.create_connection(
        proxy.address, timeout=10
    ) as sock:
        for i in range(3):
            start = time.monotonic()
            sock.sendall(b"ping %d\n" % i)
            assert recv_exactly(sock, 7) == b"ping %d\n" % i
            assert time.monotonic() - start >= 2 * delay


def test_the_proxy_in_a_process_of_its_own_keeps_its_first_delay(
        echo_server: tuple[str, int]) -> None:
    with ProxyProcess(echo_server, 0.05) as proxy, socket.create_connection(
        proxy.address, timeout=10
    ) as sock:
        assert proxy.delay == 0.05
        start = time.monotonic()
        sock.sendall(b"ping\n")
        assert recv_exactly(sock, 5) == b"ping\n"
        assert time.monotonic() - start >= 0.1


def test_the_proxy_in_a_process_of_its_own_takes_a_new_delay(echo_server: tuple[str, int]) -> None:
    """The benchmarks run the proxy out of process (it stands for the network) and change its
    delay between a cold fill at RTT 0 and the measured rounds."""
    with ProxyProcess(echo_server, 0.0) as proxy, socket.create_connection(
        proxy.address, timeout=10
    ) as sock:
        sock.sendall(b"fast\n")
        assert recv_exactly(sock, 5) == b"fast\n"
        proxy.delay = 0.05
        assert proxy.delay == 0.05
        start = time.monotonic()
        sock.sendall(b"slow\n")
        assert recv_exactly(sock, 5) == b"slow\n"
        assert time.monotonic() - start >= 0.1


def test_pipelined_requests_are_not_serialised(echo_server: tuple[str, int]) -> None:
    delay = 0.1
    requests = [b"request %02d\n" % i for i in range(10)]
    with LatencyProxy(echo_server, delay=delay) as proxy, socket.create_connection(
        proxy.address, timeout=10
    ) as sock:
        start = time.monotonic()
        for request in requests:
            sock.sendall(request)
        assert recv_exactly(sock, sum(map(len, requests))) == b"".join(requests)
        elapsed = time.monotonic() - start
    assert elapsed >= 2 * delay
    # Serialised, ten round trips would take 2 s; pipelined they take about one RTT.
    assert elapsed < 5 * 2 * delay


def test_pop3_over_tls_through_the_proxy(mailbox: MailUser) -> None:
    mailbox.fill(2)
    server = mailbox.server
    with LatencyProxy((server.host, server.port_tls), delay=0.01) as proxy:
        pop = poplib.POP3_SSL(*proxy.address, context=server.ssl_context(), timeout=10)
        pop.user(mailbox.name)
        pop.pass_(mailbox.password)
        assert pop.stat()[0] == 2
        pop.quit()
