"""Bad certificates and a small TLS POP3 server to present them, for the TLS hardening tests.

    certs = BadCerts(tmp_path)                      # a test CA and one PEM pair per case
    with TlsPop3Server(certs.pair("expired"), implicit=True) as server:
        Pop3Client(Account(..., port=server.port, ca_file=str(certs.ca_file)))

Cases (``BadCerts.pair(name)``):

- ``good``:        issued by the test CA for 127.0.0.1 and localhost
- ``wrong-host``:  issued by the test CA, but for mail.example.org only
- ``expired``:     issued by the test CA for 127.0.0.1, valid until yesterday
- ``self-signed``: its own issuer (CA:TRUE, like ``openssl req -x509``), for 127.0.0.1
- ``ip-cn-only``:  issued by the test CA with 127.0.0.1 as its common name and no subjectAltName

The server is the fault server (the demo POP3 server with a command log) speaking implicit TLS
(POP3S) or STLS; ``offer_stls`` can be switched off between sessions, and ``inject_after_stls``
sends extra plaintext right after the ``+OK`` to STLS (a man in the middle's injection).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fault_server import FaultServer

from popui.demo.server import Session

HOST = "127.0.0.1"
CASES = ("good", "wrong-host", "expired", "self-signed", "ip-cn-only")


class BadCerts:
    """PEM files for every case under ``folder``; ``ca_file`` is the test CA."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA()
        self.ca_file = self.folder / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        now = datetime.datetime.now(datetime.UTC)
        day = datetime.timedelta(days=1)
        issued = {
            "good": self._ca.issue_cert(HOST, "localhost"),
            "wrong-host": self._ca.issue_cert("mail.example.org"),
            "expired": self._ca.issue_cert(HOST, not_before=now - 30 * day, not_after=now - day),
        }
        for name, leaf in issued.items():
            leaf.private_key_pem.write_to_path(str(self.folder / f"{name}.key"))
            leaf.cert_chain_pems[0].write_to_path(str(self.folder / f"{name}.pem"))
            for pem in leaf.cert_chain_pems[1:]:
                pem.write_to_path(str(self.folder / f"{name}.pem"), append=True)
        self._self_signed(now, day)
        self._ip_cn_only(now, day)

    def _self_signed(self, now: datetime.datetime, day: datetime.timedelta) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "popui self-signed test")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - day)
            .not_valid_after(now + 30 * day)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256())
        )
        (self.folder / "self-signed.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (self.folder / "self-signed.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))

    def _ip_cn_only(self, now: datetime.datetime, day: datetime.timedelta) -> None:
        """What some appliances ship: the address only as CN, which no verifier accepts."""
        ca_key = serialization.load_pem_private_key(self._ca.private_key_pem.bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(self._ca.cert_pem.bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - day)
            .not_valid_after(now + 30 * day)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        )
        (self.folder / "ip-cn-only.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (self.folder / "ip-cn-only.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))

    def pair(self, case: str) -> tuple[Path, Path]:
        """``(certificate chain PEM, private key PEM)`` of one case."""
        if case not in CASES:
            raise ValueError(f"unknown certificate case {case!r}; known: {CASES}")
        return self.folder / f"{case}.pem", self.folder / f"{case}.key"


def server_context(pair: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(pair[0]), str(pair[1]))
    return context


class TlsPop3Server(FaultServer):
    """The fault server over TLS: implicit (POP3S) or via STLS on a plain port."""

    AUTHORIZATION_COMMANDS = FaultServer.AUTHORIZATION_COMMANDS | {"STLS"}

    def __init__(self, pair: tuple[Path, Path], *, implicit: bool, **options) -> None:
        super().__init__(**options)
        self.context = server_context(pair)
        self.implicit = implicit
        self.offer_stls = not implicit
        self.inject_after_stls = b""
        self.handshake_errors: list[str] = []

    def _start_tls(self, session: Session) -> None:
        try:
            tls = self.context.wrap_socket(session.sock, server_side=True)
        except OSError as exc:  # the client refused our certificate, as it should
            self.handshake_errors.append(str(exc))
            raise
        session.sock = tls
        session._reader = tls.makefile("rb")

    def greeting(self, session: Session) -> str:
        if self.implicit:
            self._start_tls(session)  # called inside the session's error handling
        return super().greeting(session)

    def capabilities(self, session: Session) -> list[str]:
        caps = super().capabilities(session)
        tls = isinstance(session.sock, ssl.SSLSocket)
        return [*caps, "STLS"] if self.offer_stls and not tls else caps

    def handle_STLS(self, session: Session, args: str) -> None:
        if isinstance(session.sock, ssl.SSLSocket) or not self.offer_stls:
            self.err(session, "STLS not available")
            return
        self.send(session, b"+OK Begin TLS negotiation\r\n" + self.inject_after_stls)
        self._start_tls(session)
