"""Issue 12 item 8: an untrusted certificate is shown, never accepted silently, and can be pinned.

The engine refuses a certificate it cannot verify with an error that carries what a person needs
to decide (subject, issuer, validity, SHA-256 fingerprint); ``tls_fingerprint`` on the account
trusts exactly that certificate; a pinned certificate that changes is refused loudly.
Against the TLS test server (implicit TLS and STLS) with a self-signed certificate.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
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
