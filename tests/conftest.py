"""Shared fixtures: one private Dovecot for the session, a fresh empty mailbox per test.

    def test_something(mailbox):                 # a new user with an empty Maildir
        mailbox.fill(5)                          # 5 generated messages (see maildir.make_message)
        server = mailbox.server                  # host, port_stls, port_tls, port_plain, ca_file
        ... log in as mailbox.name / mailbox.password ...
        assert mailbox.maildir.seen_files() == []

Without Dovecot the Dovecot tests are skipped locally, but fail when the ``CI`` variable is set.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from dovecot import DovecotServer, MailUser, require_dovecot
from hypothesis import settings
from memory_keyring import MemoryKeyring

from popui.demo import DemoServer, start_demo_server

# Property tests: a fixed, derandomised profile everywhere (CI gets the same cases every run);
# HYPOTHESIS_PROFILE=explore draws new ones while developing.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# bench/ holds tools the tests use too (e.g. ``from latency_proxy import LatencyProxy``).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """The private Dovecot POP3 server, started once per test session."""
    require_dovecot()
    with DovecotServer() as server:
        yield server


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    """The embedded demo server with 20 messages (modules may define their own ``demo``)."""
    server = start_demo_server(20)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> MailUser:
    """A new POP3 user with an empty Maildir, so tests never see each other's mail."""
    return dovecot.add_user()


@pytest.fixture
def dovecot_ssl_context(dovecot: DovecotServer) -> ssl.SSLContext:
    """A client SSL context that verifies the private Dovecot against the test CA."""
    return dovecot.ssl_context()


@pytest.fixture(scope="session", autouse=True)
def _private_keyring() -> Iterator[None]:
    """No test may read or write the real keyring of the machine running the suite."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)
