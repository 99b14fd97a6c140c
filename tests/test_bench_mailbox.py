"""The benchmark mailbox generator writes messages Dovecot serves as they are."""

from __future__ import annotations

import poplib
from email import message_from_bytes
from email.policy import default

from dovecot import MailUser
from dovecot_mailbox import fill_realistic


def test_realistic_messages_are_served_whole_and_parse(mailbox: MailUser) -> None:
    fill_realistic(mailbox, 60, seed=7)
    files = mailbox.maildir.files()
    assert len(files) == 60
    pop = poplib.POP3(mailbox.server.host, mailbox.server.port_plain, timeout=10)
    pop.user(mailbox.name)
    pop.pass_(mailbox.password)
    _, listing, _ = pop.list()
    assert sorted(int(line.split()[1]) for line in listing) == sorted(
        f.stat().st_size for f in files
    )
    ids, kinds = set(), set()
    for n in range(1, 61):
        _, lines, _ = pop.retr(n)
        msg = message_from_bytes(b"\r\n".join(lines), policy=default)
        ids.add(msg["Message-ID"])
        kinds.add(msg.get_content_type())
        assert msg["Subject"] and msg["From"] and msg["Date"]
    pop.quit()
    assert len(ids) == 60
    assert {"text/plain", "multipart/alternative", "multipart/mixed"} <= kinds
