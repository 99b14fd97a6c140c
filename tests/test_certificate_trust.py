"""Issue 12 item 8: an untrusted certificate is shown, never accepted silently, and can be pinned.

The engine refuses a certificate it cannot verify with an error that carries what a person needs
to decide (subject, issuer, validity, SHA-256 fingerprint); ``tls_fingerprint`` on the account
trusts exactly that certificate; a pinned certificate that changes is refused loudly.
Against the TLS test server (implicit TLS and STLS) with a self-signed certificate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from app_support import HostApp, run_async, screen_text, wait_until
from fault_server import USER
from tls_certs import BadCerts, TlsPop3Server

from popui.pop3 import errors
from popui.pop3.account import Account, Credentials
from popui.pop3.client import Pop3Client
from popui.pop3.transport import CertificateDetails, normalize_fingerprint

SECRET = "Quokka7731ZebraPw"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> BadCerts:
    return BadCerts(tmp_path_factory.mktemp("certs"))


def fingerprint_of(pem: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(pem.read_text().split("-----END CERTIFICATE-----")[0]
                                   + "-----END CERTIFICATE-----\n")
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


@contextmanager
def server_with(certs: BadCerts, case: str, implicit: bool) -> Iterator[TlsPop3Server]:
    server = TlsPop3Server(certs.pair(case), implicit=implicit, password=SECRET)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def account_for(server: TlsPop3Server, implicit: bool, **fields: object) -> Account:
    values: dict[str, object] = {
        "name": "t", "host": "127.0.0.1", "port": server.port, "user": USER, "auth": "user",
        "security": "tls" if implicit else "starttls", "timeout": 5.0, **fields,
    }
    return Account(**values)  # type: ignore[arg-type]


IMPLICIT = pytest.mark.parametrize("implicit", [True, False], ids=["pop3s", "stls"])


@IMPLICIT
def test_untrusted_certificate_is_refused_with_its_details(certs: BadCerts,
                                                          implicit: bool) -> None:
    with server_with(certs, "self-signed", implicit) as server:
        with pytest.raises(errors.UntrustedCertificate) as caught:
            Pop3Client(account_for(server, implicit))
        assert not {"USER", "PASS"} & set(server.verbs())
    cert = caught.value.certificate
    assert isinstance(cert, CertificateDetails)
    assert cert.subject == "CN=popui self-signed test" == cert.issuer
    assert cert.sha256 == fingerprint_of(certs.pair("self-signed")[0])
    assert cert.not_before < cert.not_after
    assert (cert.host, cert.port) == ("127.0.0.1", server.port)
    assert "self-signed" in cert.problem
    assert "Refusing the connection to 127.0.0.1" in str(caught.value)


@IMPLICIT
def test_a_pinned_fingerprint_trusts_exactly_that_certificate(certs: BadCerts,
                                                             implicit: bool) -> None:
    pin = fingerprint_of(certs.pair("self-signed")[0])
    with server_with(certs, "self-signed", implicit) as server:
        client = Pop3Client(account_for(server, implicit, tls_fingerprint=pin.lower()))
        try:
            assert client.tls_version is not None
            client.login(Credentials(password=SECRET))
            assert client.stat_totals()[0] == 3
        finally:
            client.quit()


@IMPLICIT
def test_a_pinned_certificate_that_changed_is_refused_loudly(certs: BadCerts,
                                                            implicit: bool) -> None:
    old_pin = fingerprint_of(certs.pair("good")[0])
    # The pin wins over the CA: even a certificate the CA file would trust is refused.
    with server_with(certs, "self-signed", implicit) as server:
        account = account_for(server, implicit, tls_fingerprint=old_pin,
                              ca_file=str(certs.folder / "self-signed.pem"))
        with pytest.raises(errors.CertificateChanged) as caught:
            Pop3Client(account)
        assert not {"USER", "PASS"} & set(server.verbs())
    message = str(caught.value)
    assert "CHANGED" in message and old_pin in message
    assert caught.value.certificate.sha256 == fingerprint_of(certs.pair("self-signed")[0])


def test_fingerprints_are_normalised_and_checked() -> None:
    pin = "ab:" * 31 + "ab"
    assert normalize_fingerprint(pin) == "AB" * 32
    assert normalize_fingerprint("AB" * 32) == "AB" * 32
    for bad in ("", "AB:CD", "ZZ" * 32, "AB" * 33):
        with pytest.raises(ValueError):
            normalize_fingerprint(bad)


# -- the config key ------------------------------------------------------------------------------

def test_tls_fingerprint_in_the_config_is_checked_and_written_in_place(tmp_path: Path) -> None:
    from popui.config import ConfigError, load_settings, save_account_key

    pin = "AB:" * 31 + "AB"
    config = tmp_path / "config.toml"
    config.write_text('# mine\n[accounts.home]\nhost = "pop.example.org"  # the ISP\n'
                      'user = "me"\n\n[accounts.work]\nhost = "w.example"\nuser = "w"\n')
    save_account_key(config, "home", "tls_fingerprint", pin)
    text = config.read_text()
    assert f'host = "pop.example.org"  # the ISP\nuser = "me"\ntls_fingerprint = "{pin}"\n' \
        in text and text.startswith("# mine\n")
    settings = load_settings(config)
    assert settings.accounts["home"].tls_fingerprint == pin
    assert settings.accounts["work"].tls_fingerprint is None
    save_account_key(config, "home", "tls_fingerprint", "CD:" * 31 + "CD")  # replaced
    assert config.read_text().count("tls_fingerprint") == 1
    config.write_text('[accounts.home]\nhost = "h"\nuser = "u"\ntls_fingerprint = "12:34"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "tls_fingerprint" in str(caught.value) and "64 hex digits" in str(caught.value)


# -- the dialog ----------------------------------------------------------------------------------

def self_signed_details(certs: BadCerts) -> CertificateDetails:
    pem = certs.pair("self-signed")[0].read_text()
    return CertificateDetails.from_der(ssl.PEM_cert_to_DER_cert(pem), "127.0.0.1", 995,
                                       "the certificate is not signed by a trusted authority")


@pytest.mark.parametrize(("keys", "choice"), [(("o",), "once"), (("a",), "always"),
                                              (("escape",), "refuse"), (("r",), "refuse"),
                                              (("enter",), "refuse")])
@run_async
async def test_the_dialog_shows_the_certificate_and_asks(
    certs: BadCerts, keys: tuple[str, ...], choice: str,
) -> None:
    from popui.screens.certificate import CertificateDialog

    details = self_signed_details(certs)
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(CertificateDialog(details))
        await wait_until(pilot, lambda: "The certificate of" in screen_text(app), what="dialog")
        text = screen_text(app)
        assert "The certificate of 127.0.0.1:995 is not trusted" in text
        assert "Subject  CN=popui self-signed test" in text
        assert "Issuer   CN=popui self-signed test" in text
        pairs = details.sha256.split(":")
        assert ":".join(pairs[:16]) in text and ":".join(pairs[16:]) in text
        assert "not signed by a trusted authority" in text
        assert f"{details.not_after:%Y-%m-%d}" in text
        await pilot.press(*keys)  # Enter presses the focused button: Refuse
        await wait_until(pilot, lambda: app.results, what="an answer")
    assert app.results == [choice]


@run_async
async def test_a_changed_pinned_certificate_can_only_be_refused(certs: BadCerts) -> None:
    from popui.screens.certificate import CertificateDialog

    details = self_signed_details(certs)
    pinned = "AB:" * 31 + "AB"
    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(CertificateDialog(details, pinned=pinned))
        await wait_until(pilot, lambda: "The certificate of" in screen_text(app), what="dialog")
        text = screen_text(app)
        assert "CHANGED" in text and "AB:AB:AB" in text and "Accept once" not in text
        await pilot.press("o", "a")
        assert app.results == [] and isinstance(app.screen, CertificateDialog)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results, what="an answer")
    assert app.results == ["refuse"]


@run_async
async def test_without_a_configured_account_there_is_no_always(certs: BadCerts) -> None:
    from popui.screens.certificate import CertificateDialog

    app = HostApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_collect(CertificateDialog(self_signed_details(certs), can_pin=False))
        await wait_until(pilot, lambda: "The certificate of" in screen_text(app), what="dialog")
        assert "Always" not in screen_text(app)
        await pilot.press("a")
        assert app.results == []
        await pilot.press("o")
        await wait_until(pilot, lambda: app.results, what="an answer")
    assert app.results == ["once"]


# -- popui account add ---------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "saved", "pinned"), [("a", True, True), ("o", True, False),
                                                         ("r", False, False)])
def test_account_add_shows_an_untrusted_certificate_and_asks(
    certs: BadCerts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], answer: str, saved: bool, pinned: bool,
) -> None:
    import popui.__main__ as entry
    from popui.cli import commands
    from popui.config import load_settings

    config = tmp_path / "config.toml"
    questions: list[str] = []
    monkeypatch.setattr(commands, "ask_line", lambda q: questions.append(q) or answer)
    monkeypatch.setattr(commands, "ask_secret", lambda prompt: SECRET)
    with server_with(certs, "self-signed", implicit=True) as server:
        argv = ["account", "add", "x", "--config", str(config), "--host", "127.0.0.1",
                "--port", str(server.port), "--user", USER, "--auth", "user"]
        code = entry.main(argv)
        if answer == "r":
            assert not {"USER", "PASS"} & set(server.verbs())
    out = capsys.readouterr().out
    fingerprint = fingerprint_of(certs.pair("self-signed")[0])
    assert "Subject  CN=popui self-signed test" in out
    assert fingerprint[:47] in out and fingerprint[48:] in out
    assert len(questions) == 1 and "r/o/a" in questions[0]
    assert code == (0 if saved else 1)
    if not saved:
        assert "Nothing was saved" in out and not config.exists()
        return
    account = load_settings(config).accounts["x"]
    assert account.tls_fingerprint == (fingerprint if pinned else None)


# -- the decision, as the app's connect flow runs it ----------------------------------------------

@pytest.mark.parametrize("key", ["a", "o", "r"])
@run_async
async def test_decide_certificate_pins_for_the_session_or_saves_it(
    certs: BadCerts, tmp_path: Path, key: str,
) -> None:
    from popui.config import load_settings
    from popui.screens.certificate import decide_certificate

    config = tmp_path / "config.toml"
    config.write_text(f'[accounts.t]\nhost = "127.0.0.1"\nuser = "{USER}"\n')
    account = load_settings(config).accounts["t"]
    with server_with(certs, "self-signed", implicit=True) as server:
        account = dataclasses.replace(account, port=server.port, auth="user")
        with pytest.raises(errors.UntrustedCertificate) as caught:
            Pop3Client(account)
        app = HostApp()
        outcome: list[Account | None] = []
        async with app.run_test(size=(100, 30)) as pilot:
            async def decide() -> None:
                outcome.append(await decide_certificate(app, account, caught.value.certificate,
                                                        config))

            app.run_worker(decide())
            await wait_until(pilot, lambda: "The certificate of" in screen_text(app), what="dialog")
            await pilot.press(key)
            await wait_until(pilot, lambda: outcome, what="a decision")
        trusted = outcome[0]
        if key == "r":
            assert trusted is None
        else:
            assert trusted is not None
            client = Pop3Client(trusted)  # the retry the app makes: now it connects
            client.login(Credentials(password=SECRET))
            client.quit()
    fingerprint = fingerprint_of(certs.pair("self-signed")[0])
    saved = load_settings(config).accounts["t"].tls_fingerprint
    assert saved == (fingerprint if key == "a" else None)
    assert (trusted.tls_fingerprint if trusted else None) == (None if key == "r" else fingerprint)


class _Prompted:
    """No stored password: the app must ask (so it checks the server first)."""

    def get_password(self) -> str | None:
        return None

    def get_oauth_token(self) -> str | None:
        return None

    def keyring_status(self) -> str | None:
        return "no keyring here"

    def remember(self, password: str) -> str | None:
        return None


@run_async
async def test_the_app_shows_an_untrusted_certificate_before_the_password_then_connects(
    certs: BadCerts,
) -> None:
    from popui.app import PopuiApp
    from popui.screens.certificate import CertificateDialog
    from popui.screens.password_prompt import PasswordPrompt

    with server_with(certs, "self-signed", implicit=True) as server:
        app = PopuiApp(account=account_for(server, True), secrets=_Prompted(),
                       state_folder=False)
        async with app.run_test(size=(150, 40)) as pilot:
            # the server is checked before anyone types a password
            await wait_until(pilot, lambda: isinstance(app.screen, CertificateDialog)
                             and "SHA-256" in screen_text(app), what="certificate dialog")
            await pilot.press("o")  # accept once
            await wait_until(pilot, lambda: isinstance(app.screen, PasswordPrompt)
                             and app.screen.query("#password"), what="then the prompt")
            await pilot.press(*SECRET, "enter")
            await wait_until(pilot, lambda: app.main.mailbox.connection.is_connected
                             and app.main.mailbox.rows, what="connected")
            assert app.main.mailbox.account.tls_fingerprint == fingerprint_of(
                certs.pair("self-signed")[0])
            await pilot.press("q")
