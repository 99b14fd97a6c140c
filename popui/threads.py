"""Threads as mutt draws them: JWZ threading over Message-ID / In-Reply-To / References.

No Textual here. ``thread_lines(rows)`` orders rows thread by thread, each with its depth and
the tree mutt draws before the subject (``├─>``, ``│ └─>``, ``┌─>`` under a missing first
message, ``├*>`` for a message joined to a thread by its subject only). ``collapse`` hides the
replies of collapsed threads and counts them; ``thread_members`` lists one thread's rows.

Hostile headers cannot break it: a message that references itself, reference loops and
duplicate Message-IDs give a tree all the same (every row exactly once, no cycles), and deep
threads are walked without recursion.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Generic, NamedTuple, Protocol, TypeVar

#: References kept per message (the nearest ones): a hostile header may list thousands.
MAX_REFERENCES = 100
#: Indentation levels drawn; deeper replies keep the innermost levels so lines stay short.
MAX_DRAWN_LEVELS = 24

_MSG_ID = re.compile(r"<\s*([^<>\s]+)\s*>")  # ids hold no spaces; folding puts none inside <>
_REPLY = r"(?:re|fwd?|aw|wg|sv|vs)\s*(?:\[\d+\])?\s*:"
_PREFIXES = re.compile(rf"^(?:\s*{_REPLY}|\s*\[[^\[\]]{{1,40}}\])*\s*", re.IGNORECASE)
_IS_REPLY = re.compile(rf"^(?:\s*\[[^\[\]]{{1,40}}\])*\s*{_REPLY}", re.IGNORECASE)


class ThreadRow(Protocol):
    """What threading reads of a message: the header values as received (``<id@host>``)."""

    @property
    def message_id(self) -> str: ...
    @property
    def in_reply_to(self) -> str: ...
    @property
    def references(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def date(self) -> datetime | None: ...


R = TypeVar("R", bound=ThreadRow)


class ThreadLine(NamedTuple, Generic[R]):
    """One row in threaded order.

    ``depth`` is 0 for a thread's first message; ``prefix`` is the tree to draw before the
    subject; ``root`` is the thread's first row (the one a collapsed thread shows); ``fake``
    is True when only the subject joined the row to its thread; ``show_subject`` is False when
    the subject repeats its parent's (mutt's hide_thread_subject hides it).
    """

    row: R
    depth: int
    prefix: str
    root: R
    fake: bool = False
    show_subject: bool = True


def message_ids(value: str) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References value, without angle brackets."""
    ids: list[str] = _MSG_ID.findall(value)
    if not ids:
        bare = value.strip()
        if bare and "@" in bare and not any(c.isspace() for c in bare):
            ids = [bare]
    return ids


def base_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags (``[list]``), case-folded."""
    prefixes = _PREFIXES.match(subject)
    return subject[prefixes.end() if prefixes else 0:].strip().casefold()


def is_reply(subject: str) -> bool:
    return _IS_REPLY.match(subject) is not None


def _stamp(row: ThreadRow) -> float:
    when = row.date
    if when is None:
        return float("-inf")
    try:
        return when.timestamp()
    except (OverflowError, ValueError, OSError):
        return float("-inf") if when.year < 1970 else float("inf")


class _Threader(Generic[R]):
    """Containers are ints: 0..len(rows)-1 are the rows, higher ones are messages only
    referenced (missing here)."""

    def __init__(self, rows: Sequence[R]) -> None:
        self.rows = rows
        count = len(rows)
        self.parent: list[int] = [-1] * count
        self.declared: list[bool] = [False] * count  # parent link stated by the message itself
        self.fake: list[bool] = [False] * count
        self.by_id: dict[str, int] = {}
        self.chains: list[list[str]] = []
        for index, row in enumerate(rows):
            own = message_ids(row.message_id)[:1]
            if own and own[0] not in self.by_id:
                self.by_id[own[0]] = index
            self.chains.append(self._chain(row, own[0] if own else None))

    def _chain(self, row: ThreadRow, own: str | None) -> list[str]:
        chain = message_ids(row.references)[-MAX_REFERENCES:]
        replied = message_ids(row.in_reply_to)[:1]
        if replied and (not chain or chain[-1] != replied[0]):
            chain = [i for i in chain if i != replied[0]] + replied
        return [i for i in chain if i != own]

    def node(self, message_id: str) -> int:
        index = self.by_id.get(message_id)
        if index is None:
            index = len(self.parent)
            self.by_id[message_id] = index
            self.parent.append(-1)
            self.declared.append(False)
            self.fake.append(False)
        return index

    def link(self) -> None:
        for index, chain in enumerate(self.chains):
            nodes = [self.node(i) for i in chain]
            # References name ancestors in order; a link no message stated yet is taken.
            for above, below in itertools.pairwise(nodes):
                if above != below and self.parent[below] == -1:
                    self.parent[below] = above
            if nodes and nodes[-1] != index:
                self.parent[index] = nodes[-1]
                self.declared[index] = True
        self.break_cycles()

    def break_cycles(self) -> None:
        """Each container has one parent, so the links form a functional graph: walk it once
        and cut one link of every cycle (one only inferred from References if there is one,
        else the earliest row's)."""
        state = [0] * len(self.parent)  # 0 new, 1 on the current walk, 2 done
        for start in range(len(self.parent)):
            path: list[int] = []
            node = start
            while node != -1 and state[node] == 0:
                state[node] = 1
                path.append(node)
                node = self.parent[node]
            if node != -1 and state[node] == 1:
                cycle = path[path.index(node):]
                weak = [n for n in cycle if not self.declared[n]]
                self.parent[min(weak or cycle)] = -1
            for n in path:
                state[n] = 2

    def children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.parent]
        for node, above in enumerate(self.parent):
            if above != -1:
                kids[above].append(node)
        return kids


def _real_children(node: int, kids: list[list[int]], count: int) -> list[int]:
    """Children of ``node`` with missing messages in between skipped (their children rise)."""
    out: list[int] = []
    stack = list(reversed(kids[node]))
    while stack:
        child = stack.pop()
        if child < count:
            out.append(child)
        else:
            stack.extend(reversed(kids[child]))
    return out


def thread_lines(
    rows: Iterable[R], *, newest_first: bool = True, by_latest: bool = False,
) -> list[ThreadLine[R]]:
    """Rows in threaded order with their tree prefixes.

    Threads are ordered by their first message's date (``by_latest``: by their latest
    message), newest first unless ``newest_first`` is False; replies within a thread oldest
    first, as a conversation reads. Rows without a date sort as oldest.
    """
    rows = list(rows)
    count = len(rows)
    threader = _Threader(rows)
    threader.link()
    kids = threader.children()
    stamps = [_stamp(row) for row in rows]
    subjects = [base_subject(row.subject) for row in rows]

    real_kids = [_real_children(node, kids, count) for node in range(count)]
    # Top-level groups: a row without parent, or the rows under a missing message (a missing
    # message with one row under it is just that row).
    groups: list[list[int]] = []
    for node, above in enumerate(threader.parent):
        if above != -1:
            continue
        tops = [node] if node < count else _real_children(node, kids, count)
        if tops:
            groups.append(tops)
    groups = _join_by_subject(groups, rows, subjects, threader, stamps, real_kids)

    def order_key(node: int) -> tuple[float, int]:
        return (stamps[node], node)

    def group_key(group: list[int]) -> tuple[float, int]:
        if not by_latest:
            return min(order_key(n) for n in group)
        latest = (float("-inf"), -1)
        stack = list(group)
        while stack:
            node = stack.pop()
            latest = max(latest, order_key(node))
            stack.extend(real_kids[node])
        return latest

    groups.sort(key=group_key, reverse=newest_first)
    lines: list[ThreadLine[R]] = []
    for group in groups:
        tops = sorted(group, key=order_key)
        missing_top = len(tops) > 1
        root = rows[tops[0]]
        # (node, depth, indentation for its children, its own prefix, parent node)
        stack: list[tuple[int, int, str, str, int]] = []
        for position in reversed(range(len(tops))):
            node = tops[position]
            if not missing_top:
                stack.append((node, 0, "", "", -1))
                continue
            last = position == len(tops) - 1
            corner = "┌" if position == 0 else ("└" if last else "├")
            stack.append((node, 1, "  " if last else "│ ", f"{corner}─>", -1))
        while stack:
            node, depth, indent, prefix, above = stack.pop()
            shown = above == -1 or subjects[node] != subjects[above]
            lines.append(
                ThreadLine(rows[node], depth, prefix, root, threader.fake[node], shown)
            )
            below = real_kids[node]
            if len(below) > 1:
                below = sorted(below, key=order_key)
            for position in reversed(range(len(below))):
                child = below[position]
                last = position == len(below) - 1
                line = "*" if threader.fake[child] else "─"
                child_prefix = f"{indent}{'└' if last else '├'}{line}>"
                child_indent = (indent + ("  " if last else "│ "))[-2 * MAX_DRAWN_LEVELS:]
                stack.append((child, depth + 1, child_indent, child_prefix, node))
    return lines


def _join_by_subject(
    groups: list[list[int]],
    rows: Sequence[ThreadRow],
    subjects: list[str],
    threader: _Threader[R],
    stamps: list[float],
    real_kids: list[list[int]],
) -> list[list[int]]:
    """Put a lone reply without Message-ID links ("Re: x", no In-Reply-To or References)
    under the thread that started subject x: the earliest message of that subject that is not
    a reply, else the earliest reply of that subject. Such a child is marked ``fake``."""
    starters: dict[str, tuple[bool, float, int]] = {}
    for group in groups:
        if len(group) != 1:
            continue
        node = group[0]
        subject = subjects[node]
        key = (is_reply(rows[node].subject), stamps[node], node)
        if subject and (subject not in starters or key < starters[subject]):
            starters[subject] = key
    kept: list[list[int]] = []
    for group in groups:
        node = group[0]
        if len(group) == 1 and not threader.chains[node] and is_reply(rows[node].subject):
            starter = starters.get(subjects[node])
            if starter is not None and starter[2] != node:
                threader.fake[node] = True
                real_kids[starter[2]].append(node)
                continue
        kept.append(group)
    return kept


def collapse(
    lines: Sequence[ThreadLine[R]], collapsed: Collection[R],
) -> tuple[list[ThreadLine[R]], dict[R, int]]:
    """The lines to show when the threads of ``collapsed`` (root rows) are collapsed, and for
    each collapsed root shown, how many messages its thread holds (itself included)."""
    folded = {id(root) for root in collapsed}
    visible: list[ThreadLine[R]] = []
    counts: dict[R, int] = {}
    for line in lines:
        if id(line.root) not in folded:
            visible.append(line)
        elif line.row is line.root:
            visible.append(line)
            counts[line.root] = 1
        else:
            counts[line.root] = counts.get(line.root, 0) + 1
    return visible, counts


def thread_members(lines: Sequence[ThreadLine[R]], root: R) -> list[R]:
    """Every row of the thread ``root`` heads, in threaded order (for marks on a collapsed
    thread)."""
    return [line.row for line in lines if line.root is root]
