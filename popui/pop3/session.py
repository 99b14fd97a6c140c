"""The session owner thread: the only code that touches the POP3 socket.

Contract (the UI and tests rely on it):

    session = Pop3Session(account, on_event, log=ProtocolLog(level=1))
    session.start(Credentials(password="..."))   # thread starts, connects, logs in, lists
    session.submit(Preview(uid, lines=20))       # results arrive as events via on_event
    session.marks.toggle(uid)                    # marks live here, never on the server
    session.submit(Commit(tuple(session.marks.snapshot())))
    session.stop()                               # QUIT without any DELE; joins the thread

After ``start`` the events are: Connecting, then Connected + Listing, or LoginFailed (submit
``Connect(credentials)`` to try again) or Fatal. ``on_event`` is called from the session thread.
"""

from __future__ import annotations

raise NotImplementedError  # replaced by the real implementation in the next commit
