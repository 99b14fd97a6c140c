"""Private instances of Cyrus, Courier, popa3d and GNU Mailutils POP3 servers (Dovecot: dovecot.py).

Each runs from one temporary directory (config, users, mail, certificate from a throw-away trustme
CA) on a free port of 127.0.0.1, started and stopped by a session fixture, and leaves the machine's
own services and files alone:

- **Cyrus**: ``master`` with a cyrus.conf of just pop3 and lmtpd (mail goes in over LMTP), users in
  a private sasldb; the store is read with ``mbexamine``.
- **Courier**: ``couriertcpd`` + ``courierpop3login`` and ``authdaemond`` with a private userdb.
  Courier's authlib has its paths compiled in (/etc/courier, /run/courier), so both run in a
  private mount namespace where those two folders are the temporary ones. Mail in a Maildir.
- **popa3d**: a system-user server (PAM, /var/mail, chroot to /var/lib/popa3d, inetd mode): it runs
  behind a tiny inetd (mini_inetd.py) in a private mount namespace whose /etc/passwd, /etc/shadow,
  /var/mail and /var/lib are temporary copies, so no system user is created. No TLS.
- **GNU Mailutils**: ``pop3d`` in daemon mode with its own config; users from its ``virtdomain``
  passwd files (log in as ``name@popui.test``), mail in an mbox per home.

All four need root (users switch, namespaces); Courier, Cyrus and popa3d are unpacked by ``make
servers`` into .servers/ (they conflict with dovecot-pop3d as Debian packages).
"""

from __future__ import annotations

import contextlib
import ctypes
import mailbox as mboxlib
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import trustme
from maildir import Maildir, as_bytes, make_message

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
UNPACKED = Path(os.environ.get("POPUI_TEST_SERVERS", REPO / ".servers"))
NOBODY = 65534
CYRUS_BIN = Path("/usr/lib/cyrus/bin")


class ServerUnavailable(RuntimeError):
    """The server cannot run here; the message says why (the test skips with it)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    os.setsid()
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _crypt(password: str) -> str:
    return subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, text=True,
                          capture_output=True, check=True).stdout.strip()


def _need(*paths: Path | str) -> None:
    if os.geteuid() != 0:
        raise ServerUnavailable("needs root (it switches users and uses a mount namespace)")
    for path in paths:
        if not os.access(path, os.X_OK):
            raise ServerUnavailable(f"{path} is missing (run `make servers` as root)")


@dataclass
class ServerUser:
    """A POP3 account on one private server: ``login`` is what the client sends to USER."""

    login: str
    password: str
    server: PrivateServer = field(repr=False)
    home: Path

    def fill(self, n: int, *, start: int = 0) -> list[EmailMessage]:
        messages = [make_message(i) for i in range(start, start + n)]
        self.server.deliver(self, messages)
        return messages

    def message_ids(self) -> set[str]:
        return self.server.message_ids(self)

    def seen_message_ids(self) -> set[str]:
        return self.server.seen_message_ids(self)


class PrivateServer:
    """Base: a temporary root, a certificate, a process group started and stopped as one."""

    name = ""
    offers_stls = True

    def __init__(self) -> None:
        self.host = HOST
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None
        self._users = 0

    @property
    def root(self) -> Path:
        assert self._root is not None, "server not started"
        return self._root

    @property
    def ca_file(self) -> Path:
        return self.root / "ca.pem"

    def __enter__(self) -> PrivateServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.check()
        self._root = Path(tempfile.mkdtemp(prefix=f"popui-{self.name}-"))
        self.root.chmod(0o755)
        try:
            ca = trustme.CA()
            cert = ca.issue_cert(HOST, "localhost")
            ca.cert_pem.write_to_path(str(self.ca_file))
            cert.cert_chain_pems[0].write_to_path(str(self.root / "cert.pem"))
            cert.private_key_pem.write_to_path(str(self.root / "key.pem"))
            (self.root / "key.pem").chmod(0o600)
            self.port = _free_port()
            with open(self.root / "server.log", "ab") as log:
                self._proc = subprocess.Popen(
                    self.prepare(), stdin=subprocess.DEVNULL, cwd=self.root, stdout=log,
                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is None or self._proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up:\n{self.log()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=2) as sock:
                    if sock.recv(512).startswith(b"+OK"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready on port {self.port}:\n{self.log()}")
            time.sleep(0.02)  # poll interval while the listener starts, not a sync

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):  # children that outlived the leader
                os.killpg(proc.pid, signal.SIGKILL)
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def add_user(self) -> ServerUser:
        self._users += 1
        name = f"user{self._users:04d}"
        return self.create_user(name, f"pw-{name}-{os.urandom(6).hex()}")

    # -- per server --------------------------------------------------------------------

    def check(self) -> None:
        raise NotImplementedError

    def prepare(self) -> list[str]:
        """Write the config; return the command that runs the server in the foreground."""
        raise NotImplementedError

    def create_user(self, name: str, password: str) -> ServerUser:
        raise NotImplementedError

    def deliver(self, user: ServerUser, messages: list[EmailMessage]) -> None:
        raise NotImplementedError

    def message_ids(self, user: ServerUser) -> set[str]:
        raise NotImplementedError

    def seen_message_ids(self, user: ServerUser) -> set[str]:
        raise NotImplementedError


class _MboxServer(PrivateServer):
    """Stores mail in one mbox per user; Status ``R`` is what the server records as read."""

    def mbox_path(self, user: ServerUser) -> Path:
        raise NotImplementedError

    def deliver(self, user: ServerUser, messages: list[EmailMessage]) -> None:
        path = self.mbox_path(user)
        with open(path, "ab") as out:
            for msg in messages:
                data = as_bytes(msg).replace(b"\r\n", b"\n")
                data = re.sub(rb"(?m)^(>*From )", rb">\1", data)
                out.write(b"From sender@example.org Mon Mar  3 00:00:00 2025\n" + data + b"\n")
        os.chown(path, NOBODY, NOBODY)

    def _messages(self, user: ServerUser) -> list[mboxlib.mboxMessage]:
        return list(mboxlib.mbox(self.mbox_path(user), create=False))

    def message_ids(self, user: ServerUser) -> set[str]:
        return {str(m["Message-ID"]) for m in self._messages(user)}

    def seen_message_ids(self, user: ServerUser) -> set[str]:
        return {str(m["Message-ID"]) for m in self._messages(user) if "R" in (m["Status"] or "")}


class MailutilsServer(_MboxServer):
    name = "mailutils"
    binary = "/usr/sbin/pop3d"

    def check(self) -> None:
        _need(self.binary)
        if "Mailutils" not in subprocess.run([self.binary, "--version"], capture_output=True,
                                             text=True).stdout:
            raise ServerUnavailable(f"{self.binary} is not GNU Mailutils' pop3d")

    def prepare(self) -> list[str]:
        r = self.root
        (r / "passwd").mkdir()
        (r / "home").mkdir(mode=0o755)
        (r / "pop3d.conf").write_text(f"""\
mode daemon;
foreground true;
logging {{ syslog false; }};
auth {{ authentication generic; authorization virtdomain; }};
virtdomain {{ passwd-dir "{r}/passwd"; }};
server {HOST}:{self.port} {{ tls-mode stls; }};
tls {{ ssl-certificate-file "{r}/cert.pem"; ssl-key-file "{r}/key.pem"; }};
""")
        return [self.binary, f"--config-file={r}/pop3d.conf"]

    def create_user(self, name: str, password: str) -> ServerUser:
        home = self.root / "home" / name
        home.mkdir(mode=0o755)
        with open(self.root / "passwd" / "popui.test", "a") as out:
            out.write(f"{name}:{_crypt(password)}:{NOBODY}:{NOBODY}::{home}::\n")
        (home / "INBOX").touch()
        os.chown(home / "INBOX", NOBODY, NOBODY)
        return ServerUser(f"{name}@popui.test", password, self, home)

    def mbox_path(self, user: ServerUser) -> Path:
        return user.home / "INBOX"


class Popa3dServer(_MboxServer):
    name = "popa3d"
    offers_stls = False

    @property
    def binary(self) -> Path:
        return UNPACKED / "usr/sbin/popa3d"

    def check(self) -> None:
        _need(self.binary, "/usr/bin/unshare")

    def prepare(self) -> list[str]:
        r = self.root
        for name in ("passwd", "shadow", "group"):
            shutil.copy(f"/etc/{name}", r / name)
        (r / "shadow").chmod(0o640)
        with open(r / "passwd", "a") as out:
            out.write("popa3d:x:60999:60999::/nonexistent:/usr/sbin/nologin\n")
        with open(r / "shadow", "a") as out:
            out.write("popa3d:*:19000::::::\n")
        (r / "mail").mkdir(mode=0o1777)
        (r / "lib" / "popa3d").mkdir(parents=True, mode=0o755)
        script = (
            f"mount --bind {r}/passwd /etc/passwd && mount --bind {r}/shadow /etc/shadow && "
            f"mount --bind {r}/mail /var/mail && mount --bind {r}/lib /var/lib && "
            f"exec {sys.executable} {Path(__file__).parent / 'mini_inetd.py'} {self.port} "
            f"{self.binary}"
        )
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]

    def create_user(self, name: str, password: str) -> ServerUser:
        uid = 61000 + self._users
        # Appended in place: the namespace sees these very files (bind mounts of their inodes).
        with open(self.root / "passwd", "a") as out:
            out.write(f"{name}:x:{uid}:{uid}::/nonexistent:/usr/sbin/nologin\n")
        with open(self.root / "shadow", "a") as out:
            out.write(f"{name}:{_crypt(password)}:19000::::::\n")
        user = ServerUser(name, password, self, self.root / "mail")
        path = self.mbox_path(user)
        path.touch()
        os.chown(path, uid, uid)
        path.chmod(0o600)
        return user

    def mbox_path(self, user: ServerUser) -> Path:
        return self.root / "mail" / user.login

    def deliver(self, user: ServerUser, messages: list[EmailMessage]) -> None:
        owner = self.mbox_path(user).stat().st_uid
        super().deliver(user, messages)
        os.chown(self.mbox_path(user), owner, owner)


class CourierServer(PrivateServer):
    name = "courier"

    def check(self) -> None:
        _need(UNPACKED / "usr/lib/courier/courier/courierpop3login", "/usr/sbin/couriertcpd",
              "/usr/lib/courier/courier-authlib/authdaemond", "/usr/bin/couriertls",
              "/usr/bin/unshare")

    def prepare(self) -> list[str]:
        r = self.root
        (r / "etc").mkdir()
        (r / "run" / "courier" / "authdaemon").mkdir(parents=True)
        (r / "home").mkdir(mode=0o755)
        (r / "etc" / "authdaemonrc").write_text(
            'authmodulelist="authuserdb"\ndaemons=1\nauthdaemonvar=/run/courier/authdaemon\n'
            'DEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n')
        (r / "etc" / "userdb").write_text("")
        (r / "etc" / "userdb").chmod(0o600)
        self._make_userdb()
        pem = r / "pop3d.pem"
        pem.write_bytes((r / "key.pem").read_bytes() + (r / "cert.pem").read_bytes())
        pem.chmod(0o600)
        shutil.chown(pem, "courier")  # couriertls runs as courier
        login = UNPACKED / "usr/lib/courier/courier"
        env = (f"PATH=/usr/bin:/bin:/usr/sbin POP3AUTH= POP3AUTH_TLS= POP3_STARTTLS=YES "
               f"POP3_TLS_REQUIRED=0 COURIERTLS=/usr/bin/couriertls TLS_CERTFILE={pem} "
               f"TLS_VERIFYPEER=NONE MAILDIRPATH=Maildir")
        script = (
            f"mount --bind {r}/etc /etc/courier && mount --bind {r}/run /run && "
            f"(/usr/lib/courier/courier-authlib/authdaemond &) && "
            f"exec env -i {env} /usr/sbin/couriertcpd -address={HOST} -nodnslookup "
            f"-noidentlookup {self.port} {login}/courierpop3login {login}/courierpop3d Maildir"
        )
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]

    def _make_userdb(self) -> None:
        subprocess.run(["/usr/sbin/makeuserdb", "-f", str(self.root / "etc" / "userdb")],
                       check=True, capture_output=True)

    def create_user(self, name: str, password: str) -> ServerUser:
        home = self.root / "home" / name
        home.mkdir(mode=0o755)
        os.chown(home, NOBODY, NOBODY)
        Maildir(home / "Maildir", NOBODY, NOBODY).create()
        with open(self.root / "etc" / "userdb", "a") as out:
            out.write(f"{name}\tuid={NOBODY}|gid={NOBODY}|home={home}|mail={home}/Maildir|"
                      f"systempw={_crypt(password)}\n")
        self._make_userdb()
        return ServerUser(name, password, self, home)

    def maildir(self, user: ServerUser) -> Maildir:
        return Maildir(user.home / "Maildir", NOBODY, NOBODY)

    def deliver(self, user: ServerUser, messages: list[EmailMessage]) -> None:
        # Courier serves Maildir files with LF line ends (it adds the CR); CRLF files would
        # come out as CR CR LF, with no blank line after the header.
        self.maildir(user).deliver_many([as_bytes(m).replace(b"\r\n", b"\n") for m in messages])

    def message_ids(self, user: ServerUser) -> set[str]:
        return self.maildir(user).message_ids()

    def seen_message_ids(self, user: ServerUser) -> set[str]:
        return self.maildir(user).seen_message_ids()


class CyrusServer(PrivateServer):
    name = "cyrus"

    @property
    def pop3d(self) -> Path:
        installed = CYRUS_BIN / "pop3d"
        return installed if os.access(installed, os.X_OK) else UNPACKED / "usr/lib/cyrus/bin/pop3d"

    def check(self) -> None:
        _need(CYRUS_BIN / "master", CYRUS_BIN / "lmtpd", CYRUS_BIN / "mbexamine", self.pop3d,
              "/usr/sbin/saslpasswd2")

    def prepare(self) -> list[str]:
        r = self.root
        for sub in ("config", "spool", "socket", "run"):
            (r / sub).mkdir()
        conf = r / "imapd.conf"
        conf.write_text(f"""\
configdirectory: {r}/config
partition-default: {r}/spool
servername: popui-test
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {r}/sasldb2
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
tls_server_cert: {r}/cert.pem
tls_server_key: {r}/key.pem
lmtpsocket: {r}/socket/lmtp
idlesocket: {r}/socket/idle
notifysocket: {r}/socket/notify
mboxname_lockpath: {r}/run/lock
proc_path: {r}/run/proc
autocreate_quota: 100000
autocreate_post: yes
popminpoll: 0
# Keep raw UTF-8 headers as delivered (the default turns each 8-bit byte into an X).
munge8bit: no
syslog_prefix: popui-cyrus
""")
        (r / "cyrus.conf").write_text(f"""\
START {{
  recover cmd="{CYRUS_BIN}/ctl_cyrusdb -C {conf} -r"
}}
SERVICES {{
  pop3 cmd="{self.pop3d} -C {conf}" listen="{HOST}:{self.port}" prefork=0
  lmtpunix cmd="{CYRUS_BIN}/lmtpd -C {conf} -a" listen="{r}/socket/lmtp" prefork=0
}}
EVENTS {{
}}
""")
        subprocess.run(["chown", "-R", "cyrus:mail", str(r)], check=True)
        return [str(CYRUS_BIN / "master"), "-C", str(conf), "-M", str(r / "cyrus.conf"),
                "-p", str(r / "run" / "master.pid")]

    def create_user(self, name: str, password: str) -> ServerUser:
        subprocess.run(["/usr/sbin/saslpasswd2", "-f", str(self.root / "sasldb2"), "-p", "-c",
                        "-u", "popui-test", name], input=password, text=True, check=True)
        subprocess.run(["chown", "cyrus:mail", str(self.root / "sasldb2")], check=True)
        return ServerUser(name, password, self, self.root)

    def deliver(self, user: ServerUser, messages: list[EmailMessage]) -> None:
        with smtplib.LMTP(str(self.root / "socket" / "lmtp")) as lmtp:
            for msg in messages:
                lmtp.sendmail("sender@example.org", [user.login], as_bytes(msg))

    def _records(self, user: ServerUser) -> list[tuple[str, str]]:
        """``(Message-ID, system flags)`` of every message the mailbox index holds."""
        out = subprocess.run(
            ["runuser", "-u", "cyrus", "--", str(CYRUS_BIN / "mbexamine"), "-C",
             str(self.root / "imapd.conf"), f"user/{user.login}"],
            capture_output=True, text=True, check=True).stdout
        records = []
        for block in re.split(r"\n\d{6}> ", out)[1:]:
            flags = re.search(r"SYSTEMFLAGS:([^\n]*)", block)
            internal = re.search(r"INTERNALFLAGS:([^>\n]*)", block)
            mid = re.search(r"<msg-[^>]+>", block)
            if internal and "Expunged" in internal.group(1):
                continue
            records.append((mid.group(0) if mid else "", flags.group(1) if flags else ""))
        return records

    def message_ids(self, user: ServerUser) -> set[str]:
        return {mid for mid, _ in self._records(user)}

    def seen_message_ids(self, user: ServerUser) -> set[str]:
        return {mid for mid, flags in self._records(user) if "Seen" in flags}


SERVERS: dict[str, type[PrivateServer]] = {
    cls.name: cls for cls in (CyrusServer, CourierServer, Popa3dServer, MailutilsServer)
}


def client_context(server: PrivateServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))
