"""The private Dovecot behaves the way the other tests assume (checked with the stdlib poplib)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import poplib
import re
import ssl
from email import message_from_bytes

import pytest
from dovecot import AUTH_MECHANISMS, DovecotServer, MailUser
from maildir import as_bytes, message_id


def login(user: MailUser, port: int | None = None) -> poplib.POP3:
    server = user.server
    pop = poplib.POP3(server.host, port or server.port_plain, timeout=10)
    pop.user(user.name)
    pop.pass_(user.password)
    return pop


def message_id_of(pop: poplib.POP3, which: int) -> str:
    _, lines, _ = pop.top(which, 0)
    return str(message_from_bytes(b"\r\n".join(lines))["Message-ID"])


def test_plain_port_logs_in_and_offers_no_stls(mailbox: MailUser) -> None:
    messages = mailbox.fill(3)
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    assert "STLS" not in pop.capa()
    with pytest.raises(poplib.error_proto):
        pop.stls(mailbox.server.ssl_context())
    pop.user(mailbox.name)
    pop.pass_(mailbox.password)
    assert pop.stat() == (3, sum(len(as_bytes(m)) for m in messages))
    pop.quit()


def test_stls_verifies_against_the_test_ca(dovecot: DovecotServer, mailbox: MailUser) -> None:
    pop = poplib.POP3(dovecot.host, dovecot.port_stls, timeout=10)
    assert "STLS" in pop.capa()
    pop.stls(dovecot.ssl_context())
    pop.user(mailbox.name)
    pop.pass_(mailbox.password)
    assert pop.stat() == (0, 0)
    pop.quit()

    untrusting = poplib.POP3(dovecot.host, dovecot.port_stls, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusting.stls(ssl.create_default_context())
    untrusting.file.close()


def test_implicit_tls_verifies_against_the_test_ca(
    dovecot: DovecotServer, mailbox: MailUser, dovecot_ssl_context: ssl.SSLContext
) -> None:
    pop = poplib.POP3_SSL(dovecot.host, dovecot.port_tls, context=dovecot_ssl_context, timeout=10)
    pop.user(mailbox.name)
    pop.pass_(mailbox.password)
    assert pop.stat() == (0, 0)
    pop.quit()
    with pytest.raises(ssl.SSLCertVerificationError):
        poplib.POP3_SSL(
            dovecot.host, dovecot.port_tls, context=ssl.create_default_context(), timeout=10
        )


def test_default_user_and_fresh_mailboxes(dovecot: DovecotServer, mailbox: MailUser) -> None:
    assert dovecot.default_user.password == "S3cr3t-P4ss-9d1e"
    assert mailbox.name != dovecot.default_user.name
    assert mailbox.password in dovecot.passwords
    mailbox.fill(4)
    other = dovecot.add_user()
    assert other.maildir.files() == []
    pop = login(other)
    assert pop.stat() == (0, 0)
    pop.quit()


def test_fill_gives_distinct_messages_with_stable_uidls(mailbox: MailUser) -> None:
    messages = mailbox.fill(5)
    pop = login(mailbox)
    _, listing, _ = pop.list()
    sizes = sorted(int(line.split()[1]) for line in listing)
    assert sizes == sorted(len(as_bytes(m)) for m in messages)
    ids = {message_id_of(pop, n) for n in range(1, 6)}
    assert ids == {message_id(i) for i in range(5)}
    first_uidls = pop.uidl()[1]
    pop.quit()
    pop = login(mailbox)
    assert pop.uidl()[1] == first_uidls
    assert len(set(first_uidls)) == 5
    pop.quit()


def test_top_marks_nothing_seen(mailbox: MailUser) -> None:
    mailbox.fill(5)
    pop = login(mailbox)
    for n in range(1, 6):
        pop.top(n, 0)
        pop.top(n, 3)
    pop.quit()
    assert len(mailbox.maildir.files()) == 5
    assert mailbox.maildir.seen_files() == []


def test_retr_marks_exactly_that_message_seen(mailbox: MailUser) -> None:
    mailbox.fill(5)
    pop = login(mailbox)
    _, lines, _ = pop.retr(3)
    retrieved = str(message_from_bytes(b"\r\n".join(lines))["Message-ID"])
    pop.quit()
    assert mailbox.maildir.seen_message_ids() == {retrieved}
    assert len(mailbox.maildir.seen_files()) == 1
    assert len(mailbox.maildir.files()) == 5


def test_dele_and_quit_removes_exactly_those_messages(mailbox: MailUser) -> None:
    mailbox.fill(5)
    pop = login(mailbox)
    deleted = {message_id_of(pop, 2), message_id_of(pop, 4)}
    pop.dele(2)
    pop.dele(4)
    pop.quit()
    remaining = mailbox.maildir.message_ids()
    assert remaining == {message_id(i) for i in range(5)} - deleted
    assert len(remaining) == 3


def test_dele_then_dropped_connection_removes_nothing(mailbox: MailUser) -> None:
    mailbox.fill(3)
    pop = login(mailbox)
    pop.dele(1)
    pop.dele(2)
    pop.close()  # no QUIT: the server must not enter the UPDATE state
    mailbox.server.wait_for_log(rf"pop3\({mailbox.name}\).*Disconnected")
    assert mailbox.maildir.message_ids() == {message_id(i) for i in range(3)}
    pop = login(mailbox)
    assert pop.stat()[0] == 3
    pop.quit()


def test_wrong_password_fails_and_is_not_logged(mailbox: MailUser) -> None:
    wrong = "Wr0ng-" + os.urandom(4).hex()
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    pop.user(mailbox.name)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\]"):
        pop.pass_(wrong)
    pop.close()
    mailbox.server.wait_for_log(rf"passwd-file\({mailbox.name},.*Password mismatch")
    log = mailbox.server.log_text()
    assert wrong not in log
    assert mailbox.password not in log


# -- authentication mechanisms ----------------------------------------------------------


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def challenge(resp: bytes) -> bytes:
    assert resp.startswith(b"+ ") or resp == b"+", resp
    return base64.b64decode(resp[2:])


def sasl_plain(pop: poplib.POP3, user: str, password: str) -> bytes:
    token = b64(f"\0{user}\0{password}")
    return pop._shortcmd(f"AUTH PLAIN {token}")


def sasl_login(pop: poplib.POP3, user: str, password: str) -> bytes:
    pop._shortcmd("AUTH LOGIN")
    pop._shortcmd(b64(user))
    return pop._shortcmd(b64(password))


def sasl_cram_md5(pop: poplib.POP3, user: str, password: str) -> bytes:
    nonce = challenge(pop._shortcmd("AUTH CRAM-MD5"))
    digest = hmac.new(password.encode(), nonce, "md5").hexdigest()
    return pop._shortcmd(b64(f"{user} {digest}"))


def sasl_scram(pop: poplib.POP3, user: str, password: str, mech: str) -> bytes:
    hash_name = "sha256" if mech == "SCRAM-SHA-256" else "sha1"
    client_nonce = b64(os.urandom(18))
    first_bare = f"n={user},r={client_nonce}"
    server_first = challenge(pop._shortcmd(f"AUTH {mech} {b64('n,,' + first_bare)}")).decode()
    fields = dict(part.split("=", 1) for part in server_first.split(","))
    assert fields["r"].startswith(client_nonce)
    salted = hashlib.pbkdf2_hmac(
        hash_name, password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.new(salted, b"Client Key", hash_name).digest()
    stored_key = hashlib.new(hash_name, client_key).digest()
    final_bare = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    signature = hmac.new(stored_key, auth_message, hash_name).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    server_final = challenge(pop._shortcmd(b64(f"{final_bare},p={b64(proof)}"))).decode()
    server_key = hmac.new(salted, b"Server Key", hash_name).digest()
    expected = hmac.new(server_key, auth_message, hash_name).digest()
    assert server_final == f"v={b64(expected)}"
    return pop._shortcmd("")


def authenticate(pop: poplib.POP3, mech: str, user: str, password: str) -> bytes:
    if mech == "PLAIN":
        return sasl_plain(pop, user, password)
    if mech == "LOGIN":
        return sasl_login(pop, user, password)
    if mech == "CRAM-MD5":
        return sasl_cram_md5(pop, user, password)
    return sasl_scram(pop, user, password, mech)


def test_capa_advertises_the_sasl_mechanisms(dovecot: DovecotServer) -> None:
    pop = poplib.POP3(dovecot.host, dovecot.port_plain, timeout=10)
    assert sorted(pop.capa()["SASL"]) == sorted(AUTH_MECHANISMS)
    pop.quit()


@pytest.mark.parametrize("mech", AUTH_MECHANISMS)
def test_sasl_mechanism_logs_in(mailbox: MailUser, mech: str) -> None:
    mailbox.fill(1)
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    assert authenticate(pop, mech, mailbox.name, mailbox.password).startswith(b"+OK")
    assert pop.stat()[0] == 1
    pop.quit()


@pytest.mark.parametrize("mech", AUTH_MECHANISMS)
def test_sasl_mechanism_rejects_a_wrong_password(mailbox: MailUser, mech: str) -> None:
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\]"):
        authenticate(pop, mech, mailbox.name, "not-" + mailbox.password)
    pop.close()


def test_apop_works_with_the_greeting_timestamp(mailbox: MailUser) -> None:
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    assert re.search(rb"<[^<>]+@[^<>]+>", pop.getwelcome())
    assert pop.apop(mailbox.name, mailbox.password).startswith(b"+OK")
    pop.quit()
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    with pytest.raises(poplib.error_proto):
        pop.apop(mailbox.name, "not-" + mailbox.password)
    pop.close()


def test_server_log_shows_no_errors(dovecot: DovecotServer, mailbox: MailUser) -> None:
    """Permission or config mistakes (chroot, sockets, Maildir ownership) show up as errors."""
    mailbox.fill(1)
    login(mailbox).quit()
    problems = [
        line
        for line in dovecot.log_text().splitlines()
        if re.search(r"\b(Error|Fatal|Panic|Warning):", line)
    ]
    assert problems == []
