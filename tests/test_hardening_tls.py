"""TLS and credentials: bad certificates are refused with a sentence, STLS cannot be stripped,
and a distinctive password never shows up anywhere but on the wire to the server.

| scenario                                         | expected                                    |
|--------------------------------------------------|---------------------------------------------|
| certificate for another host name (POP3S, STLS)  | TlsError/Fatal naming the host; no login    |
| only a CN of 127.0.0.1, no subjectAltName        | says it needs an IP subjectAltName          |
| expired certificate (even with the CA file)      | refused, "expired"                          |
| self-signed certificate, no CA file              | refused, "self-signed", how to trust it     |
| self-signed certificate configured as ca_file    | accepted: logs in, lists                    |
| STLS offered, then gone on the reconnect         | Fatal, no USER/PASS sent, marks kept        |
| STLS advertised but refused                      | SecurityPolicyError, no USER/PASS sent      |
| plaintext injected after "+OK" to STLS           | discarded: capabilities come from TLS only  |
| wrong password (every method, Dovecot)           | password in no error, traceback or log      |
| connection drop / timeout / garbage during login | the same                                    |
| TLS failure with a password at hand              | the same                                    |
| the app: prompt, wrong password, right password  | the password is in no screenshot or log     |

(Plaintext passwords to non-loopback hosts: ``test_engine_dovecot.py``.)
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from app_support import run_async, wait_until
from engine_support import Recorder, dovecot_account
from fault_server import USER, FaultServer, fault_server
from tls_certs import BadCerts, TlsPop3Server

from popui.app import PopuiApp
from popui.pop3 import errors
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.protocol_log import ProtocolLog
from popui.pop3.requests import Preview
from popui.pop3.session import Pop3Session
from popui.screens.password_prompt import PasswordPrompt

SECRET = "Quokka7731ZebraPw"  # distinctive: any hit is a leak, never a coincidence


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> BadCerts:
    return BadCerts(tmp_path_factory.mktemp("certs"))


def tls_account(server: FaultServer, **fields) -> Account:
    values = {"name": "tls", "host": "127.0.0.1", "port": server.port, "user": USER,
              "security": "tls", "auth": "user", "timeout": 5.0, **fields}
    return Account(**values)


@contextmanager
def tls_server(certs: BadCerts, case: str, *, implicit: bool) -> Iterator[TlsPop3Server]:
    server = TlsPop3Server(certs.pair(case), implicit=implicit, password=SECRET)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def assert_secret_absent(secret: str, *texts: str) -> None:
    for text in texts:
        assert secret not in text, f"the password leaked into: {text[:200]!r}"


def error_texts(exc: BaseException) -> list[str]:
    """Everything an error can show: its sentence, repr and a logged traceback."""
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc))]


def log_texts(log: ProtocolLog, path: Path | None = None) -> list[str]:
    texts = ["\n".join(f"{line.direction} {line.text}" for line in log.lines())]
    if path is not None and path.exists():
        texts.append(path.read_text())
    return texts


# -- certificates ------------------------------------------------------------------------------

# (case, CA file configured, what the sentence names, what it advises)
REFUSALS = [
    ("wrong-host", True, "not valid for the IP address '127.0.0.1'", "host name"),
    ("ip-cn-only", True, "not valid for the IP address '127.0.0.1'", "IP subjectAltName"),
    ("expired", True, "certificate has expired", "renew"),
    ("self-signed", False, "self-signed", "ca_file"),
    ("self-signed", True, "self-signed", "ca_file"),  # a CA file that is not this certificate
]


@pytest.mark.parametrize("implicit", [True, False], ids=["pop3s", "stls"])
@pytest.mark.parametrize(("case", "with_ca", "words", "advice"), REFUSALS)
def test_bad_certificate_is_refused_with_a_sentence(
    certs: BadCerts, case: str, with_ca: bool, words: str, advice: str, implicit: bool,
    tmp_path: Path,
) -> None:
    log_file = tmp_path / "protocol.log"
    log = ProtocolLog(level=2, path=log_file)
    ca_file = str(certs.ca_file) if with_ca else None
    with tls_server(certs, case, implicit=implicit) as server:
        account = tls_account(server, ca_file=ca_file,
                              security="tls" if implicit else "starttls")
        rec = Recorder()
        session = Pop3Session(account, rec, log=log, backoff=())
        session.start(Credentials(password=SECRET))
        try:
            fatal = rec.wait(ev.CertificateRefused)  # the user decides, not a Fatal
        finally:
            session.stop()
        server.wait_sessions(1)
    assert fatal.message.startswith("Refusing the connection to 127.0.0.1: ")
    assert words in fatal.message and advice in fatal.message
    assert server.handshake_errors  # the handshake itself failed, not something later
    assert not {"USER", "PASS", "AUTH", "APOP"} & set(server.verbs())
    assert not rec.of(ev.Connected)
    assert_secret_absent(SECRET, *log_texts(log, log_file), *map(repr, rec.events))


def test_wrong_host_name_is_refused_by_name_too(certs: BadCerts) -> None:
    with tls_server(certs, "wrong-host", implicit=True) as server:
        account = tls_account(server, host="localhost", ca_file=str(certs.ca_file))
        with pytest.raises(errors.TlsError) as info:
            Pop3Client(account)
    assert "not valid for the name 'localhost'" in str(info.value)


@pytest.mark.parametrize(("case", "ca"), [("self-signed", "self-signed.pem"), ("good", "ca.pem")])
@pytest.mark.parametrize("implicit", [True, False], ids=["pop3s", "stls"])
def test_a_configured_ca_file_is_trusted(certs: BadCerts, case: str, ca: str,
                                         implicit: bool) -> None:
    with tls_server(certs, case, implicit=implicit) as server:
        account = tls_account(server, ca_file=str(certs.folder / ca),
                              security="tls" if implicit else "starttls")
        client = Pop3Client(account)
        try:
            assert client.tls_version is not None
            client.login(Credentials(password=SECRET))
            assert client.stat_totals()[0] == 3
        finally:
            client.quit()


@pytest.mark.parametrize("implicit", [True, False], ids=["pop3s", "stls"])
def test_auto_login_over_tls_does_not_pick_apop(certs: BadCerts, implicit: bool) -> None:
    """A greeting timestamp is no promise that APOP works (GNU Mailutils greets with one and
    refuses APOP without an APOP database); over TLS, APOP protects nothing more anyway."""
    with tls_server(certs, "good", implicit=implicit) as server:
        account = tls_account(server, ca_file=str(certs.ca_file), auth="auto",
                              security="tls" if implicit else "starttls")
        client = Pop3Client(account)
        try:
            assert b"<" in client.welcome  # the fault server's greeting carries a timestamp
            assert client.login(Credentials(password=SECRET)) == "plain"
        finally:
            client.quit()
    assert "APOP" not in server.verbs()


# -- STLS ------------------------------------------------------------------------------------


def test_stls_that_disappears_on_reconnect_is_refused(
    certs: BadCerts,
) -> None:
    with tls_server(certs, "good", implicit=False) as server:
        account = tls_account(server, security="starttls", ca_file=str(certs.ca_file))
        rec = Recorder()
        session = Pop3Session(account, rec, backoff=(0.01,))
        session.start(Credentials(password=SECRET))
        try:
            assert rec.wait(ev.Connected).tls is not None
            listing = rec.wait(ev.Listing)
            # a man in the middle strips STLS from CAPA, then the connection drops
            server.offer_stls = False
            assert session._client is not None
            session._client.sock.close()
            session.submit(Preview(listing.messages[0].uid))
            fatal = rec.wait(ev.Fatal)
            rec.wait(ev.PreviewFailed)
        finally:
            session.stop()
        server.wait_sessions(2)
    assert "does not offer STLS" in fatal.message
    second = [line.split(" ", 1)[0] for sid, line in server.commands if sid == 2]
    assert second and not {"USER", "PASS", "AUTH", "APOP"} & set(second)
    assert server.deleted == []


def test_stls_advertised_but_refused_is_refused(certs: BadCerts) -> None:
    class RefusesStls(TlsPop3Server):
        def handle_STLS(self, session, args: str) -> None:
            self.err(session, "TLS not available now")

    server = RefusesStls(certs.pair("good"), implicit=False, password=SECRET)
    with server:
        account = tls_account(server, security="starttls", ca_file=str(certs.ca_file))
        with pytest.raises(errors.SecurityPolicyError) as info:
            Pop3Client(account)
        server.wait_sessions(1)
    assert "STLS" in str(info.value) and "without encryption" in str(info.value)
    assert not {"USER", "PASS", "AUTH", "APOP"} & set(server.verbs())


def test_plaintext_injected_before_the_stls_handshake_is_discarded(certs: BadCerts) -> None:
    with tls_server(certs, "good", implicit=False) as server:
        # a man in the middle appends a whole fake CAPA answer to the +OK
        server.inject_after_stls = b"+OK injected\r\nSASL EVIL\r\nUSER\r\n.\r\n"
        client = Pop3Client(tls_account(server, security="starttls",
                                        ca_file=str(certs.ca_file)))
        try:
            assert "EVIL" not in client.capabilities.sasl
            assert client.capabilities.sasl == ("PLAIN",)
            client.login(Credentials(password=SECRET))
            assert client.stat_totals()[0] == 3
        finally:
            client.quit()


# -- the password stays secret ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["user", "plain", "login", "apop", "cram-md5",
                                    "scram-sha-256"])
def test_wrong_password_is_in_no_error_or_log(mailbox, method: str, tmp_path: Path) -> None:
    log_file = tmp_path / "protocol.log"
    log = ProtocolLog(level=2, path=log_file)
    client = Pop3Client(dovecot_account(mailbox, auth=method), log=log)
    with pytest.raises(errors.AuthFailed) as info:
        client.login(Credentials(password=SECRET))
    client.close()
    assert "rejected" in str(info.value)
    assert any(line.direction == ">" for line in log.lines())  # the log did record the login
    assert_secret_absent(SECRET, *error_texts(info.value), *log_texts(log, log_file))


@pytest.mark.parametrize(
    ("fault", "command", "options"),
    [
        ("drop-mid-response", "PASS", {"drop_after": 0}),
        ("drop-mid-response", "AUTH", {"drop_after": 0}),
        ("slow-drip", "PASS", {"drip_delay": 0.5}),
        ("garbage-reply", "PASS", {}),
        ("endless-line", "PASS", {}),
        ("garbage-reply", "AUTH", {}),
    ],
)
def test_login_interrupted_leaks_no_password(fault: str, command: str, options: dict,
                                             tmp_path: Path) -> None:
    log_file = tmp_path / "protocol.log"
    log = ProtocolLog(level=2, path=log_file)
    with fault_server(fault, password=SECRET, targets=(command,), **options) as server:
        account = Account(name="f", host=server.host, port=server.port, security="none",
                          user=USER, auth="user" if command == "PASS" else "plain",
                          timeout=1.0, max_message_size=64 * 1024)
        client = Pop3Client(account, log=log)
        with pytest.raises(errors.Pop3Error) as info:
            client.login(Credentials(password=SECRET))
        client.close()
    assert isinstance(info.value, errors.ConnectionLost | errors.MessageTooLarge)
    assert command in server.verbs()  # the secret was sent: the failure came after it
    assert_secret_absent(SECRET, *error_texts(info.value), *log_texts(log, log_file))


def test_session_login_failures_leak_no_password(mailbox, certs: BadCerts,
                                                 tmp_path: Path) -> None:
    """Wrong password on Dovecot, then a TLS failure: every event and the log file."""
    log_file = tmp_path / "protocol.log"
    log = ProtocolLog(level=2, path=log_file)
    rec = Recorder()
    session = Pop3Session(dovecot_account(mailbox, port="stls"), rec, log=log, backoff=())
    session.start(Credentials(password=SECRET))
    try:
        assert rec.wait(ev.LoginFailed).wrong_credentials
    finally:
        session.stop()
    with tls_server(certs, "expired", implicit=True) as server:
        session = Pop3Session(tls_account(server, ca_file=str(certs.ca_file)), rec, log=log,
                              backoff=())
        session.start(Credentials(password=SECRET))
        try:
            rec.wait(ev.CertificateRefused)
        finally:
            session.stop()
    assert_secret_absent(SECRET, *map(repr, rec.events), *log_texts(log, log_file))


# -- the app -----------------------------------------------------------------------------------

WRONG = "WrongQuokka4417x"
RIGHT = "RightZebra8823y"


@run_async
async def test_app_shows_and_logs_no_password(mailbox, tmp_path: Path) -> None:
    user = mailbox.server.add_user(password=RIGHT)
    user.fill(2)
    log_file = tmp_path / "protocol.log"
    app = PopuiApp(account=dovecot_account(user, port="tls"), secrets=None, debug_level=2,
                   log_file=log_file, state_folder=False)
    shots: list[str] = []
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt), what="prompt")
        await pilot.press(*WRONG)
        shots.append(app.export_screenshot())
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                         and app.screen.message is not None, what="the prompt again")
        shots.append(app.export_screenshot())
        assert "rejected" in app.screen.message
        await pilot.press(*RIGHT)
        shots.append(app.export_screenshot())
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main.status.status.loaded == 2, what="2 rows")
        shots.append(app.export_screenshot())
        app.main.action_protocol_log()
        await pilot.pause()
        shots.append(app.export_screenshot())
        await pilot.press("escape")
        await app.action_quit_now()
    assert "logged in" in log_file.read_text()
    for secret in (WRONG, RIGHT):
        assert_secret_absent(secret, *shots, *log_texts(app.protocol_log, log_file))
    assert "•" in shots[0] or "*" in shots[0]  # what was typed shows as dots
