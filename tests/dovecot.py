"""A private Dovecot POP3 server for tests and benchmarks.

Runs ``dovecot -F -c CONF`` with everything (config, runtime sockets, state, log, mail) in one
temporary directory, on free ports of 127.0.0.1, with a certificate from a throw-away trustme CA:

- ``port_stls``:    plain POP3 that offers STLS
- ``port_tls``:     implicit TLS (POP3S)
- ``port_plain``:   plain POP3 that does NOT offer STLS (a second login service with ``ssl=no``)

Users live in passwd-files with ``{PLAIN}`` passwords, so USER/PASS, APOP and the SASL
mechanisms PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256 all work.
Each user has a passwd-file of their own, so :meth:`DovecotServer.add_user` needs no restart.

As root, mail processes run as ``nobody`` (Dovecot refuses uid 0 for mail); otherwise
everything runs as the current user.
"""

from __future__ import annotations

import ctypes
import grp
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from maildir import Maildir, make_message

HOST = "127.0.0.1"
DEFAULT_USER = "alice"
DEFAULT_PASSWORD = "S3cr3t-P4ss-9d1e"
AUTH_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256")

_user_numbers = itertools.count(1)


class DovecotUnavailable(RuntimeError):
    """The dovecot binary is not installed."""


class DovecotError(RuntimeError):
    """Dovecot did not start or misbehaved; the message carries the tail of its log."""


def require_dovecot() -> None:
    """Skip without Dovecot locally; in CI a missing Dovecot is an error, never a skip."""
    if find_dovecot() is None:
        reason = "dovecot is not installed (apt-get install dovecot-pop3d, or run `make test`)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is an error, not a skip")
        pytest.skip(reason)


def find_dovecot() -> str | None:
    """Path of the dovecot binary (``/usr/sbin`` is often not on a user's PATH)."""
    found = shutil.which("dovecot")
    if found:
        return found
    for candidate in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the test process dies without stopping it (kill -9)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _check_searchable(path: Path) -> None:
    """Dovecot's auth and login processes run as other users: every parent must be o+x."""
    for parent in [path, *path.parents]:
        if not os.stat(parent).st_mode & 0o001:
            raise DovecotError(
                f"{parent} is not searchable by other users; set TMPDIR to a folder that is"
            )


@dataclass
class MailUser:
    """A POP3 account on the private server and its Maildir."""

    name: str
    password: str
    maildir: Maildir
    server: DovecotServer = field(repr=False)

    def fill(self, n: int, *, start: int = 0) -> list[EmailMessage]:
        """Deliver ``n`` generated messages numbered ``start..start+n-1``; return them."""
        messages = [make_message(i) for i in range(start, start + n)]
        self.maildir.deliver_many(messages)
        return messages


class DovecotServer:
    """Start with ``with DovecotServer() as server:`` (or ``start()``/``stop()``)."""

    def __init__(
        self,
        *,
        binary: str | None = None,
        start_timeout: float = 30.0,
        parent: str | None = None,
        extra_config: str = "",
    ) -> None:
        """``parent``: folder for the server's temporary directory (default: TMPDIR).
        ``extra_config``: lines appended to dovecot.conf (e.g. ``pop3_lock_session = yes``)."""
        found = binary or find_dovecot()
        if not found:
            raise DovecotUnavailable(
                "dovecot is not installed (apt-get install dovecot-pop3d, or run `make test`)"
            )
        self.binary = found
        self.start_timeout = start_timeout
        self.parent = parent
        self.extra_config = extra_config
        self.host = HOST
        self.port_stls = self.port_tls = self.port_plain = 0
        self.users: dict[str, MailUser] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()

    # -- paths -------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        if self._root is None:
            raise DovecotError("server not started")
        return self._root

    @property
    def ca_file(self) -> Path:
        """PEM of the test CA; clients verify the server with it."""
        return self.root / "ca.pem"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def passwd_dir(self) -> Path:
        """One passwd-file per user: a new user's file is read fresh on its first login."""
        return self.root / "passwd.d"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, pattern: str, *, timeout: float = 10.0) -> re.Match[str]:
        """Wait until a log line matches ``pattern`` (e.g. a session's "Disconnected")."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text().splitlines():
                if match := regex.search(line):
                    return match
            if time.monotonic() > deadline:
                raise DovecotError(f"no log line matched {pattern!r}:\n{self._log_tail()}")
            time.sleep(0.02)  # poll interval for the condition above, not a sync

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="popui-dovecot-", dir=self.parent))
        try:
            self.root.chmod(0o755)
            _check_searchable(self.root)
            for sub in ("base", "state", "home"):
                (self.root / sub).mkdir(mode=0o755)
            self._write_certificates()
            self.passwd_dir.mkdir(mode=0o755)
            self._start_server()
            self.add_user(DEFAULT_USER, DEFAULT_PASSWORD)
        except BaseException:
            self.stop()
            raise

    def _start_server(self) -> None:
        # Free ports are picked before Dovecot binds them; retry if another process was faster.
        for attempt in range(3):
            self.port_stls, self.port_tls, self.port_plain = _free_ports(3)
            (self.root / "dovecot.conf").write_text(self._config())
            self.log_path.write_text("")
            self._spawn()
            try:
                self._wait_ready()
                return
            except DovecotError:
                in_use = "Address already in use" in self.log_text()
                self._terminate()
                if not in_use or attempt == 2:
                    raise

    def _spawn(self) -> None:
        with open(self.root / "master.out", "ab") as out:
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                umask=0o022,
                # The death signal follows the spawning *thread*: only tie it to the main one.
                preexec_fn=(
                    _die_with_parent if threading.current_thread() is threading.main_thread()
                    else None
                ),
            )

    def halt(self) -> None:
        """Stop the server process (every session is cut); users and mail stay."""
        self._terminate()

    def resume(self) -> None:
        """Start the halted server again on the same ports."""
        self._spawn()
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Poll until every listener answers with a greeting (no blind sleep)."""
        deadline = time.monotonic() + self.start_timeout
        ctx = self.ssl_context()
        for port, tls in ((self.port_stls, False), (self.port_tls, True), (self.port_plain, False)):
            while True:
                if self._proc is None or self._proc.poll() is not None:
                    raise DovecotError(f"dovecot exited during start-up:\n{self._log_tail()}")
                try:
                    # wrap_socket takes the socket over: close what it returns, not ``raw``
                    raw = socket.create_connection((self.host, port), timeout=2)
                    with ctx.wrap_socket(raw, server_hostname=self.host) if tls else raw as sock:
                        greeting = sock.recv(512)
                    if greeting.startswith(b"+OK"):
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise DovecotError(f"dovecot port {port} not ready:\n{self._log_tail()}")
                time.sleep(0.02)  # poll interval while waiting for the listener, not a sync

    def _log_tail(self) -> str:
        out = self.root / "master.out"
        text = self.log_text() + (out.read_text(errors="replace") if out.exists() else "")
        return "\n".join(text.splitlines()[-30:])

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # the master stops its children on SIGTERM
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop(self) -> None:
        self._terminate()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- users -------------------------------------------------------------------------

    def add_user(self, name: str | None = None, password: str | None = None) -> MailUser:
        """Add an account with an empty Maildir; the name and password default to fresh ones."""
        if name is None:
            name = f"user{next(_user_numbers):04d}"
        if password is None:
            password = f"pw-{name}-{os.urandom(6).hex()}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) or name in self.users:
            raise ValueError(f"unusable or duplicate user name {name!r}")
        if any(c in password for c in ":\n\r"):
            raise ValueError("a passwd-file password cannot hold ':' or a line break")
        home = self.root / "home" / name
        home.mkdir(mode=0o700)
        if os.geteuid() == 0:
            os.chown(home, self.mail_uid, self.mail_gid)
        maildir = Maildir(home / "Maildir", self.mail_uid, self.mail_gid)
        maildir.create()
        # Dovecot checks a changed passwd-file at most once a second, so each user gets a file
        # of their own (``args = passwd.d/%n``): a new file is read on its first lookup.
        entry = self.passwd_dir / name
        entry.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        entry.chmod(0o644)
        user = MailUser(name, password, maildir, self)
        self.users[name] = user
        return user

    @property
    def default_user(self) -> MailUser:
        return self.users[DEFAULT_USER]

    @property
    def passwords(self) -> list[str]:
        """Every password of the server's users, for tests that check redaction."""
        return [u.password for u in self.users.values()]

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the server against the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    # -- config ------------------------------------------------------------------------

    def _write_certificates(self) -> None:
        ca = trustme.CA()
        cert = ca.issue_cert(HOST, "localhost")
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert.cert_chain_pems[0].write_to_path(str(self.root / "cert.pem"))
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(str(self.root / "cert.pem"), append=True)
        cert.private_key_pem.write_to_path(str(self.root / "key.pem"))
        (self.root / "key.pem").chmod(0o600)

    def _config(self) -> str:
        r = self.root
        if os.geteuid() == 0:
            run_as = ""
            chroot = ""
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            run_as = (
                f"default_login_user = {me}\ndefault_internal_user = {me}\n"
                f"default_internal_group = {group}\n"
            )
            chroot = "  chroot =\n"
        return f"""\
# Generated by tests/dovecot.py for one test session.
instance_name = popui-test
protocols = pop3
listen = {HOST}
base_dir = {r}/base
state_dir = {r}/state
log_path = {r}/dovecot.log
info_log_path = {r}/dovecot.log
{run_as}
ssl = yes
ssl_cert = <{r}/cert.pem
ssl_key = <{r}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 apop
auth_verbose = yes
auth_cache_size = 0
# Fail fast: a wrong password answers at once instead of after 2 s.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
pop3_uidl_format = %08Xu%08Xv
pop3_client_workarounds =
{self.extra_config}

passdb {{
  driver = passwd-file
  args = {r}/passwd.d/%n
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={r}/home/%u
}}

service pop3-login {{
{chroot}  inet_listener pop3 {{
    port = {self.port_stls}
  }}
  inet_listener pop3s {{
    port = {self.port_tls}
    ssl = yes
  }}
}}
# No growing delay after failed logins from 127.0.0.1: tests fail passwords on purpose.
service anvil {{
{chroot}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
# A second login service without TLS, so this port does not offer STLS.
service pop3-login-nostls {{
  protocol = pop3
  type = login
  executable = pop3-login -o ssl=no
  user = $default_login_user
  chroot = {"" if chroot else "login"}
  inet_listener pop3-nostls {{
    port = {self.port_plain}
  }}
}}
"""
