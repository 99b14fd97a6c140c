"""The Mailbox model without the UI: identities, the store, marks across runs."""

from __future__ import annotations

from pathlib import Path

from fault_server import PASSWORD, USER, FaultServer, fault_server, make_message
from mailbox_support import Driver

from popui.mailbox import Mailbox
from popui.mailbox import updates as up
from popui.pop3 import events as ev
from popui.pop3.account import Account, Credentials
from popui.pop3.identity import is_fingerprint
from popui.store.state import LocalState


def _open(server: FaultServer, state: Path) -> tuple[Mailbox, Driver]:
    account = Account(name="m", host=server.host, port=server.port, security="none",
                      user=USER, auth="user", timeout=5.0)
    mailbox = Mailbox(account, store_folder=state, session_options={"backoff": (0.01,)})
    driver = Driver(mailbox)
    mailbox.connect(Credentials(password=PASSWORD))
    driver.until(ev.Listing)
    driver.until(ev.Event, lambda e: mailbox.loaded == len(mailbox.rows))
    return mailbox, driver


def test_no_uidl_marks_last_across_runs_by_fingerprint_and_the_cache_keeps_none(
    tmp_path: Path,
) -> None:
    messages = [(f"REL-{n}", make_message(n)) for n in range(1, 5)]
    with fault_server("no-uidl", messages) as server:
        mailbox, driver = _open(server, tmp_path)
        assert all(is_fingerprint(key) for key in mailbox.rows)
        by_subject = {row.subject: key for key, row in mailbox.rows.items()}
        mailbox.mark([by_subject["message 2"], by_subject["message 3"]])
        mailbox.stop()
        # another client deletes message 2 (and so renumbers 3 and 4) while popui is away
        server.mailbox.remove([server.mailbox.snapshot()[1]])

        again, driver = _open(server, tmp_path)
        changed = next(e for e in driver.seen if isinstance(e, up.MarksChanged))
        assert again.marks == {by_subject["message 3"]}
        assert again.rows[by_subject["message 3"]].subject == "message 3"
        assert changed.message == ("1 mark from your last session restored; nothing was "
                                   "deleted. 1 saved mark dropped: its message is no longer on "
                                   "the server.")
        again.commit(sorted(again.marks))
        assert driver.until(ev.CommitDone).deleted == (by_subject["message 3"],)
        again.stop()
    assert server.deleted == ["REL-2", "REL-3"]
    with LocalState(tmp_path, again.account.keyring_user) as store:
        assert store.summaries(list(by_subject.values())) == {}  # never fingerprints
        assert store.marks() == set()  # committed marks are gone from the store too
