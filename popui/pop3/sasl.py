"""SASL mechanisms for ``AUTH`` (RFC 5034): PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, XOAUTH2,
OAUTHBEARER. Each is a small state machine: ``initial()`` then ``step(challenge)`` per ``+``
continuation, and ``finish(data)`` to check the server's last word (SCRAM's signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata

from popui.pop3.errors import AuthFailed

#: RFC 7677 asks for at least 4,096; servers use up to ~100,000. 1,000,000 take ~0.5 s.
MAX_ITERATIONS = 1_000_000


class Mechanism:
    name = ""
    #: sends the password itself (in the clear, were the link unencrypted)
    plaintext = False

    def initial(self) -> bytes | None:
        """The initial response sent with ``AUTH``, or None to wait for a challenge."""
        return None

    def step(self, challenge: bytes) -> bytes:
        raise AuthFailed(f"Unexpected {self.name} challenge from the server.")

    def finish(self, data: bytes) -> None:
        """Called on the final ``+OK`` (POP3 sends no data with it, RFC 5034)."""


class Plain(Mechanism):
    name = "PLAIN"
    plaintext = True

    def __init__(self, user: str, password: str) -> None:
        self._msg = f"\0{user}\0{password}".encode()

    def initial(self) -> bytes | None:
        return self._msg


class Login(Mechanism):
    name = "LOGIN"
    plaintext = True

    def __init__(self, user: str, password: str) -> None:
        self._answers = [user.encode(), password.encode()]

    def step(self, challenge: bytes) -> bytes:
        if not self._answers:
            return super().step(challenge)
        return self._answers.pop(0)


class CramMD5(Mechanism):
    name = "CRAM-MD5"

    def __init__(self, user: str, password: str) -> None:
        self._user = user
        self._password = password.encode()

    def step(self, challenge: bytes) -> bytes:
        digest = hmac.new(self._password, challenge, hashlib.md5).hexdigest()
        return f"{self._user} {digest}".encode()


def _saslname(name: str) -> str:
    return name.replace("=", "=3D").replace(",", "=2C")


def _server_b64(text: str, problem: str) -> bytes:
    """Base64 sent by the server; undecodable is a typed ``AuthFailed``, not ``binascii.Error``."""
    try:
        return base64.b64decode(text)
    except ValueError:
        raise AuthFailed(f"The server's SCRAM-SHA-256 {problem}.") from None


class ScramSha256(Mechanism):
    name = "SCRAM-SHA-256"

    def __init__(self, user: str, password: str, nonce: str | None = None) -> None:
        self._password = unicodedata.normalize("NFKC", password).encode()
        self._nonce = nonce or base64.b64encode(secrets.token_bytes(18)).decode()
        self._bare = f"n={_saslname(user)},r={self._nonce}"
        self._server_signature: bytes | None = None
        self._done = False

    def initial(self) -> bytes | None:
        return f"n,,{self._bare}".encode()

    def step(self, challenge: bytes) -> bytes:
        if self._server_signature is not None:
            # server-final sent as a continuation: verify it, answer with an empty line
            self._verify(challenge)
            return b""
        fields = dict(
            part.split("=", 1) for part in challenge.decode("ascii", "replace").split(",")
            if "=" in part
        )
        nonce, salt, iterations = fields.get("r", ""), fields.get("s", ""), fields.get("i", "")
        if (not nonce.startswith(self._nonce) or not salt or not iterations.isascii()
                or not iterations.isdigit()):
            raise AuthFailed("The server's SCRAM-SHA-256 challenge is malformed.")
        if not 0 < int(iterations) <= MAX_ITERATIONS:
            # a hostile count would hold the session thread in PBKDF2 for hours
            raise AuthFailed(f"The server asks for {iterations} SCRAM iterations; refusing "
                             f"more than {MAX_ITERATIONS:,}.")
        salted = hashlib.pbkdf2_hmac("sha256", self._password,
                                     _server_b64(salt, "challenge is malformed"), int(iterations))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self._bare},{challenge.decode('ascii', 'replace')},{without_proof}"
        signature = hmac.new(stored_key, auth_message.encode(), hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        self._server_signature = hmac.new(server_key, auth_message.encode(),
                                          hashlib.sha256).digest()
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()

    def finish(self, data: bytes) -> None:
        if data:
            self._verify(data)
        if not self._done:
            raise AuthFailed("The server accepted the login without proving it knows the "
                             "password (SCRAM); refusing to go on.")

    def _verify(self, data: bytes) -> None:
        text = data.decode("ascii", "replace")
        if not text.startswith("v=") or self._server_signature is None or not hmac.compare_digest(
            _server_b64(text[2:] + "==", "proof is malformed"), self._server_signature
        ):
            raise AuthFailed("The server failed to prove it knows the password (SCRAM); "
                             "refusing to go on.")
        self._done = True


class XOAuth2(Mechanism):
    name = "XOAUTH2"

    def __init__(self, user: str, token: str) -> None:
        self._msg = f"user={user}\x01auth=Bearer {token}\x01\x01".encode()

    def initial(self) -> bytes | None:
        return self._msg

    def step(self, challenge: bytes) -> bytes:
        return b""  # an error report (JSON); an empty answer makes the server send -ERR


class OAuthBearer(XOAuth2):
    name = "OAUTHBEARER"

    def __init__(self, user: str, token: str, host: str, port: int) -> None:
        self._msg = (
            f"n,a={_saslname(user)},\x01host={host}\x01port={port}\x01"
            f"auth=Bearer {token}\x01\x01"
        ).encode()
