"""Download a POP3 mailbox into a Maildir or mbox, each message at most once (``popui fetch``).

Driven from one thread with a logged-in ``Pop3Client``; no Textual, no printing: progress goes
to a callback and the outcome comes back as a ``Download`` for the caller to report. Safety
order: a message is written and fsynced, then recorded, and only at the end, when nothing went
wrong, are exactly the messages saved in this run deleted (DELE, then QUIT).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from popui.mailout import Destination, WriteError
from popui.pop3.client import RETR_WINDOW, Pop3Client, body_lines
from popui.pop3.errors import Pop3Error, ServerError
from popui.pop3.identity import fingerprint, is_session_key, session_key
from popui.store.fetched import FetchedRecord


class NoIdentity(Exception):
    """The server gives neither unique UIDLs nor TOP: messages cannot be recognised."""


@dataclass(frozen=True)
class Item:
    number: int
    size: int
    identity: str


@dataclass
class Progress:
    """What the progress display shows; ``started`` is ``time.monotonic()``."""

    total_messages: int
    total_bytes: int
    messages: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)


@dataclass
class Download:
    """The outcome of one run."""

    listed: int = 0
    already: int = 0  # skipped because the record says they were saved before
    wanted: int = 0
    saved: list[Item] = field(default_factory=list)
    saved_bytes: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # RETR -ERR: number, text
    notes: list[str] = field(default_factory=list)
    failure: str | None = None  # why the run stopped early
    interrupted: bool = False
    deleted: int | None = None  # DELEs the server acknowledged (None: no deletion asked/run)
    delete_refused: int = 0
    quit_confirmed: bool = False

    @property
    def stopped(self) -> bool:
        return self.failure is not None or self.interrupted


def identify(client: Pop3Client, *, required: bool = True) -> tuple[list[Item], list[str]]:
    """Every message with its identity: the UIDL when unique, else a fingerprint (size and the
    header block from ``TOP n 0``; twins get an ordinal in message-number order). Without TOP
    either, ``NoIdentity`` is raised, or (not ``required``) session keys are used."""
    caps = client.capabilities
    want_uidl = caps.uidl or not caps.known
    results = list(client.pipeline(["UIDL", "LIST"] if want_uidl else ["LIST"], multiline=True))
    uids: dict[int, str] = {}
    if want_uidl:
        _, status, body = results.pop(0)
        if not isinstance(status, Pop3Error):
            for line in body_lines(body):
                parts = line.split()
                if len(parts) >= 2 and parts[0].isdigit():
                    uids[int(parts[0])] = parts[1].decode("ascii", "replace")
    _, status, body = results[0]
    if isinstance(status, Pop3Error):
        raise status
    sizes: dict[int, int] = {}
    for line in body_lines(body):
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            sizes[int(parts[0])] = int(parts[1])
    counts = Counter(uids.get(n) for n in sizes)
    unique = {n: uids[n] for n in sizes if n in uids and counts[uids[n]] == 1}
    others = [n for n in sizes if n not in unique]
    keys: dict[int, str] = dict(unique)
    notes: list[str] = []
    what = "no UIDL" if not uids else "duplicate UIDLs"
    try:
        keys.update(_fingerprints(client, others, sizes))
    except NoIdentity:
        if required:
            raise
        keys.update((n, session_key(0, n)) for n in others)
        notes.append(f"Note: the server gives {len(others)} of {len(sizes)} messages {what} "
                     "and no TOP; they are not recorded as saved.")
    else:
        if others:
            notes.append(f"Note: the server gives {len(others)} of {len(sizes)} messages "
                         f"{what}; they are recognised by size and header (a fingerprint).")
    return [Item(n, sizes[n], keys[n]) for n in sorted(sizes)], notes


def _fingerprints(client: Pop3Client, numbers: list[int],
                  sizes: dict[int, int]) -> dict[int, str]:
    if not numbers:
        return {}
    problem = ("The server gives messages no unique UIDL and {} TOP, so popui cannot tell "
               "which were saved before; use --all to save them all.")
    if client.capabilities.known and not client.capabilities.top:
        raise NoIdentity(problem.format("no"))
    keys: dict[int, str] = {}
    twins: Counter[str] = Counter()
    for index, status, header in client.pipeline([f"TOP {n} 0" for n in numbers],
                                                 multiline=True):
        if isinstance(status, Pop3Error):
            raise NoIdentity(problem.format("refuses"))
        number = numbers[index]
        base = fingerprint(sizes[number], header)
        twins[base] += 1
        keys[number] = fingerprint(sizes[number], header, twins[base])
    return keys


def download(
    client: Pop3Client,
    destination: Destination,
    record: FetchedRecord,
    *,
    save_all: bool = False,
    delete: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    window: int = RETR_WINDOW,
) -> Download:
    """Save every message not recorded for this account and destination (all with
    ``save_all``); then, with ``delete`` and only if nothing failed, DELE exactly those saved
    in this run and QUIT. Ctrl+C stops the run like a failure (``interrupted``)."""
    result = Download()
    try:
        items, result.notes = identify(client, required=not save_all)
    except NoIdentity as exc:
        result.failure = str(exc)
        with contextlib.suppress(Pop3Error, OSError):
            client.quit()
        return result
    except (Pop3Error, OSError) as exc:
        result.failure = str(exc)
        client.close()
        return result
    except KeyboardInterrupt:
        result.interrupted = True
        client.close()
        return result
    result.listed = len(items)
    report = on_progress or (lambda _: None)
    try:
        if items:  # an empty listing (maybe a glitch) forgets nothing
            record.prune(item.identity for item in items)
        known = set() if save_all else record.saved()
        todo = [item for item in items if item.identity not in known]
        result.already, result.wanted = len(items) - len(todo), len(todo)
        progress = Progress(len(todo), sum(item.size for item in todo))
        by_number = {item.number: item for item in todo}
        report(progress)
        stream = client.retrieve_stream([(item.number, item.size) for item in todo],
                                        window=window)
        for number, pieces in stream:
            item = by_number[number]
            if isinstance(pieces, ServerError):
                result.refused.append((number, pieces.server_text or str(pieces)))
                progress.messages += 1
                report(progress)
                continue
            result.saved_bytes += destination.add(_counted(pieces, progress, report))
            if not is_session_key(item.identity):
                record.add(item.identity)
            result.saved.append(item)
            progress.messages += 1
            report(progress)
    except (WriteError, Pop3Error, OSError) as exc:
        result.failure = str(exc)
    except sqlite3.Error as exc:
        result.failure = f"Cannot update the record of saved messages {record.path}: {exc}."
    except KeyboardInterrupt:
        result.interrupted = True
    if result.stopped:
        client.close()  # answers may still be in flight; nothing was deleted, nothing is lost
        return result
    try:
        if delete and result.saved:
            _delete(client, result)
        client.quit()
        result.quit_confirmed = True
    except (Pop3Error, OSError):
        client.close()
    except KeyboardInterrupt:
        result.interrupted = True
        client.close()
    return result


def _delete(client: Pop3Client, result: Download) -> None:
    result.deleted = 0
    commands = [f"DELE {item.number}" for item in result.saved]
    for _, status, _ in client.pipeline(commands, multiline=False):
        if isinstance(status, ServerError):
            result.delete_refused += 1
        else:
            result.deleted += 1


def _counted(pieces: Iterable[bytes], progress: Progress,
             report: Callable[[Progress], None]) -> Iterator[bytes]:
    for piece in pieces:
        progress.bytes += len(piece)
        report(progress)
        yield piece
